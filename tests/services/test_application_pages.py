"""Pages of one application: the pre-filled bundle form, the application's page per department
with its fee and licenses, and the rating form."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.identity import authn
from govhub.identity.models import Account
from govhub.licenses import service as licenses
from govhub.licenses.demo import DEMO_TYPES
from govhub.licenses.models import HolderKind
from govhub.payments import service as payments
from govhub.ratings.models import Rating, RectificationCase
from govhub.services import connections, prefill, service
from govhub.services.models import (
    Application,
    ApplicationStatus,
    Material,
    Matter,
    Task,
    TaskStatus,
)
from govhub.services.schemas import Outcome, TaskComplete
from tests.browsing import SignIn, csrf_from
from tests.factories import World
from tests.licenses.helpers import enterprise
from tests.ratings.helpers import completed
from tests.services.helpers import PDF, Catalog, build_catalog, resident, sc001

DOMICILE = "杭州市上城区清波街 1 号"
UPLOADS = ("premises", "layout", "food_safety", "fire_plan", "design")
ANSWERS = {"division_code": "330100", "phone": "13800138000", "area": "80", "size_m2": "3.5"}


@pytest.fixture
def catalog(session: Session, world: World) -> Catalog:
    built = build_catalog(session, world)
    for data in DEMO_TYPES:
        licenses.define_type(session, data=data)
    return built


@pytest.fixture
def firm(session: Session, world: World, catalog: Catalog) -> Account:
    """An enterprise holding a business license."""
    account = enterprise(session, "杭州小明餐饮有限公司")
    licenses.issue(
        session,
        license_type="BUSINESS_LICENSE",
        holder=licenses.HolderRef(HolderKind.ENTERPRISE, account.id),
        claims={"businessScope": "餐饮服务", "domicile": DOMICILE},
        issuer_department_id=world.city_a_market.id,
    )
    return account


def _files(*codes: str) -> dict[str, tuple[str, bytes, str]]:
    return {f"material_{c}": (f"{c}.pdf", PDF, "application/pdf") for c in codes}


def _count(session: Session, table: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def _apply(browser: TestClient, **overrides: str) -> tuple[str, dict[str, str]]:
    page = browser.get("/services/bundles/YJS-CANYIN")
    assert page.status_code == 200
    return page.text, {**ANSWERS, "csrf_token": csrf_from(page.text), **overrides}


def _decide_all(session: Session, catalog: Catalog, application: Application) -> None:
    approvers = {
        a.department_id: authn.principal_for(a)
        for a in (catalog.market_approver, catalog.fire_approver, catalog.urban_approver)
    }
    tasks = session.scalars(
        select(Task).where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
    ).all()
    for task in tasks:
        service.complete(
            session,
            principal=approvers[task.department_id],
            task_id=task.id,
            data=TaskComplete(outcome=Outcome.APPROVE),
        )


class TestPrefill:
    def test_wallet_and_account_fill_the_shared_fields(
        self, session: Session, firm: Account
    ) -> None:
        form = prefill.bundle_form(
            session, principal=authn.principal_for(firm), bundle_code="YJS-CANYIN"
        )
        assert form.prefilled == {
            "applicant_name": "杭州小明餐饮有限公司",
            "business_name": "杭州小明餐饮有限公司",
            "address": DOMICILE,
            "scope": "餐饮服务",
        }
        fields = {f.name: f for f in form.fields}
        assert fields["address"].matters == ("SC-001", "SC-003", "GA-004", "ZF-001")
        assert fields["address"].source == "BUSINESS_LICENSE"
        assert [f.name for f in form.fields if f.source is None] == ["phone", "area", "size_m2"]
        held = {m.code: m for m in form.materials if m.held is not None}
        assert set(held) == {"business_license"}
        assert [m.code for m in form.materials if m.upload] == list(UPLOADS)
        assert form.divisions == [("330100", "杭州市")]

    def test_a_revoked_license_fills_nothing(
        self, session: Session, world: World, firm: Account
    ) -> None:
        [row] = licenses.wallet(session, licenses.HolderRef(HolderKind.ENTERPRISE, firm.id))
        licenses.revoke(
            session, principal=world.principal(world.city_a_admin), license_id=row.id,
            reason="吊销",
        )  # fmt: skip
        form = prefill.bundle_form(
            session, principal=authn.principal_for(firm), bundle_code="YJS-CANYIN"
        )
        assert set(form.prefilled) == {"applicant_name"}
        assert not any(m.held for m in form.materials)

    def test_a_value_that_breaks_the_schema_is_asked_instead(
        self, session: Session, world: World, firm: Account
    ) -> None:
        licenses.issue(
            session,
            license_type="FOOD_BUSINESS_PERMIT",
            holder=licenses.HolderRef(HolderKind.ENTERPRISE, firm.id),
            claims={"premises": "x" * 300},
            issuer_department_id=world.city_a_market.id,
        )
        [business] = [
            r
            for r in licenses.wallet(session, licenses.HolderRef(HolderKind.ENTERPRISE, firm.id))
            if r.type_code == "BUSINESS_LICENSE"
        ]
        licenses.revoke(
            session, principal=world.principal(world.city_a_admin), license_id=business.id,
            reason="吊销",
        )  # fmt: skip
        form = prefill.bundle_form(
            session, principal=authn.principal_for(firm), bundle_code="YJS-CANYIN"
        )
        assert "address" not in form.prefilled  # 300 characters: the form allows 200


class TestBundlePage:
    def test_guide_is_public_and_linked_from_the_search_page(
        self, browser: TestClient, session: Session, catalog: Catalog
    ) -> None:
        assert 'href="/services/bundles/YJS-CANYIN"' in browser.get("/services").text
        page = browser.get("/services/bundles/YJS-CANYIN")
        assert page.status_code == 200
        assert "/services/matters/GA-004" in page.text
        assert 'data-testid="bundle-form"' not in page.text
        assert "/login?next=%2Fservices%2Fbundles%2FYJS-CANYIN" in page.text
        assert browser.get("/services/bundles/NOPE").status_code == 404

    def test_officials_see_no_form(
        self, browser: TestClient, world: World, catalog: Catalog, sign_in: SignIn
    ) -> None:
        sign_in(world.city_a_admin)
        page = browser.get("/services/bundles/YJS-CANYIN")
        assert page.status_code == 200
        assert 'data-testid="bundle-form"' not in page.text
        token = csrf_from(page.text)
        refused = browser.post("/services/bundles/YJS-CANYIN/apply", data={"csrf_token": token})
        assert refused.status_code == 403

    def test_form_shows_what_the_wallet_holds(
        self, browser: TestClient, firm: Account, sign_in: SignIn
    ) -> None:
        sign_in(firm)
        html = browser.get("/services/bundles/YJS-CANYIN").text
        assert 'data-testid="from-wallet"' in html
        assert f'data-prefilled="address" data-source="BUSINESS_LICENSE">{DOMICILE}' in html
        assert 'data-wallet-material="business_license"' in html
        assert 'name="address"' not in html  # taken, not asked
        assert 'name="phone"' in html
        for code in UPLOADS:
            assert f'name="material_{code}"' in html
        assert 'name="material_business_license"' not in html

    def test_apply_then_follow_per_department(
        self, browser: TestClient, session: Session, catalog: Catalog, firm: Account,
        sign_in: SignIn,
    ) -> None:  # fmt: skip
        sign_in(firm)
        _, data = _apply(browser, address="伪造的地址")
        done = browser.post("/services/bundles/YJS-CANYIN/apply", data=data, files=_files(*UPLOADS))
        assert done.status_code == 303, done.text
        application = session.scalars(select(Application)).one()
        assert done.headers["location"] == f"/services/applications/{application.id}"
        assert application.form["GA-004"] == {
            "applicant_name": "杭州小明餐饮有限公司", "phone": "13800138000",
            "address": DOMICILE, "area": 80.0,
        }  # fmt: skip
        assert application.form["SC-001"]["scope"] == "餐饮服务"
        provided = session.scalars(
            select(Material.material_code).where(Material.application_id == application.id)
        ).all()
        assert sorted(c or "" for c in provided) == sorted([*UPLOADS, "business_license"])

        page = browser.get(done.headers["location"])
        assert page.status_code == 200
        for code in ("SC-001", "SC-003", "GA-004", "ZF-001"):
            assert f'data-matter="{code}" data-status="in_review"' in page.text
        assert catalog.fire.name in page.text
        assert catalog.urban.name in page.text
        assert 'data-testid="rate-later"' in page.text
        assert 'data-testid="rating-form"' not in page.text
        assert 'data-material="business_license"' in page.text

    def test_fee_and_licenses_on_the_application_page(
        self, browser: TestClient, session: Session, catalog: Catalog, firm: Account,
        sign_in: SignIn,
    ) -> None:  # fmt: skip
        session.scalars(select(Matter).where(Matter.code == "ZF-001")).one().fee_fen = 20000
        session.flush()
        sign_in(firm)
        _, data = _apply(browser)
        done = browser.post("/services/bundles/YJS-CANYIN/apply", data=data, files=_files(*UPLOADS))
        application = session.scalars(select(Application)).one()
        page = browser.get(done.headers["location"]).text
        order = payments.order_for_subject(session, connections.subject_of(application))
        assert order is not None
        assert f'href="/payments/cashier/{order.id}"' in page
        assert "¥200.00" in page
        payments.sandbox_pay(
            session, principal=authn.principal_for(firm), order_id=order.id, succeed=True
        )
        _decide_all(session, catalog, application)
        assert application.status is ApplicationStatus.APPROVED
        page = browser.get(done.headers["location"]).text
        assert 'data-paid="yes"' in page
        for code in ("FOOD_BUSINESS_PERMIT", "FIRE_SAFETY_INSPECTION", "OUTDOOR_SIGNBOARD_PERMIT"):
            assert f'data-license="{code}"' in page
        assert 'data-testid="rating-form"' in page

    @pytest.mark.parametrize(
        ("overrides", "uploads", "expected"),
        [
            ({"phone": "12"}, UPLOADS, "form.SC-001.phone"),
            ({"area": "many"}, UPLOADS, "form.SC-003.area"),
            ({}, UPLOADS[:-1], "design"),
            ({"division_code": "330200"}, UPLOADS, "not offered in division"),
            ({"division_code": "abc"}, UPLOADS, "division_code"),
        ],
    )
    def test_bad_input_is_explained_and_changes_nothing(
        self, browser: TestClient, session: Session, firm: Account, sign_in: SignIn,
        overrides: dict[str, str], uploads: tuple[str, ...], expected: str,
    ) -> None:  # fmt: skip
        sign_in(firm)
        _, data = _apply(browser, **overrides)
        bad = browser.post("/services/bundles/YJS-CANYIN/apply", data=data, files=_files(*uploads))
        assert bad.status_code in {404, 422}, bad.text
        assert 'data-testid="errors"' in bad.text
        assert expected in bad.text
        assert 'data-testid="bundle-form"' in bad.text  # the form again, answers kept
        assert _count(session, Application) == _count(session, Material) == 0

    def test_a_double_submission_is_refused(
        self, browser: TestClient, session: Session, firm: Account, sign_in: SignIn
    ) -> None:
        sign_in(firm)
        _, data = _apply(browser)
        first = browser.post(
            "/services/bundles/YJS-CANYIN/apply", data=data, files=_files(*UPLOADS)
        )
        assert first.status_code == 303
        materials = _count(session, Material)
        again = browser.post(
            "/services/bundles/YJS-CANYIN/apply", data=data, files=_files(*UPLOADS)
        )
        assert again.status_code == 409
        assert "已有相同的申请正在办理" in again.text
        assert _count(session, Application) == 1
        assert _count(session, Material) == materials

    def test_forged_csrf_is_refused(
        self, browser: TestClient, session: Session, firm: Account, sign_in: SignIn
    ) -> None:
        sign_in(firm)
        _, data = _apply(browser, csrf_token="forged")
        bad = browser.post("/services/bundles/YJS-CANYIN/apply", data=data, files=_files(*UPLOADS))
        assert bad.status_code == 403
        assert _count(session, Application) == 0


class TestApplicationPage:
    def test_only_the_applicant_sees_it(
        self, browser: TestClient, session: Session, world: World, catalog: Catalog,
        sign_in: SignIn,
    ) -> None:  # fmt: skip
        owner = resident(session)
        application = completed(session, authn.principal_for(owner), world.city_a_admin)
        url = f"/services/applications/{application.id}"
        assert browser.get(url).status_code == 303  # sign in first
        sign_in(resident(session))
        other = browser.get(url)
        assert other.status_code == 404
        assert application.form["business_name"] not in other.text
        browser.cookies.clear()
        sign_in(world.city_a_admin)
        assert browser.get(url).status_code == 403
        browser.cookies.clear()
        sign_in(owner)
        mine = browser.get("/services/mine").text
        assert f'href="{url}"' in mine
        assert f'href="{url}#rating"' in mine
        assert browser.get(url).status_code == 200


class TestRatingForm:
    @pytest.fixture
    def owner(self, session: Session) -> Account:
        return resident(session)

    def _form(self, browser: TestClient, url: str) -> str:
        page = browser.get(url)
        assert 'data-testid="rating-form"' in page.text
        return csrf_from(page.text.split('data-testid="rating-form"', 1)[1])

    def test_rate_then_see_the_rating(
        self, browser: TestClient, session: Session, world: World, catalog: Catalog,
        owner: Account, sign_in: SignIn,
    ) -> None:  # fmt: skip
        application = completed(session, authn.principal_for(owner), world.city_a_admin)
        url = f"/services/applications/{application.id}"
        sign_in(owner)
        token = self._form(browser, url)
        done = browser.post(f"{url}/rating", data={
            "csrf_token": token, "overall": "2", "efficiency": "2", "guide_accuracy": "3",
            "convenience": "4", "usability": "5", "reasons": ["slow", "unclear_guide"],
            "comment": "等了很久"})  # fmt: skip
        assert done.status_code == 303
        rating = session.scalars(select(Rating)).one()
        assert (rating.overall, rating.usability, rating.reasons) == (
            2,
            5,
            ["slow", "unclear_guide"],
        )
        assert _count(session, RectificationCase) == 1  # a bad rating opens a case
        page = browser.get(url).text
        assert 'data-testid="rated" data-matter="SC-001" data-overall="2"' in page
        assert 'data-testid="rating-form"' not in page
        assert "等了很久" in page
        again = browser.post(f"{url}/rating", data={
            "csrf_token": token, "overall": "5", "efficiency": "5", "guide_accuracy": "5",
            "convenience": "5", "usability": "5"})  # fmt: skip
        assert again.status_code == 409
        assert "该服务已评价" in again.text
        assert _count(session, Rating) == 1

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ({"overall": "1", "efficiency": "1", "guide_accuracy": "1", "convenience": "1",
              "usability": "1"}, "a rating of 1 or 2 needs at least one reason"),
            ({"overall": "9", "efficiency": "5", "guide_accuracy": "5", "convenience": "5",
              "usability": "5"}, "overall"),
            ({"overall": "5"}, "efficiency"),
            ({"overall": "5", "efficiency": "5", "guide_accuracy": "5", "convenience": "5",
              "usability": "5", "reasons": ["other"]}, "comment"),
            ({"overall": "5", "efficiency": "5", "guide_accuracy": "5", "convenience": "5",
              "usability": "5", "reasons": ["bored"]}, "reasons"),
        ],
    )  # fmt: skip
    def test_bad_input_is_explained_and_changes_nothing(
        self, browser: TestClient, session: Session, world: World, catalog: Catalog,
        owner: Account, sign_in: SignIn, body: dict[str, object], expected: str,
    ) -> None:  # fmt: skip
        application = completed(session, authn.principal_for(owner), world.city_a_admin)
        url = f"/services/applications/{application.id}"
        sign_in(owner)
        bad = browser.post(f"{url}/rating", data={**body, "csrf_token": self._form(browser, url)})
        assert bad.status_code == 422
        assert 'data-testid="errors"' in bad.text
        assert expected in bad.text
        assert 'data-testid="rating-form"' in bad.text
        assert _count(session, Rating) == 0

    def test_an_uncompleted_application_cannot_be_rated(
        self, browser: TestClient, session: Session, world: World, catalog: Catalog,
        owner: Account, sign_in: SignIn,
    ) -> None:  # fmt: skip
        me = authn.principal_for(owner)
        application, _ = service.submit(session, principal=me, data=sc001(session, me))
        url = f"/services/applications/{application.id}"
        sign_in(owner)
        page = browser.get(url).text
        refused = browser.post(f"{url}/rating", data={
            "csrf_token": csrf_from(page), "overall": "5", "efficiency": "5",
            "guide_accuracy": "5", "convenience": "5", "usability": "5"})  # fmt: skip
        assert refused.status_code == 409
        assert "只有已办结的申请才能评价" in refused.text
        assert _count(session, Rating) == 0

    def test_someone_elses_application_is_not_found(
        self, browser: TestClient, session: Session, world: World, catalog: Catalog,
        owner: Account, sign_in: SignIn,
    ) -> None:  # fmt: skip
        application = completed(session, authn.principal_for(owner), world.city_a_admin)
        sign_in(resident(session))
        token = csrf_from(browser.get("/services/mine").text)
        refused = browser.post(f"/services/applications/{application.id}/rating", data={
            "csrf_token": token, "overall": "5", "efficiency": "5", "guide_accuracy": "5",
            "convenience": "5", "usability": "5"})  # fmt: skip
        assert refused.status_code == 404
        assert _count(session, Rating) == 0

    def test_a_bundle_is_rated_per_matter(
        self, browser: TestClient, session: Session, catalog: Catalog, firm: Account,
        sign_in: SignIn,
    ) -> None:  # fmt: skip
        sign_in(firm)
        _, data = _apply(browser)
        done = browser.post("/services/bundles/YJS-CANYIN/apply", data=data, files=_files(*UPLOADS))
        application = session.scalars(select(Application)).one()
        _decide_all(session, catalog, application)
        url = done.headers["location"]
        token = self._form(browser, url)
        levels = {"overall": "5", "efficiency": "5", "guide_accuracy": "4", "convenience": "5",
                  "usability": "5"}  # fmt: skip
        rated = browser.post(f"{url}/rating", data={**levels, "csrf_token": token,
                                                    "matter_code": "GA-004"})  # fmt: skip
        assert rated.status_code == 303
        page = browser.get(url).text
        assert 'data-testid="rated" data-matter="GA-004"' in page
        options = re.findall(r'<option value="([A-Z]+-\d+)"', page.split("r-matter", 1)[1])
        assert options == ["SC-001", "SC-003", "ZF-001"]
        rating = session.scalars(select(Rating)).one()
        assert rating.department_id == catalog.fire.id
