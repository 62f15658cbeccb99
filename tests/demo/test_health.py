"""The demo health data: test results and travel records published, rules over them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.demo import load_demo
from govhub.demo.health import TESTS_TITLE, TRAVEL_TITLE, build_tests, build_travel
from govhub.reservations.health import service
from govhub.reservations.health.models import HealthColor, HealthRule
from tests.demo.test_loader import small_plan


def test_the_rows_are_seeded_and_dated_back_from_today() -> None:
    citizens = small_plan(citizens=50).citizens
    today = utcnow().date()
    tests = build_tests(citizens, today, 2026)
    assert tests == build_tests(citizens, today, 2026)
    assert len(tests) == 50
    assert {row["jcjg"] for row in tests} <= {"阳性", "阴性"}
    assert all(row["jcrq"] <= today.isoformat() for row in tests)
    travel = build_travel(citizens, today, 2026)
    assert {row["sfzhm"] for row in travel} <= {c.id_number for c in citizens}


def test_loading_publishes_the_data_and_rules_that_color_residents(session: Session) -> None:
    plan = small_plan(citizens=60, enterprises=5)
    load_demo(session, plan)
    for title in (TESTS_TITLE, TRAVEL_TITLE):
        resource = session.scalars(select(Resource).where(Resource.title == title)).one()
        versions = session.scalar(
            select(func.count()).where(DatasetVersion.resource_id == resource.id)
        )
        assert versions == 1
    rules = session.scalars(select(HealthRule).order_by(HealthRule.priority)).all()
    assert [(r.color, r.active) for r in rules] == [
        (HealthColor.RED, True), (HealthColor.YELLOW, True), (HealthColor.YELLOW, False)
    ]  # fmt: skip
    today = utcnow().date()
    positive = {r["sfzhm"] for r in build_tests(plan.citizens, today, plan.seed)
                if r["jcjg"] == "阳性"}  # fmt: skip
    colors = {c.id_number: service.evaluate(session, id_number=c.id_number, subject="00" * 16).color
              for c in plan.citizens}  # fmt: skip
    assert positive
    assert all(colors[number] is HealthColor.RED for number in positive)
    assert HealthColor.GREEN in colors.values()
    load_demo(session, plan)  # a second load adds nothing
    assert session.scalar(select(func.count()).select_from(HealthRule)) == 3
