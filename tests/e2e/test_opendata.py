"""The open data portal in a browser: find a dataset by facet and text, read its page with the
chart, report a problem, and see the department's public reply."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from govhub.core import db
from govhub.data.catalog import search as catalog_search
from govhub.data.catalog.models import (
    OpeningType,
    Resource,
    ResourceTheme,
    SecurityClass,
    Sensitivity,
    SharingType,
    Theme,
    UpdateFrequency,
)
from govhub.data.ingest import service as ingest_service
from govhub.data.opendata import service as opendata_service
from govhub.identity import authn
from govhub.identity.models import Account, Department
from govhub.identity.permissions import Role
from tests.e2e.conftest import LiveServer
from tests.factories import PASSWORD, add_official

pytestmark = pytest.mark.e2e

CSV = "qymc,szqh,zczb\n杭州甲公司,330102,100\n杭州乙公司,330102,250\n杭州丙公司,330106,80\n"


@dataclass(frozen=True)
class PortalWorld:
    """An open dataset with one published version, a closed one, and its owner's official."""

    owner: str
    name: str
    title: str
    closed_title: str


@pytest.fixture(scope="module")
def portal_world(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
    PortalWorld
]:  # fmt: skip
    """Commit an open and a closed dataset of the market bureau, each with data."""
    suffix = uuid.uuid4().hex[:6]
    folder = tmp_path_factory.mktemp("opendata")
    with db.get_sessionmaker()() as session:
        market = session.scalars(select(Department).where(Department.code == "HZ-SCJG")).one()
        owner = add_official(session, f"odown{suffix}", market, Role.DATA_OWNER)
        made = []
        for opening, title in ((OpeningType.OPEN, f"开放企业名录{suffix}"),
                               (OpeningType.NOT_OPEN, f"内部企业名录{suffix}")):  # fmt: skip
            resource = Resource(
                identifier=f"HZ-SCJG-P{suffix}-{opening.value}"[:64],
                department_id=market.id,
                title=title,
                description="杭州市企业名录的公开版本，按区划统计。",
                update_frequency=UpdateFrequency.MONTHLY,
                sharing_type=SharingType.UNCONDITIONAL,
                opening_type=opening,
                security_class=SecurityClass.GENERAL,
                sensitivity=Sensitivity.PUBLIC,
                keywords=["企业", "名录"],
                fields=[{"name": "qymc", "type": "string", "description": "企业名称"},
                        {"name": "szqh", "type": "string", "element_code": "division_code",
                         "description": "所在区划"},
                        {"name": "zczb", "type": "decimal", "description": "注册资本"}],
            )  # fmt: skip
            session.add(resource)
            session.flush()
            session.add(ResourceTheme(resource_id=resource.id, theme=Theme.MARKET))
            catalog_search.index_resource(session, resource)
            source = Path(folder) / f"{opening.value}.csv"
            source.write_text(CSV, encoding="utf-8")
            ingest_service.ingest(
                session, principal=authn.principal_for(owner), resource_id=resource.id,
                source=source, filename="register.csv",
            )  # fmt: skip
            made.append(resource)
        session.commit()
        world = PortalWorld(
            owner=owner.username,
            name=opendata_service.package_name(made[0]),
            title=made[0].title,
            closed_title=made[1].title,
        )
    yield world
    with db.get_sessionmaker()() as session:
        account = session.scalars(select(Account).where(Account.username == world.owner)).one()
        account.is_active = False
        session.commit()


def _sign_in(page: Page, username: str) -> None:
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("密码|Password")).fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()


def test_find_read_report_and_see_the_reply(
    page: Page, chromium: Browser, live_server: LiveServer, portal_world: PortalWorld
) -> None:
    world = portal_world

    # A visitor narrows by theme, then searches in Chinese; the closed dataset never shows.
    page.goto("/open-data")
    page.locator('[data-facet="theme"][data-value="market"]').click()
    expect(page).to_have_url(re.compile(r"theme=market"))
    page.locator("#portal-q").fill("企业名录")
    page.locator("form[role=search] button[type=submit]").click()
    expect(page.locator(f'li[data-name="{world.name}"]')).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(world.closed_title)

    # The dataset page: schema, preview, the chart drawn by ECharts, downloads, API examples.
    page.locator(f'li[data-name="{world.name}"] h3 a').click()
    expect(page).to_have_url(re.compile(rf"/open-data/datasets/{world.name}$"))
    expect(page.get_by_test_id("schema-table")).to_contain_text("szqh")
    expect(page.get_by_test_id("preview-table")).to_contain_text("杭州甲公司")
    expect(page.locator("html")).to_have_attribute("data-dataset-chart", "ready")
    canvas = page.locator("#dataset-chart canvas")
    expect(canvas).to_have_count(1)
    box = canvas.bounding_box()
    assert box is not None
    assert box["width"] > 100
    assert box["height"] > 100
    expect(page.get_by_test_id("downloads").locator("a")).to_have_count(4)
    expect(page.get_by_test_id("example-ckanapi")).to_contain_text(world.name)

    # The visitor reports a problem, anonymously.
    page.get_by_role("link", name=re.compile("反馈问题|Report a problem")).click()
    expect(page.locator("#f-dataset")).to_have_value(world.name)
    page.locator("#f-title").fill("注册资本单位不明")
    page.locator("#f-body").fill("注册资本一列没有注明单位，是万元还是元？")
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/open-data/requests/[0-9a-f-]{36}$"))
    request_url = page.url

    # The owning department replies; the reply is public.
    official = chromium.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        tab = official.new_page()
        tab.set_default_timeout(10_000)
        tab.goto("/login?next=" + request_url.split(live_server.url, 1)[1])
        _sign_in(tab, world.owner)
        expect(tab.locator("#f-reply")).to_be_visible()
        tab.locator("#f-reply").fill("单位为万元，下次更新时将在字段说明中注明。")
        tab.locator("#replies form button[type=submit]").click()
        expect(tab.get_by_test_id("reply")).to_contain_text("单位为万元")
    finally:
        official.close()

    page.reload()
    expect(page.get_by_test_id("reply")).to_contain_text("单位为万元")
    expect(page.locator("#f-reply")).to_have_count(0)
