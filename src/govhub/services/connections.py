"""How online services meet e-payments and e-licenses.

* **Fees.** An application for matters that charge (`fee_fen`) gets one fee order for the
  subject `application:<id>` when it is submitted, payable by the applicant and collected by
  the handling department (of a bundle: the first charging matter's). No approving decision
  passes until `payments.require_paid` says the fee was paid with a verified callback.
* **Licenses on approval.** An approved matter that produces a license (`LICENSED_MATTERS`)
  issues it to the applicant from the handling department, linked by the application's id;
  a retry issues nothing twice.
* **Licenses as materials (once-only).** A required material linked to an e-license type is
  taken from the applicant's wallet (or from a token they present) after `require_valid`,
  and recorded with the application as a provided material.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.core.storage import get_storage
from govhub.identity.models import Account, AccountKind
from govhub.identity.principal import Principal
from govhub.licenses import service as licenses
from govhub.licenses.errors import LicenseMismatch
from govhub.licenses.models import HolderKind
from govhub.licenses.schemas import LicenseStatus
from govhub.notifications.models import NotificationKind
from govhub.payments import service as payments
from govhub.payments.schemas import OrderCreate
from govhub.services import catalog, notices, workflow
from govhub.services.models import (
    Application,
    ApplicationStatus,
    Bundle,
    Material,
    Matter,
    Task,
)
from govhub.services.schemas import ApplicationPayment, Outcome

# The license each matter produces when approved (matter code → license type code).
LICENSED_MATTERS: dict[str, str] = {
    "SC-001": "BUSINESS_LICENSE",
    "SC-002": "BUSINESS_LICENSE",
    "SC-003": "FOOD_BUSINESS_PERMIT",
    "GA-004": "FIRE_SAFETY_INSPECTION",
    "ZF-001": "OUTDOOR_SIGNBOARD_PERMIT",
}
# Steps whose approval is a decision on the application (the fee must be paid first).
DECIDING_STEPS = frozenset({"decide", "approve"})
# How long the applicant has to pay an application's fee order.
FEE_ORDER_MINUTES = 7 * 24 * 60
LICENSE_CONTENT_TYPE = "application/vc+jwt"
_PERSONAL = frozenset({"applicant_name", "phone"})


def subject_of(application: Application) -> str:
    """Return the payment subject of an application."""
    return f"application:{application.id}"


def license_type_of(material: dict[str, Any]) -> str | None:
    """Return the license type code a material is linked to (None: not a license)."""
    linked = material.get("license_type")
    return str(linked).upper() if linked else None


def holder_of_account(session: Session, account_id: uuid.UUID) -> licenses.HolderRef | None:
    """Return the license holder an applicant's account is (None for officials)."""
    account = session.get(Account, account_id)
    if account is None:  # pragma: no cover - foreign key
        return None
    if account.kind is AccountKind.CITIZEN:
        return licenses.HolderRef(HolderKind.PERSON, account.id)
    if account.kind is AccountKind.ENTERPRISE:
        return licenses.HolderRef(HolderKind.ENTERPRISE, account.id)
    return None


# --- fees ------------------------------------------------------------------------------------


def raise_fee(session: Session, application: Application, matters: list[Matter]) -> None:
    """Raise the application's fee order when its matters charge; nothing when they are free."""
    charging = [m for m in matters if m.fee_fen > 0]
    if not charging:
        return
    department = catalog.instance_for(session, charging[0], application.division_code)
    collector = Principal(
        username="services",
        display_name="GovHub online services",
        roles=frozenset(),
        department_id=department.department_id,
    )
    item = "；".join(m.name_zh for m in charging)[:200]
    payments.create_order(
        session,
        principal=collector,
        data=OrderCreate(
            payer_id=application.applicant_id,
            subject=subject_of(application),
            item=item,
            amount_fen=sum(m.fee_fen for m in charging),
            expires_in_minutes=FEE_ORDER_MINUTES,
        ),
    )
    notices.to_applicant(
        session, application, NotificationKind.PAYMENT_DUE,
        amount=payments.yuan(sum(m.fee_fen for m in charging)),
    )  # fmt: skip


def require_fee_paid(session: Session, application: Application, task: Task, outcome: str) -> None:
    """Refuse an approving decision while the application's fee is unpaid (402)."""
    if outcome != Outcome.APPROVE or task.step not in DECIDING_STEPS:
        return
    if payments.order_for_subject(session, subject_of(application)) is None:
        return  # free of charge
    payments.require_paid(session, subject_of(application))


def payment_of(session: Session, application: Application) -> ApplicationPayment | None:
    """Return the application's fee order as its applicant sees it (None: free of charge)."""
    order = payments.order_for_subject(session, subject_of(application))
    if order is None:
        return None
    return ApplicationPayment(
        order_id=order.id,
        item=order.item,
        amount_fen=order.amount_fen,
        status=order.status.value,
        paid=payments.is_paid(session, subject_of(application)),
        cashier_url=payments.checkout_url(order),
    )


def renew_fee(
    session: Session, *, principal: Principal, application_id: uuid.UUID
) -> ApplicationPayment:
    """Raise a fresh fee order for one of the caller's undecided applications whose order
    expired or was cancelled unpaid; anything else is refused and changes nothing."""
    application = session.get(Application, application_id)
    if application is None or application.applicant_id != principal.account_id:
        raise NotFound("no such application")
    if application.status not in (ApplicationStatus.IN_REVIEW, ApplicationStatus.CORRECTION):
        raise Conflict("the application is already decided")
    matters = workflow_matters(session, application)
    if not any(m.fee_fen > 0 for m in matters):
        raise Conflict("the application charges no fee")
    if payments.is_paid(session, subject_of(application)):
        raise Conflict("the fee is already paid")
    order = payments.order_for_subject(session, subject_of(application))
    if order is not None and payments.checkout_url(order) is not None:
        raise Conflict("the fee order can still be paid", order=str(order.id))
    payments.expire_overdue(session)
    raise_fee(session, application, matters)
    payment = payment_of(session, application)
    if payment is None:  # pragma: no cover - an order was just raised
        raise NotFound("no such application")
    return payment


# --- licenses as materials -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProvidedLicense:
    """A license verified as one material of an application."""

    material_code: str
    license_id: uuid.UUID
    token: str


def _linked(matters: list[Matter]) -> dict[str, str]:
    """Material code → license type code, for the matters' license-linked materials."""
    linked: dict[str, str] = {}
    for matter in matters:
        for material in matter.materials:
            code = license_type_of(material)
            if code is not None:
                linked.setdefault(material["code"], code)
    return linked


def _wallet_tokens(session: Session, holder: licenses.HolderRef) -> dict[str, str]:
    """License type code → token of the holder's newest active license of that type."""
    held: dict[str, str] = {}
    for row in licenses.wallet(session, holder):
        if licenses.status_of(row) is LicenseStatus.ACTIVE:
            held.setdefault(row.type_code, row.token)
    return held


def provided_licenses(
    session: Session,
    *,
    principal: Principal,
    matters: list[Matter],
    tokens: dict[str, str],
) -> list[ProvidedLicense]:
    """Verify the licenses an application provides as materials, before anything is written.

    A token presented for a material must verify (`require_valid`: signature, revocation,
    holder, type); a material the applicant does not present is taken from their wallet when
    they hold an active license of its type. Other materials are left to upload or fetch."""
    linked = _linked(matters)
    unknown = sorted(set(tokens) - set(linked))
    if unknown:
        raise LicenseMismatch(
            f"no material of this application is a license: {', '.join(unknown)}",
            field="license_tokens",
        )
    holder = holder_of_account(session, principal.account_id) if principal.account_id else None
    if holder is None:
        if tokens:
            raise LicenseMismatch("only residents and enterprises hold licenses")
        return []
    held = _wallet_tokens(session, holder) if set(linked) - set(tokens) else {}
    provided = []
    for material_code, type_code in sorted(linked.items()):
        presented = tokens.get(material_code)
        token = presented or held.get(type_code)
        if token is None:
            continue
        try:
            result = licenses.require_valid(session, token, holder=holder, license_type=type_code)
        except InvalidInput:
            if presented is not None:
                raise  # a presented license that fails is refused
            continue  # a wallet license that fails is simply not used
        provided.append(ProvidedLicense(material_code, result.license_id, token))
    return provided


def attach_licenses(
    session: Session, application: Application, provided: list[ProvidedLicense]
) -> None:
    """Record verified licenses as provided materials of the application."""
    storage = get_storage()
    for item in provided:
        data = item.token.encode()
        material = Material(
            id=uuid.uuid4(),
            owner_id=application.applicant_id,
            application_id=application.id,
            material_code=item.material_code,
            filename=f"license-{item.license_id}.jwt",
            content_type=LICENSE_CONTENT_TYPE,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            storage_key=f"services/materials/{application.applicant_id}/{uuid.uuid4()}",
        )
        storage.put(material.storage_key, data)
        session.add(material)
    session.flush()


# --- licenses on approval --------------------------------------------------------------------


def _claims(form: dict[str, Any], matter: Matter, application: Application) -> dict[str, Any]:
    claims: dict[str, Any] = {
        k: v
        for k, v in form.items()
        if k not in _PERSONAL and isinstance(v, str | int | float | bool) and len(k) <= 64
    }
    claims["matter"] = matter.code
    claims["application"] = str(application.id)
    return claims


def issue_licenses(session: Session, application: Application) -> None:
    """Issue the licenses an approved application's matters produce (once per type)."""
    holder = holder_of_account(session, application.applicant_id)
    if holder is None:  # pragma: no cover - only residents and enterprises apply
        return
    done = {row.type_code for row in licenses.issued_for(session, application.id)}
    for matter in workflow_matters(session, application):
        code = LICENSED_MATTERS.get(matter.code)
        kind = licenses.get_type(session, code) if code else None
        if code is None or kind is None or code in done or kind.holder_kind is not holder.kind:
            continue
        form = application.form if application.matter_id else application.form.get(matter.code)
        department = catalog.instance_for(session, matter, application.division_code)
        licenses.issue(
            session,
            license_type=code,
            holder=holder,
            claims=_claims(form if isinstance(form, dict) else {}, matter, application),
            issuer_department_id=department.department_id,
            application_id=application.id,
        )
        notices.to_applicant(
            session, application, NotificationKind.LICENSE_ISSUED, license_type=code
        )
        done.add(code)


def workflow_matters(session: Session, application: Application) -> list[Matter]:
    """Return the matters of an application, in the bundle's order."""
    if application.matter_id is not None:
        matter = session.get(Matter, application.matter_id)
        return [matter] if matter is not None else []
    bundle = session.get(Bundle, application.bundle_id)
    codes = bundle.matter_codes if bundle is not None else []
    return [catalog.get_matter(session, code) for code in codes]


def issued_license_ids(session: Session, application: Application) -> list[uuid.UUID]:
    """Return the ids of the licenses issued on the application's approval."""
    return [row.id for row in licenses.issued_for(session, application.id)]


def _register() -> None:
    if issue_licenses not in workflow.on_approved:
        workflow.on_approved.append(issue_licenses)
    if require_fee_paid not in workflow.before_decision:
        workflow.before_decision.append(require_fee_paid)


_register()
