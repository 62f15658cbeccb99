"""Browser journey through the lineage page: the graph renders its nodes and a click navigates."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from govhub.core import db
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import Resource
from govhub.data.catalog.schemas import ResourceCreate
from govhub.data.lineage import service as lineage_service
from govhub.data.lineage.models import ActivityKind
from govhub.identity.models import AccountKind, Department
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from tests.data.lineage.helpers import digest_of, make_dataset
from tests.e2e.conftest import Demo
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def _resource(session: Session, principal: Principal, title: str, **extra: str) -> Resource:
    data = ResourceCreate.model_validate(
        {
            "title": title,
            "update_frequency": "monthly",
            "sharing_type": "unconditional",
            "opening_type": "not_open",
            **extra,
        }
    )
    return catalog_service.create_resource(session, principal=principal, data=data)


@pytest.fixture
def lineage_world(demo: Demo) -> tuple[str, str, str]:
    """Commit a raw register, its cleaned version and an open aggregate; return the username of
    an official of that department and the ids of the raw and the aggregate resources."""
    suffix = uuid.uuid4().hex[:6]
    with db.get_sessionmaker()() as session:
        department = session.query(Department).filter_by(code="HZ-SCJG").one()
        # A steward of the seeded official's department, without an account of its own (the
        # other browser tests count the accounts on the server).
        principal = Principal(
            username="steward",
            display_name="steward",
            roles=frozenset({Role.DEPT_ADMIN}),
            kind=AccountKind.OFFICIAL,
            department_id=department.id,
            division_code=department.division_code,
        )
        raw_resource = _resource(session, principal, f"企业登记{suffix}")
        stats = _resource(session, principal, f"企业统计{suffix}", opening_type="open")
        raw = make_dataset(session, raw_resource, ["qymc", "zczb"])
        clean = make_dataset(session, raw_resource, ["qymc", "zczb"])
        total = make_dataset(session, stats, ["zczb_sum"])
        upload = lineage_service.file_source(name="register.csv", digest=digest_of(suffix))
        link = lineage_service.ColumnLink
        lineage_service.record_run(
            session, kind=ActivityKind.INGEST, inputs=[upload], outputs=[raw], actor=principal
        )
        lineage_service.record_run(
            session,
            kind=ActivityKind.CLEAN,
            inputs=[raw],
            outputs=[clean],
            actor=principal,
            column_map=[link(output="zczb", inputs=[(raw, "zczb")])],
        )
        lineage_service.record_run(
            session,
            kind=ActivityKind.AGGREGATE,
            inputs=[clean],
            outputs=[total],
            actor=principal,
            column_map=[link(output="zczb_sum", inputs=[(clean, "zczb")], expression="sum(zczb)")],
        )
        session.commit()
        return demo.official_username, str(raw_resource.id), str(stats.id)


def test_graph_renders_and_a_click_navigates(
    page: Page, lineage_world: tuple[str, str, str]
) -> None:
    username, raw_id, stats_id = lineage_world
    page.goto("/login")
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("密码|Password")).fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.goto(f"/catalog/resources/{raw_id}")
    page.locator('[data-link="lineage"]').click()
    expect(page).to_have_url(re.compile(rf"/catalog/resources/{raw_id}/lineage$"))
    chart = page.locator("#lineage-chart")
    expect(chart).to_have_attribute("data-ready", "7")  # file, 3 datasets, 3 runs
    expect(chart.locator("canvas").first).to_be_visible()
    expect(page.locator('tr[data-node="dataset"]')).to_have_count(3)
    # Click the open aggregate's node: its position comes from the chart itself.
    point = page.evaluate(
        """() => {
            const chart = window.govhubLineageChart;
            const series = chart.getModel().getSeriesByIndex(0);
            const data = series.getData();
            for (let i = 0; i < data.count(); i++) {
                const item = data.getRawDataItem(i);
                if (item.url && item.url.includes(arguments[0])) {
                    return chart.convertToPixel({seriesIndex: 0}, [item.x, item.y]);
                }
            }
            return null;
        }""".replace("arguments[0]", repr(stats_id)),
    )
    assert point is not None
    box = chart.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    expect(page).to_have_url(re.compile(rf"/catalog/resources/{stats_id}/lineage$"))
    expect(page.locator("#lineage-chart")).to_have_attribute("data-ready", "7")


def test_column_view_toggle(page: Page, lineage_world: tuple[str, str, str]) -> None:
    username, _, stats_id = lineage_world
    page.goto("/login")
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("密码|Password")).fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.goto(f"/catalog/resources/{stats_id}/lineage")
    page.locator('[data-view="columns"]').click()
    expect(page).to_have_url(re.compile(r"view=columns"))
    expect(page.locator('tr[data-node="column"]')).to_have_count(3)
    expect(page.locator("#lineage-chart")).to_have_attribute("data-ready", "3")
