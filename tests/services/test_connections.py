"""Online services with payments and e-licenses: the fee gate, licenses issued on approval and
licenses reused as materials (once-only), at the service level and over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.errors import Conflict, NotFound
from govhub.identity.models import Account
from govhub.identity.principal import Principal
from govhub.ledger.models import LedgerPending
from govhub.ledger.schemas import EntryKind
from govhub.licenses import service as licenses
from govhub.licenses.demo import DEMO_TYPES
from govhub.licenses.errors import LicenseInvalid, LicenseMismatch, LicenseRevoked
from govhub.licenses.models import HolderKind, License
from govhub.payments import service as payments
from govhub.payments.errors import CallbackReplayed, PaymentRequired
from govhub.payments.models import OrderStatus, PaymentOrder, SandboxTransaction
from govhub.payments.provider import SANDBOX, sandbox
from govhub.services import connections, service
from govhub.services.models import (
    Application,
    ApplicationStatus,
    Material,
    Matter,
    Task,
    TaskStatus,
)
from govhub.services.schemas import ApplicationCreate, Outcome, TaskComplete
from tests.factories import World
from tests.licenses.helpers import enterprise
from tests.services.helpers import (
    Catalog,
    build_catalog,
    document,
    food_form,
    resident,
    restaurant_bundle,
    sc001,
)

Login = Callable[[Account], dict[str, str]]
PROBLEM = "application/problem+json"


@pytest.fixture
def catalog(session: Session, world: World) -> Catalog:
    built = build_catalog(session, world)
    for data in DEMO_TYPES:
        licenses.define_type(session, data=data)
    return built


@pytest.fixture
def company(session: Session) -> Account:
    return enterprise(session)


def _charge(session: Session, code: str, fen: int) -> None:
    matter = session.scalars(select(Matter).where(Matter.code == code)).one()
    matter.fee_fen = fen
    session.flush()


def _open_tasks(session: Session, application: Application) -> list[Task]:
    return list(
        session.scalars(
            select(Task)
            .where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
            .order_by(Task.created_at, Task.id)
        )
    )


def _approvers(world: World, catalog: Catalog) -> dict[Any, Principal]:
    return {
        world.city_a_market.id: world.principal(catalog.market_approver),
        catalog.fire.id: world.principal(catalog.fire_approver),
        catalog.urban.id: world.principal(catalog.urban_approver),
    }


def _decide(session: Session, world: World, catalog: Catalog, task: Task) -> None:
    outcome = Outcome.ACCEPT if task.step == "accept" else Outcome.APPROVE
    service.complete(
        session,
        principal=_approvers(world, catalog)[task.department_id],
        task_id=task.id,
        data=TaskComplete(outcome=outcome),
    )


def _run_to_decision(
    session: Session, world: World, catalog: Catalog, application: Application
) -> Task:
    """Accept and review; return the open deciding task."""
    while True:
        [task] = _open_tasks(session, application)
        if task.step in connections.DECIDING_STEPS:
            return task
        _decide(session, world, catalog, task)


def _received(session: Session, order: PaymentOrder) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(LedgerPending)
            .where(
                LedgerPending.kind == EntryKind.PAYMENT_RECEIVED,
                LedgerPending.subject == f"payment:{order.id}",
            )
        )
        or 0
    )


def _pay(session: Session, payer: Principal, order_id: Any) -> PaymentOrder:
    return payments.sandbox_pay(session, principal=payer, order_id=order_id, succeed=True)


class TestFees:
    def test_free_matter_has_no_order_and_passes(
        self, session: Session, world: World, catalog: Catalog, company: Account
    ) -> None:
        me = world.principal(company)
        application, _ = service.submit(session, principal=me, data=sc001(session, me))
        assert service.to_read(session, application).payment is None
        _decide(session, world, catalog, _run_to_decision(session, world, catalog, application))
        assert application.status is ApplicationStatus.APPROVED

    def test_submission_raises_the_order_for_the_handling_department(
        self, session: Session, world: World, catalog: Catalog, company: Account
    ) -> None:
        _charge(session, "SC-001", 5000)
        me = world.principal(company)
        application, _ = service.submit(session, principal=me, data=sc001(session, me))
        order = payments.order_for_subject(session, f"application:{application.id}")
        assert order is not None
        assert (order.department_id, order.payer_id) == (world.city_a_market.id, company.id)
        assert (order.amount_fen, order.status) == (5000, OrderStatus.PENDING)
        read = service.to_read(session, application).payment
        assert read is not None
        assert (read.order_id, read.paid) == (order.id, False)
        assert read.cashier_url is not None
        assert str(order.id) in read.cashier_url

    def test_approval_before_payment_is_refused_and_changes_nothing(
        self, session: Session, world: World, catalog: Catalog, company: Account
    ) -> None:
        _charge(session, "SC-001", 5000)
        me = world.principal(company)
        application, _ = service.submit(session, principal=me, data=sc001(session, me))
        task = _run_to_decision(session, world, catalog, application)
        state = application.workflow_state
        with pytest.raises(PaymentRequired):
            _decide(session, world, catalog, task)
        session.refresh(task)
        session.refresh(application)
        assert task.status is TaskStatus.OPEN
        assert task.outcome is None
        assert application.status is ApplicationStatus.IN_REVIEW
        assert application.workflow_state == state
        assert licenses.issued_for(session, application.id) == []
        # A rejection needs no payment.
        service.complete(
            session,
            principal=world.principal(catalog.market_approver),
            task_id=task.id,
            data=TaskComplete(outcome=Outcome.REJECT, comment="场所不符合要求"),
        )
        rejected = session.get(Application, application.id)
        assert rejected is not None
        assert rejected.status is ApplicationStatus.REJECTED

    def test_replayed_callback_does_not_pay_twice_and_payment_opens_the_gate(
        self, session: Session, world: World, catalog: Catalog, company: Account
    ) -> None:
        _charge(session, "SC-001", 5000)
        me = world.principal(company)
        application, _ = service.submit(session, principal=me, data=sc001(session, me))
        order = payments.order_for_subject(session, f"application:{application.id}")
        assert order is not None
        signed = sandbox().charge(session, order_id=order.id, amount_fen=5000, succeed=True)
        payments.handle_callback(
            session, notification=signed.notification, signature=signed.signature
        )
        with pytest.raises(CallbackReplayed):
            payments.handle_callback(
                session, notification=signed.notification, signature=signed.signature
            )
        assert order.status is OrderStatus.PAID
        assert _received(session, order) == 1
        payments.require_paid(session, f"application:{application.id}")
        read = service.to_read(session, application).payment
        assert read is not None
        assert read.paid
        assert read.cashier_url is None
        _decide(session, world, catalog, _run_to_decision(session, world, catalog, application))
        assert application.status is ApplicationStatus.APPROVED
        assert order.provider == SANDBOX

    def test_a_cancelled_order_is_renewed_and_nothing_else_is(
        self, session: Session, world: World, catalog: Catalog, company: Account
    ) -> None:
        me = world.principal(company)
        free, _ = service.submit(session, principal=me, data=sc001(session, me))
        with pytest.raises(Conflict):
            service.renew_fee(session, principal=me, application_id=free.id)
        _charge(session, "SC-001", 5000)
        application, _ = service.submit(
            session,
            principal=me,
            data=sc001(session, me, form={**sc001(session, me).form, "scope": "零售"}),
        )
        first = payments.order_for_subject(session, f"application:{application.id}")
        assert first is not None
        with pytest.raises(Conflict):  # still payable
            service.renew_fee(session, principal=me, application_id=application.id)
        stranger = world.principal(resident(session))
        with pytest.raises(NotFound):
            service.renew_fee(session, principal=stranger, application_id=application.id)
        payments.cancel_order(session, principal=me, order_id=first.id, as_payer=True)
        renewed = service.renew_fee(session, principal=me, application_id=application.id)
        assert renewed.order_id != first.id
        assert renewed.cashier_url is not None
        assert (renewed.amount_fen, renewed.paid) == (5000, False)
        _pay(session, me, renewed.order_id)
        with pytest.raises(Conflict):  # already paid
            service.renew_fee(session, principal=me, application_id=application.id)
        _decide(session, world, catalog, _run_to_decision(session, world, catalog, application))
        assert application.status is ApplicationStatus.APPROVED


class TestLicensesOnApproval:
    def test_approval_issues_the_license_once(
        self, session: Session, world: World, catalog: Catalog, company: Account
    ) -> None:
        me = world.principal(company)
        application, _ = service.submit(session, principal=me, data=sc001(session, me))
        _decide(session, world, catalog, _run_to_decision(session, world, catalog, application))
        [issued] = licenses.issued_for(session, application.id)
        assert (issued.type_code, issued.holder_id) == ("BUSINESS_LICENSE", company.id)
        assert issued.issuer_department_id == world.city_a_market.id
        result = licenses.verify(session, issued.token)
        assert result.holder_kind is HolderKind.ENTERPRISE
        assert result.claims["business_name"] == "小明面馆"
        assert "phone" not in result.claims
        assert "applicant_name" not in result.claims
        connections.issue_licenses(session, application)  # a retried hook
        assert len(licenses.issued_for(session, application.id)) == 1
        assert service.to_read(session, application).license_ids == [issued.id]

    def test_a_citizen_gets_no_enterprise_license(
        self, session: Session, world: World, catalog: Catalog
    ) -> None:
        me = world.principal(resident(session))
        application, _ = service.submit(session, principal=me, data=sc001(session, me))
        _decide(session, world, catalog, _run_to_decision(session, world, catalog, application))
        assert application.status is ApplicationStatus.APPROVED
        assert licenses.issued_for(session, application.id) == []


def _sc003(session: Session, me: Principal, **extra: Any) -> ApplicationCreate:
    return ApplicationCreate(
        matter_code="SC-003",
        division_code="330100",
        form=food_form(),
        document_ids=[document(session, me, c).id for c in ("layout", "food_safety")],
        **extra,
    )


def _business_license(session: Session, world: World, holder: Account) -> License:
    return licenses.issue(
        session,
        license_type="BUSINESS_LICENSE",
        holder=licenses.HolderRef(HolderKind.ENTERPRISE, holder.id),
        claims={"business_name": "小明面馆"},
        issuer_department_id=world.city_a_market.id,
    )


def _applications(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Application)) or 0


class TestLicensesAsMaterials:
    def test_wallet_license_is_recorded_as_provided(
        self, session: Session, world: World, catalog: Catalog, company: Account
    ) -> None:
        held = _business_license(session, world, company)
        me = world.principal(company)
        application, _ = service.submit(session, principal=me, data=_sc003(session, me))
        [provided] = session.scalars(
            select(Material).where(
                Material.application_id == application.id,
                Material.content_type == connections.LICENSE_CONTENT_TYPE,
            )
        )
        assert provided.material_code == "business_license"
        assert provided.filename == f"license-{held.id}.jwt"
        codes = {m.material_code for m in service.to_read(session, application).materials}
        assert codes == {"business_license", "layout", "food_safety"}

    def test_revoked_license_in_wallet_is_not_used(
        self, session: Session, world: World, catalog: Catalog, company: Account
    ) -> None:
        held = _business_license(session, world, company)
        licenses.revoke(
            session, principal=world.principal(world.city_a_admin), license_id=held.id, reason="x"
        )
        me = world.principal(company)
        application, _ = service.submit(session, principal=me, data=_sc003(session, me))
        types = session.scalars(
            select(Material.content_type).where(Material.application_id == application.id)
        )
        assert connections.LICENSE_CONTENT_TYPE not in set(types)

    def test_a_wallet_license_that_fails_verification_is_not_used(
        self, session: Session, world: World, catalog: Catalog, company: Account
    ) -> None:
        held = _business_license(session, world, company)
        head, body, signature = held.token.split(".")
        held.token = f"{head}.{body}.{signature[:-4]}AAAA"  # a damaged copy in the wallet
        session.flush()
        me = world.principal(company)
        application, _ = service.submit(session, principal=me, data=_sc003(session, me))
        types = session.scalars(
            select(Material.content_type).where(Material.application_id == application.id)
        )
        assert connections.LICENSE_CONTENT_TYPE not in set(types)

    def test_bad_presented_licenses_are_refused_and_change_nothing(
        self, session: Session, world: World, catalog: Catalog, company: Account
    ) -> None:
        held = _business_license(session, world, company)
        other = _business_license(session, world, enterprise(session, "另一家餐饮公司"))
        me = world.principal(company)
        head, body, signature = held.token.split(".")
        forged = f"{head}.{body}.{signature[:-4]}AAAA"
        with pytest.raises(LicenseInvalid):
            service.submit(
                session,
                principal=me,
                data=_sc003(session, me, license_tokens={"business_license": forged}),
            )
        with pytest.raises(LicenseMismatch):
            service.submit(
                session,
                principal=me,
                data=_sc003(session, me, license_tokens={"business_license": other.token}),
            )
        with pytest.raises(LicenseMismatch):
            service.submit(
                session,
                principal=me,
                data=_sc003(session, me, license_tokens={"layout": held.token}),
            )
        licenses.revoke(
            session, principal=world.principal(world.city_a_admin), license_id=held.id, reason="x"
        )
        with pytest.raises(LicenseRevoked):
            service.submit(
                session,
                principal=me,
                data=_sc003(session, me, license_tokens={"business_license": held.token}),
            )
        assert _applications(session) == 0
        assert session.scalar(select(func.count()).select_from(PaymentOrder)) == 0


class TestRestaurantEndToEnd:
    def test_bundle_payment_approvals_and_licenses(
        self, session: Session, world: World, catalog: Catalog, company: Account
    ) -> None:
        _charge(session, "GA-004", 3000)
        _charge(session, "ZF-001", 2000)
        me = world.principal(company)
        application, _ = service.submit(session, principal=me, data=restaurant_bundle(session, me))
        order = payments.order_for_subject(session, f"application:{application.id}")
        assert order is not None
        assert (order.amount_fen, order.department_id) == (5000, catalog.fire.id)
        tasks = _open_tasks(session, application)
        assert {t.department_id for t in tasks} == {
            world.city_a_market.id,
            catalog.fire.id,
            catalog.urban.id,
        }
        with pytest.raises(PaymentRequired):
            _decide(session, world, catalog, tasks[0])
        assert len(_open_tasks(session, application)) == 4
        _pay(session, me, order.id)
        assert session.scalar(select(func.count()).select_from(SandboxTransaction)) == 1
        for task in tasks:
            _decide(session, world, catalog, task)
        assert application.status is ApplicationStatus.APPROVED
        issued = licenses.issued_for(session, application.id)
        assert sorted(row.type_code for row in issued) == [
            "BUSINESS_LICENSE",
            "FIRE_SAFETY_INSPECTION",
            "FOOD_BUSINESS_PERMIT",
            "OUTDOOR_SIGNBOARD_PERMIT",
        ]
        issuers = {row.type_code: row.issuer_department_id for row in issued}
        assert issuers["FIRE_SAFETY_INSPECTION"] == catalog.fire.id
        assert issuers["OUTDOOR_SIGNBOARD_PERMIT"] == catalog.urban.id
        for row in issued:
            result = licenses.verify(session, row.token)
            assert (result.holder_id, result.license_id) == (company.id, row.id)
        wallet = {row.type_code for row in licenses.wallet(session, connections_holder(company))}
        assert "FOOD_BUSINESS_PERMIT" in wallet


def connections_holder(account: Account) -> licenses.HolderRef:
    """The enterprise as a license holder."""
    return licenses.HolderRef(HolderKind.ENTERPRISE, account.id)


class TestOverHttp:
    def test_unpaid_approval_answers_402_and_the_applicant_sees_the_order(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        world: World,
        catalog: Catalog,
        company: Account,
    ) -> None:
        _charge(session, "SC-001", 5000)
        me = login(company)
        upload = client.post(
            "/api/v1/services/documents",
            headers=me,
            files={"file": ("premises.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
            data={"material_code": "premises"},
        )
        body = {
            "matter_code": "SC-001",
            "division_code": "330100",
            "form": sc001(session, world.principal(company)).form,
            "document_ids": [upload.json()["id"]],
        }
        created = client.post("/api/v1/services/applications", headers=me, json=body)
        assert created.status_code == 201, created.text
        payment = created.json()["payment"]
        assert payment["amount_fen"] == 5000
        assert payment["paid"] is False
        assert payment["cashier_url"]
        official = login(catalog.market_approver)
        for outcome in ("accept", "approve"):
            [task] = client.get("/api/v1/services/tasks", headers=official).json()["items"]
            client.post(
                f"/api/v1/services/tasks/{task['id']}/complete",
                headers=official,
                json={"outcome": outcome},
            )
        [task] = client.get("/api/v1/services/tasks", headers=official).json()["items"]
        refused = client.post(
            f"/api/v1/services/tasks/{task['id']}/complete",
            headers=official,
            json={"outcome": "approve"},
        )
        assert refused.status_code == 402
        assert refused.headers["content-type"].startswith(PROBLEM)
        mine = client.get(f"/api/v1/services/applications/{created.json()['id']}", headers=me)
        assert mine.json()["status"] == "in_review"
        assert mine.json()["license_ids"] == []
        page = client.get("/services/mine", headers=me)
        assert page.status_code == 200
        assert f'href="/payments/cashier/{payment["order_id"]}"' in page.text
        assert "¥50.00" in page.text
        mirror = "/api/v1/govstack/registration"
        also_refused = client.post(
            f"{mirror}/tasks/{task['id']}/complete", headers=official, json={"outcome": "approve"}
        )
        assert also_refused.status_code == 402
        still_payable = client.post(
            f"/api/v1/services/applications/{created.json()['id']}/fee", headers=me
        )
        assert still_payable.status_code == 409
        assert still_payable.headers["content-type"].startswith(PROBLEM)
        # The applicant pays at the sandbox cashier; its verified callback opens the gate.
        _pay(session, world.principal(company), uuid.UUID(payment["order_id"]))
        approved = client.post(
            f"{mirror}/tasks/{task['id']}/complete", headers=official, json={"outcome": "approve"}
        )
        assert approved.status_code == 200, approved.text
        mine = client.get(f"/api/v1/services/applications/{created.json()['id']}", headers=me)
        assert mine.json()["status"] == "approved"
        assert mine.json()["payment"]["paid"] is True
        [license_id] = mine.json()["license_ids"]
        [held] = client.get("/api/v1/licenses/mine", headers=me).json()
        assert held["id"] == license_id
        verified = client.post("/api/v1/licenses/verify", json={"token": held["token"]})
        assert verified.status_code == 200
        assert verified.json()["license_type"] == "BUSINESS_LICENSE"

    def test_revoked_license_token_answers_4xx(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        world: World,
        catalog: Catalog,
        company: Account,
    ) -> None:
        held = _business_license(session, world, company)
        licenses.revoke(
            session, principal=world.principal(world.city_a_admin), license_id=held.id, reason="x"
        )
        me = login(company)
        ids = []
        for code in ("layout", "food_safety"):
            up = client.post(
                "/api/v1/services/documents",
                headers=me,
                files={"file": (f"{code}.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
                data={"material_code": code},
            )
            ids.append(up.json()["id"])
        body = {
            "matter_code": "SC-003",
            "division_code": "330100",
            "form": food_form(),
            "document_ids": ids,
            "license_tokens": {"business_license": held.token},
        }
        refused = client.post("/api/v1/services/applications", headers=me, json=body)
        assert 400 <= refused.status_code < 500
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert _applications(session) == 0
