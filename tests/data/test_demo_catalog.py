"""The demo load's catalog stage: realistic resources, created once, searchable."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.data.catalog import search
from govhub.data.catalog.models import Resource, ResourceVersion
from govhub.demo import build_plan, load_demo
from govhub.demo.catalog import DEMO_RESOURCES
from govhub.demo.health import TESTS_TITLE, TRAVEL_TITLE
from govhub.demo.proactive import TITLE as BIRTHS_TITLE
from govhub.identity import service as identity_service


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_demo_catalog_loads_once_and_is_searchable(session: Session) -> None:
    plan = build_plan(citizens=5, enterprises=5)
    report = load_demo(session, plan)
    # The health commission's three resources (health-code data, birth certificates) come with
    # their own stages, not this one.
    resources = len(DEMO_RESOURCES) + len((TESTS_TITLE, TRAVEL_TITLE, BIRTHS_TITLE))
    assert report.stages["catalog"].inserted == len(DEMO_RESOURCES)
    assert report.tables["catalog_resources"] == len(DEMO_RESOURCES)
    assert _count(session, Resource) == _count(session, ResourceVersion) == resources
    market = identity_service.find_department_by_code(session, "HZ-SCJG")
    titles = session.scalars(
        select(Resource.title).where(Resource.department_id == market.id).order_by(Resource.title)
    )
    assert list(titles) == ["企业名录", "企业登记信息"]

    again = load_demo(session, plan)
    assert again.stages["catalog"].inserted == 0
    assert not again.changed
    assert _count(session, Resource) == resources

    public = search.search_resources(session, principal=None, query=search.SearchQuery(text="人口"))
    assert [item.title for item in public.items] == ["社区常住人口统计"]
