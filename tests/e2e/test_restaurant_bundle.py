"""The restaurant bundle end to end in a browser: an enterprise finds "我要开餐馆", applies with
its wallet license as a material, pays the signboard fee at the sandbox cashier, the three
departments approve in their inboxes, the licenses appear in the wallet and verify on the
public page by their QR payload, and the enterprise rates the service."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from govhub.core import db
from govhub.demo.applications import DEMO_FEES, apply_fees
from govhub.identity import authn
from govhub.identity import service as identity_service
from govhub.identity.models import Account, Department, DepartmentType
from govhub.identity.permissions import Role
from govhub.identity.schemas import EnterpriseRegister
from govhub.licenses import demo as demo_licenses
from govhub.licenses import service as licenses
from govhub.licenses.models import HolderKind
from govhub.payments import service as payments
from govhub.ratings import service as ratings
from govhub.ratings.schemas import RatingCreate
from govhub.services import service
from govhub.services.connections import subject_of
from govhub.services.models import Application, ApplicationStatus, Material
from tests.e2e.conftest import LiveServer
from tests.factories import PASSWORD, add_department, add_official
from tests.licenses.helpers import uscc
from tests.services.helpers import restaurant_bundle

pytestmark = pytest.mark.e2e

LICENSES = ("FOOD_BUSINESS_PERMIT", "FIRE_SAFETY_INSPECTION", "OUTDOOR_SIGNBOARD_PERMIT")


@dataclass(frozen=True)
class BundleWorld:
    """The committed restaurant-bundle setting: an enterprise, its approvers, its application."""

    enterprise: str
    approvers: tuple[str, ...]
    application_id: uuid.UUID
    order_id: uuid.UUID


@pytest.fixture(scope="module")
def bundle_world(live_server: LiveServer) -> Iterator[BundleWorld]:
    """Commit the fire and urban departments, their approvers, the catalog with the demo fee,
    an enterprise holding a business license, and its restaurant-bundle application."""
    suffix = uuid.uuid4().hex[:6]
    with db.get_sessionmaker()() as session:
        market = session.scalars(select(Department).where(Department.code == "HZ-SCJG")).one()
        fire = add_department(session, "HZ-GA", "330100", DepartmentType.PUBLIC_SECURITY)
        urban = add_department(session, "HZ-ZF", "330100", DepartmentType.OTHER)
        approvers = tuple(
            add_official(session, f"{name}{suffix}", department, Role.APPROVER).username
            for name, department in (("mkt", market), ("fire", fire), ("urban", urban))
        )
        service.load_standard(session)
        apply_fees(session)
        for data in demo_licenses.DEMO_TYPES:
            licenses.define_type(session, data=data)
        firm = identity_service.register_enterprise(
            session,
            data=EnterpriseRegister(
                username=f"canyin{suffix}",
                password=PASSWORD,
                display_name="杭州小明餐饮有限公司",
                uscc=uscc(int(suffix, 16) % 10_000_000),
            ),
        )
        licenses.issue(
            session,
            license_type="BUSINESS_LICENSE",
            holder=licenses.HolderRef(HolderKind.ENTERPRISE, firm.id),
            claims={"businessScope": "餐饮服务", "domicile": "杭州市上城区清波街 1 号"},
            issuer_department_id=market.id,
        )
        principal = authn.principal_for(firm)
        application, _ = service.submit(
            session, principal=principal, data=restaurant_bundle(session, principal)
        )
        order = payments.order_for_subject(session, subject_of(application))
        assert order is not None
        session.commit()
        world = BundleWorld(firm.username, approvers, application.id, order.id)
    yield world
    with db.get_sessionmaker()() as session:
        names = [world.enterprise, *world.approvers]
        for account in session.scalars(select(Account).where(Account.username.in_(names))):
            account.is_active = False  # the shell's browser test counts active accounts
        session.commit()


def _sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("密码|Password")).fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile("/login"))


def _approve_all(page: Page) -> None:
    """Accept or approve every open task in the signed-in official's inbox."""
    page.goto("/services/inbox")
    rows = page.get_by_test_id("tasks").locator("tbody tr")
    for _ in range(10):
        if rows.count() == 0:
            return
        row = rows.first
        options = row.locator("select[name=outcome] option").all_inner_texts()
        row.locator("select[name=outcome]").select_option(
            "accept" if "accept" in options else "approve"
        )
        row.get_by_role("button").click()
        expect(page).to_have_url(re.compile("/services/inbox$"))
    raise AssertionError("the inbox did not empty")


def test_restaurant_bundle_end_to_end(
    page: Page, chromium: Browser, live_server: LiveServer, bundle_world: BundleWorld
) -> None:
    world = bundle_world

    # The enterprise finds the bundle by searching for a restaurant.
    _sign_in(page, world.enterprise)
    page.goto("/services")
    page.locator("#q").fill("餐馆")
    page.locator("form[role=search] button[type=submit]").click()
    expect(page.get_by_test_id("hits")).to_contain_text("食品经营许可")
    expect(page.get_by_text("我要开餐馆")).to_be_visible()
    page.get_by_role("link", name="GA-004").click()
    expect(page).to_have_url(re.compile("/services/matters/GA-004$"))

    # Its application took the business license from the wallet as a material.
    with db.get_sessionmaker()() as session:
        application = session.get(Application, world.application_id)
        assert application is not None
        provided = session.scalars(
            select(Material.material_code).where(Material.application_id == application.id)
        ).all()
        assert "business_license" in provided

    # It pays the signboard fee at the sandbox cashier.
    page.goto(f"/payments/cashier/{world.order_id}")
    expect(page.get_by_test_id("amount")).to_contain_text(f"{DEMO_FEES['ZF-001'] // 100}")
    page.locator("button[name=action][value=pay]").click()
    expect(page).to_have_url(re.compile("outcome=paid"))

    # Each department approves its part in its inbox.
    for username in world.approvers:
        context = chromium.new_context(base_url=live_server.url, locale="zh-CN")
        try:
            official = context.new_page()
            official.set_default_timeout(10_000)
            _sign_in(official, username)
            _approve_all(official)
        finally:
            context.close()
    with db.get_sessionmaker()() as session:
        application = session.get(Application, world.application_id)
        assert application is not None
        assert application.status is ApplicationStatus.APPROVED

    # The licenses appear in the wallet and verify on the public page by their QR payload.
    page.goto("/licenses")
    wallet = page.get_by_test_id("wallet")
    for name in ("食品经营许可证", "户外招牌设置许可", "消防安全检查合格证"):
        expect(wallet).to_contain_text(name)
    cards = wallet.locator("article.license-card")
    assert cards.count() >= 1 + len(LICENSES)
    token = cards.last.locator("textarea").input_value()
    verifier = chromium.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        check = verifier.new_page()
        check.goto("/licenses/verify")
        check.locator("#token").fill(token)
        check.get_by_role("button", name=re.compile("验证|Verify")).click()
        expect(check.locator("[data-verdict=valid]")).to_be_visible()
    finally:
        verifier.close()

    # Finally the enterprise rates the fire inspection (no rating page yet: the service API).
    with db.get_sessionmaker()() as session:
        firm = session.scalars(select(Account).where(Account.username == world.enterprise)).one()
        data = RatingCreate.model_validate(
            {"application_id": str(world.application_id), "matter_code": "GA-004",
             "overall": 5, "efficiency": 5, "guide_accuracy": 4, "convenience": 5,
             "usability": 5}
        )  # fmt: skip
        rating = ratings.rate(session, principal=authn.principal_for(firm), data=data)
        session.commit()
        assert rating.overall == 5
    page.goto("/ratings")
    expect(page.locator("main")).to_contain_text("消防安全检查")
