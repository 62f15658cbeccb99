"""The restaurant bundle end to end in a browser: an enterprise finds "我要开餐馆", applies on the
bundle's one form pre-filled from its account and its wallet's business license (once-only:
the license is a material it never uploads), pays the signboard fee at the sandbox cashier
from its application's page, the three departments approve in their inboxes, the licenses
appear on the application and in the wallet and verify on the public page by their QR payload,
and the enterprise rates the fire inspection with the rating form."""

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
from govhub.identity import service as identity_service
from govhub.identity.models import Account, Department, DepartmentType
from govhub.identity.permissions import Role
from govhub.identity.schemas import EnterpriseRegister
from govhub.licenses import demo as demo_licenses
from govhub.licenses import service as licenses
from govhub.licenses.models import HolderKind
from govhub.services import service
from govhub.services.models import Application, ApplicationStatus, Material
from tests.e2e.conftest import ARTIFACTS, LiveServer
from tests.factories import PASSWORD, add_department, add_official
from tests.licenses.helpers import uscc
from tests.services.helpers import PDF

pytestmark = pytest.mark.e2e

LICENSES = ("FOOD_BUSINESS_PERMIT", "FIRE_SAFETY_INSPECTION", "OUTDOOR_SIGNBOARD_PERMIT")
DOMICILE = "杭州市上城区清波街 1 号"
UPLOADS = ("premises", "layout", "food_safety", "fire_plan", "design")


@dataclass(frozen=True)
class BundleWorld:
    """The committed restaurant-bundle setting: an enterprise and the approvers."""

    enterprise: str
    approvers: tuple[str, ...]


@pytest.fixture(scope="module")
def bundle_world(live_server: LiveServer) -> Iterator[BundleWorld]:
    """Commit the fire and urban departments, their approvers, the catalog with the demo fee
    and an enterprise holding a business license."""
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
            claims={"businessScope": "餐饮服务", "domicile": DOMICILE},
            issuer_department_id=market.id,
        )
        session.commit()
        world = BundleWorld(firm.username, approvers)
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


def _application_of(username: str) -> Application:
    with db.get_sessionmaker()() as session:
        firm = session.scalars(select(Account).where(Account.username == username)).one()
        return session.scalars(select(Application).where(Application.applicant_id == firm.id)).one()


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
    page.locator("a[data-bundle=YJS-CANYIN]").click()
    expect(page).to_have_url(re.compile("/services/bundles/YJS-CANYIN$"))

    # The one form is pre-filled from its account and its business license (once-only).
    taken = page.get_by_test_id("from-wallet")
    expect(taken.locator("[data-prefilled=address]")).to_contain_text(DOMICILE)
    expect(taken.locator("[data-prefilled=business_name]")).to_contain_text("杭州小明餐饮有限公司")
    expect(taken.locator("[data-wallet-material=business_license]")).to_contain_text("营业执照")
    form = page.get_by_test_id("bundle-form")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "restaurant_bundle_form.png", full_page=True)
    assert form.locator("input[name=address]").count() == 0
    assert form.locator("input[name=material_business_license]").count() == 0
    form.locator("input[name=phone]").fill("13800138000")
    form.locator("input[name=area]").fill("80")
    form.locator("input[name=size_m2]").fill("3.5")
    for code in UPLOADS:
        form.locator(f"input[name=material_{code}]").set_input_files(
            {"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/services/applications/[0-9a-f-]{36}$"))
    application_url = page.url
    parts = page.get_by_test_id("parts")
    for code in ("SC-001", "SC-003", "GA-004", "ZF-001"):
        expect(parts.locator(f"tr[data-matter={code}]")).to_have_attribute(
            "data-status", "in_review"
        )
    application = _application_of(world.enterprise)
    assert application.form["GA-004"]["address"] == DOMICILE
    with db.get_sessionmaker()() as session:
        provided = session.scalars(
            select(Material.material_code).where(Material.application_id == application.id)
        ).all()
    assert sorted(c or "" for c in provided) == sorted([*UPLOADS, "business_license"])

    # It pays the signboard fee at the sandbox cashier, from its application's page.
    page.get_by_test_id("pay").click()
    expect(page).to_have_url(re.compile("/payments/cashier/"))
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
    assert _application_of(world.enterprise).status is ApplicationStatus.APPROVED

    # The application shows every department's approval, the paid fee and the licenses.
    page.goto(application_url)
    expect(page.get_by_test_id("application")).to_have_attribute("data-status", "approved")
    expect(page.get_by_test_id("fee")).to_have_attribute("data-paid", "yes")
    for code in LICENSES:
        expect(page.locator(f"[data-license={code}]")).to_be_visible()

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

    # Finally the enterprise rates the fire inspection with the rating form.
    page.goto(application_url)
    rating = page.get_by_test_id("rating-form")
    rating.locator("select[name=matter_code]").select_option("GA-004")
    rating.locator("input[name=overall][value='5']").check()
    for name, level in (("efficiency", "5"), ("guide_accuracy", "4"), ("convenience", "5"),
                        ("usability", "5")):  # fmt: skip
        rating.locator(f"select[name={name}]").select_option(level)
    rating.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile("#rating$"))
    expect(page.locator("[data-testid=rated][data-matter=GA-004]")).to_have_attribute(
        "data-overall", "5"
    )
    page.screenshot(path=ARTIFACTS / "restaurant_bundle_application.png", full_page=True)
    page.goto("/ratings")
    expect(page.locator("main")).to_contain_text("消防安全检查")
