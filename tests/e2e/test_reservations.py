"""Reservations in a browser: a resident reserves and gets a QR code, the organizer watches the
live chart move, and the pickup point redeems the code once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from govhub.core import db
from govhub.core.db import utcnow
from govhub.identity import authn
from govhub.identity.models import Account, Department
from govhub.identity.permissions import Role
from govhub.reservations import service
from govhub.reservations.schemas import CampaignCreate
from tests.e2e.conftest import Demo, LiveServer
from tests.factories import PASSWORD, add_official

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class CampaignWorld:
    """A published campaign and the organizer who watches it."""

    campaign_id: uuid.UUID
    title: str
    organizer: str


@pytest.fixture(scope="module")
def campaign_world(live_server: LiveServer) -> Iterator[CampaignWorld]:
    """Commit an organizer of the market bureau and an open campaign with two points."""
    suffix = uuid.uuid4().hex[:6]
    now = utcnow()
    with db.get_sessionmaker()() as session:
        market = session.scalars(select(Department).where(Department.code == "HZ-SCJG")).one()
        organizer = add_official(session, f"org{suffix}", market, Role.DEPT_ADMIN)
        data = CampaignCreate.model_validate(
            {
                "title": f"口罩预约 {suffix}",
                "item": "医用外科口罩 5 只",
                "opens_at": now - timedelta(hours=1),
                "closes_at": now + timedelta(hours=3),
                "points": [
                    {"name": "湖滨药房", "division_code": "330100"},
                    {"name": "武林社区卫生服务中心", "division_code": "330100"},
                ],
                "windows": [
                    {
                        "starts_at": now + timedelta(days=1),
                        "ends_at": now + timedelta(days=1, hours=8),
                    }
                ],
                "quota_per_slot": 10,
                "shards": 2,
            }
        )
        found = service.create_campaign(
            session, principal=authn.principal_for(organizer), data=data
        )
        session.commit()
        world = CampaignWorld(found.id, found.title, organizer.username)
    yield world
    with db.get_sessionmaker()() as session:
        account = session.scalars(select(Account).where(Account.username == world.organizer)).one()
        account.is_active = False  # the shell's browser test counts active accounts
        session.commit()


def _sign_in(page: Page, username: str) -> None:
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("密码|Password")).fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()


def test_reserve_watch_and_redeem(
    page: Page,
    chromium: Browser,
    live_server: LiveServer,
    demo: Demo,
    campaign_world: CampaignWorld,
) -> None:
    world = campaign_world
    campaign_url = f"/reservations/campaigns/{world.campaign_id}"

    # The organizer opens the live figures first: nothing booked yet.
    organizer_context = chromium.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        organizer = organizer_context.new_page()
        organizer.set_default_timeout(10_000)
        organizer.goto(f"{campaign_url}/live")
        _sign_in(organizer, world.organizer)
        expect(organizer).to_have_url(re.compile(re.escape(campaign_url) + "/live$"))
        expect(organizer.locator("html[data-live-booked='0']")).to_have_count(1)
        expect(organizer.locator("#live-chart canvas")).to_have_count(1)
        expect(organizer.get_by_test_id("figures").locator("tfoot")).to_contain_text("0")

        # A resident finds the campaign, signs in and reserves at the first point.
        page.goto("/reservations")
        page.get_by_role("link", name=world.title).click()
        expect(page).to_have_url(re.compile(re.escape(campaign_url) + "$"))
        page.get_by_role("link", name="登录后预约").first.click()
        _sign_in(page, demo.citizen_username)
        expect(page).to_have_url(re.compile(re.escape(campaign_url) + "$"))
        page.locator('[data-action="book"]').first.click()
        expect(page.get_by_role("heading", name="预约成功")).to_be_visible()
        ticket = page.get_by_test_id("ticket")
        expect(ticket.locator(".rsv-ticket > div > svg")).to_have_count(1)
        code = ticket.locator("[data-code]").inner_text().strip()
        assert code.startswith("GHR1.")

        # Within a few seconds the organizer's figures show the booking, without a reload.
        expect(organizer.locator("[data-booked]").first).to_have_text("1", timeout=8_000)
        expect(organizer.locator("html[data-live-booked='1']")).to_have_count(1)

        # A second try is refused clearly, and the resident still holds one reservation.
        page.goto(campaign_url)
        page.locator('[data-action="book"]').last.click()
        expect(page.get_by_test_id("refusal")).to_contain_text("已预约")
        page.goto("/reservations/mine")
        expect(page.get_by_test_id("ticket")).to_have_count(1)

        # The pickup point redeems the code once.
        staff_context = chromium.new_context(base_url=live_server.url, locale="zh-CN")
        try:
            staff = staff_context.new_page()
            staff.set_default_timeout(10_000)
            staff.goto("/reservations/redeem")
            _sign_in(staff, demo.official_username)
            staff.locator("textarea[name=code]").fill(code)
            staff.locator('[data-action="redeem"]').click()
            expect(staff.get_by_test_id("redeemed")).to_be_visible()
            staff.locator("textarea[name=code]").fill(code)
            staff.locator('[data-action="redeem"]').click()
            expect(staff.get_by_test_id("refusal")).to_contain_text("领取码已使用")
        finally:
            staff_context.close()
    finally:
        organizer_context.close()
