"""Double ratings racing each other: several threads rate one application, one rating wins.

PostgreSQL only: there the unique (application, matter) key makes the losers wait and then
answer 409. SQLite serializes whole write transactions instead.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from govhub.core.db import make_engine
from govhub.core.errors import Conflict
from govhub.identity import authn
from govhub.ratings import service as ratings
from govhub.ratings.models import Rating, RectificationCase
from govhub.ratings.schemas import RatingCreate
from tests.factories import build_world
from tests.ratings.helpers import body, completed
from tests.services.helpers import build_catalog, resident


def test_racing_ratings_make_one_rating_and_one_case(own_url: str) -> None:
    if not own_url.startswith("postgresql"):
        pytest.skip("row-level waiting on the unique key is PostgreSQL's")
    engine = make_engine(own_url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    try:
        with factory() as session:
            world = build_world(session)
            build_catalog(session, world)
            citizen = authn.principal_for(resident(session))
            application = completed(session, citizen, world.city_a_admin)
            session.commit()
        data = RatingCreate.model_validate(body(application, 1))
        results: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(4)

        def work() -> None:
            start.wait()
            with factory() as session:
                try:
                    ratings.rate(session, principal=citizen, data=data)
                    session.commit()
                    outcome = "rated"
                except Conflict:
                    session.rollback()
                    outcome = "conflict"
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == ["conflict", "conflict", "conflict", "rated"]
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Rating)) == 1
            assert session.scalar(select(func.count()).select_from(RectificationCase)) == 1
    finally:
        engine.dispose()
