"""Double submissions racing each other: one Idempotency-Key, several threads, one application.

PostgreSQL only: there the unique key makes the losers wait and then answer with the first
application or 409. SQLite serializes whole write transactions instead; a racing retry there
fails with "database is locked" rather than a conflict, which the API reports as an error.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from govhub.core.db import make_engine
from govhub.core.errors import Conflict
from govhub.identity import authn
from govhub.identity.models import DepartmentType
from govhub.services import service
from govhub.services.models import Application, Task
from govhub.services.schemas import ApplicationCreate
from tests.factories import add_department, add_division
from tests.reservations.helpers import add_citizen


def test_one_key_racing_itself_makes_one_application(own_url: str) -> None:
    if not own_url.startswith("postgresql"):
        pytest.skip("row-level waiting on the unique key is PostgreSQL's")
    engine = make_engine(own_url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    try:
        with factory() as session:
            add_division(session, "330000", "浙江省")
            add_division(session, "330100", "杭州市")
            add_department(session, "A-SWJ", "330100", DepartmentType.TAXATION)
            citizen = authn.principal_for(add_citizen(session, with_password=False))
            service.load_standard(session)
            session.commit()
        data = ApplicationCreate.model_validate(
            {"matter_code": "SW-001", "division_code": "330100",
             "form": {"applicant_name": "张三", "phone": "13800138000", "quantity": 5}}
        )  # fmt: skip
        results: list[object] = []
        lock = threading.Lock()
        start = threading.Barrier(6)

        def work() -> None:
            start.wait()
            with factory() as session:
                try:
                    application, _ = service.submit(
                        session, principal=citizen, data=data, idempotency_key="race-0001"
                    )
                    session.commit()
                    outcome: object = application.id
                except Conflict:
                    session.rollback()
                    outcome = "conflict"
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ids = {r for r in results if isinstance(r, uuid.UUID)}
        assert len(results) == 6
        assert len(ids) == 1
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Application)) == 1
            assert session.scalar(select(func.count()).select_from(Task)) == 1
    finally:
        engine.dispose()
