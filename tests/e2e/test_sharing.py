"""Data sharing in a browser: request, approval with a narrower scope, the grant and its usage."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from govhub.core import db
from govhub.core.db import utcnow
from govhub.data.catalog.models import (
    OpeningType,
    Resource,
    SecurityClass,
    Sensitivity,
    SharingType,
    UpdateFrequency,
)
from govhub.data.sharing.models import AccessKind, Grant, GrantAccess
from govhub.identity.models import Account, Department, DepartmentType, OAuthClient
from govhub.identity.permissions import Role
from tests.e2e.conftest import LiveServer
from tests.factories import PASSWORD, add_department, add_official

pytestmark = pytest.mark.e2e

FIELDS = [
    {"name": name, "type": "string", "element_code": element, "is_personal": personal,
     "description": text}
    for name, element, personal, text in (
        ("tyshxydm", "uscc", False, "统一社会信用代码"),
        ("qymc", None, False, "企业名称"),
        ("fddbr", None, True, "法定代表人"),
        ("szqh", "division_code", False, "所在区划"),
    )
]  # fmt: skip


@dataclass(frozen=True)
class SharingWorld:
    """What the journey needs on the server: two officials, a system and a resource."""

    requester: str
    owner: str
    client_id: str
    resource_id: uuid.UUID


@pytest.fixture(scope="module")
def sharing_world(live_server: LiveServer) -> Iterator[SharingWorld]:
    """Commit a tax bureau with a system, two data owners and a conditionally shared resource.

    The officials are deactivated afterwards: the shell's browser test counts active accounts.
    """
    suffix = uuid.uuid4().hex[:6]
    with db.get_sessionmaker()() as session:
        market = session.scalars(select(Department).where(Department.code == "HZ-SCJG")).one()
        tax = session.scalars(select(Department).where(Department.code == "HZ-SWJ")).first()
        if tax is None:
            tax = add_department(
                session, "HZ-SWJ", "330100", DepartmentType.TAXATION, "杭州市税务局"
            )
        requester = add_official(session, f"tax{suffix}", tax, Role.DATA_OWNER)
        owner = add_official(session, f"own{suffix}", market, Role.DATA_OWNER)
        client = OAuthClient(client_id=f"sys-swj-{suffix}", name="税源管理系统",
                             department_id=tax.id, grant_types=["client_credentials"])  # fmt: skip
        resource = Resource(
            identifier=f"HZ-SCJG-S{suffix}",
            department_id=market.id,
            title=f"企业登记信息{suffix}",
            update_frequency=UpdateFrequency.DAILY,
            sharing_type=SharingType.CONDITIONAL,
            sharing_conditions="仅限税源管理使用",
            opening_type=OpeningType.NOT_OPEN,
            security_class=SecurityClass.GENERAL,
            sensitivity=Sensitivity.INTERNAL,
            fields=FIELDS,
        )
        session.add_all([client, resource])
        session.commit()
        world = SharingWorld(requester.username, owner.username, client.client_id, resource.id)
    yield world
    with db.get_sessionmaker()() as session:
        for username in (world.requester, world.owner):
            account = session.scalars(select(Account).where(Account.username == username)).one()
            account.is_active = False
        session.commit()


def _sign_in(page: Page, username: str) -> None:
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("密码|Password")).fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()


def test_request_approve_narrower_and_see_usage(
    page: Page, chromium: Browser, live_server: LiveServer, sharing_world: SharingWorld
) -> None:
    world = sharing_world
    resource_url = f"/catalog/resources/{world.resource_id}"

    # The tax bureau finds the resource and asks for three fields of its own city.
    page.goto(resource_url)
    _sign_in(page, world.requester)
    expect(page).to_have_url(re.compile(re.escape(resource_url) + "$"))
    page.locator('[data-action="request-access"]').click()
    expect(page.locator("#request-form")).to_be_visible()
    expect(page.locator('[data-personal="fddbr"]')).to_be_visible()
    for name in ("tyshxydm", "qymc", "fddbr"):
        page.locator(f"#field-{name}").check()
    page.locator('input[name="rows"][value="division"]').check()
    page.locator("#f-client_id").select_option(world.client_id)
    page.locator("#f-duration_days").fill("180")
    page.locator("#f-purpose").fill("核验辖区内企业的纳税登记信息")
    page.locator("#f-legal_basis").fill("《税收征收管理法》第十五条")
    page.locator("#request-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/sharing#request-"))
    expect(page.get_by_test_id("my-requests").locator('[data-state="pending"]')).to_have_count(1)

    # The market bureau approves, without the personal field and for 30 days only.
    owner_context = chromium.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        owner = owner_context.new_page()
        owner.set_default_timeout(10_000)
        owner.goto("/sharing/inbox")
        _sign_in(owner, world.owner)
        expect(owner).to_have_url(re.compile(r"/sharing/inbox$"))
        owner.get_by_test_id("pending").locator('[data-action="decide"]').first.click()
        approve = owner.locator("#approve-form")
        approve.locator('input[name="fields"][value="fddbr"]').uncheck()
        approve.locator("#f-duration_days").fill("30")
        approve.locator('button[value="approve"]').click()
        expect(owner).to_have_url(re.compile(r"/sharing/grants/[0-9a-f-]+$"))
        expect(owner.get_by_test_id("grant-state").locator('[data-state="active"]')).to_be_visible()
        grant_id = uuid.UUID(owner.url.rsplit("/", 1)[1])
    finally:
        owner_context.close()

    with db.get_sessionmaker()() as session:
        grant = session.get(Grant, grant_id)
        assert grant is not None
        assert grant.fields == ["tyshxydm", "qymc"]
        assert (grant.expires_at - grant.granted_at).days == 30
        # The tax system has read through the exchange once today.
        session.add(GrantAccess(grant_id=grant_id, at=utcnow(), kind=AccessKind.QUERY, rows=42,
                                fields=["qymc"], digest="0" * 64))  # fmt: skip
        session.commit()

    # The tax bureau sees the grant it now holds and how it was used.
    page.goto("/sharing")
    held = page.get_by_test_id("my-grants").locator(f"#grant-{grant_id}")
    expect(held.locator('[data-state="active"]')).to_be_visible()
    held.get_by_role("link", name=re.compile("详情")).click()
    expect(page).to_have_url(re.compile(rf"/sharing/grants/{grant_id}$"))
    expect(page.get_by_test_id("grant-fields")).not_to_contain_text("fddbr")
    expect(page.get_by_test_id("usage-calls")).to_have_text("1")
    expect(page.get_by_test_id("usage-rows")).to_have_text("42")
    expect(page.locator("html")).to_have_attribute("data-usage-charts", "ready")
    for chart in ("#usage-calls-chart", "#usage-rows-chart"):
        expect(page.locator(f"{chart} canvas")).to_have_count(1)
        box = page.locator(f"{chart} canvas").bounding_box()
        assert box is not None
        assert box["width"] > 100
        assert box["height"] > 100
