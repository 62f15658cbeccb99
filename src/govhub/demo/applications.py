"""Demo applications in every state, submitted and decided through the real services.

Each application goes through `govhub.services` (submission, the SpiffWorkflow process,
officials' decisions), `govhub.payments` (the sandbox cashier) and, on approval,
`govhub.licenses`, so workflow state, ledger entries, fee orders and licenses are genuine.
Applications carry the idempotency key `demo-<n>`: a second load finds them and adds nothing.
Some finished applications are rated; ratings of 1 or 2 open rectification cases.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import Conflict
from govhub.identity.models import Account, AccountKind
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.payments import service as payments
from govhub.ratings import service as ratings
from govhub.ratings.schemas import RatingCreate
from govhub.services import catalog, workflow
from govhub.services import service as services
from govhub.services.connections import subject_of
from govhub.services.models import Application, Task, TaskStatus
from govhub.services.schemas import ApplicationCreate, Outcome, TaskComplete

KEY_PREFIX = "demo-"
# Matters whose materials are all fetched (e-licenses, shared data): no uploads needed.
CITIZEN_MATTERS = ("GA-003", "MZ-001", "MZ-004", "SW-002", "RS-002", "WS-002")
# Enterprises also register and get food permits, which issue e-licenses when approved.
ENTERPRISE_MATTERS = ("SW-001", "SW-003", "HB-003", "SC-001", "SC-003", "SC-003")
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# Target states, in rotation: (state, weight).
STATES = (
    ("in_review", 3), ("correction", 1), ("approved", 4), ("rejected", 1),
    ("awaiting_payment", 1), ("paid", 1),
)  # fmt: skip
FEE_MATTER = "GA-003"
RATED_SHARE = 3  # one finished application in three is rated
# Fees the demo charges on the restaurant bundle (fen). Registration, the food business permit
# and the fire inspection are free of charge in China; a city may charge for the use of public
# space by an outdoor signboard, so the demo city does.
DEMO_FEES = {"ZF-001": 20000}

Progress = Callable[[str, int, int], None]

_TEXT = {
    "business_name": "示范小店", "address": "示范路 1 号", "scope": "零售", "reason": "有效期满",
    "partner_name": "李小红", "date": "2026-05-20", "bank_account": "6222020000000000",
    "request": "本区年度预算执行情况", "change": "经营地址", "accountant": "张会计",
    "expected_date": "2026-09-01", "occupation": "电工", "employer": "示范公司",
}  # fmt: skip


def apply_fees(session: Session) -> None:
    """Give the demo's charging matters their fee, unless one was set already."""
    for code, fen in DEMO_FEES.items():
        matter = catalog.get_matter(session, code)
        if matter.fee_fen == 0:
            matter.fee_fen = fen
    session.flush()


def _form(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """Return a valid form for `schema` (the demo's fixed answers)."""
    form: dict[str, Any] = {}
    for key, spec in schema["properties"].items():
        if key == "applicant_name":
            form[key] = name[:50] if len(name) >= 2 else "示范申请人"
        elif key == "phone":
            form[key] = "13800138000"
        elif spec.get("type") == "integer":
            form[key] = max(int(spec.get("minimum", 1)), 2024 if key == "year" else 1)
        elif spec.get("type") == "number":
            form[key] = 60
        else:
            form[key] = _TEXT.get(key, "示范")
    return form


def _uploads(
    session: Session, principal: Principal, materials: list[dict[str, Any]]
) -> list[uuid.UUID]:
    """Upload a small PDF for each required material the government does not hold."""
    return [
        services.upload(
            session,
            principal=principal,
            filename=f"{m['code']}.pdf",
            content_type="application/pdf",
            data=PDF,
            material_code=m["code"],
        ).id
        for m in materials
        if m.get("required") and not m.get("license_type") and not m.get("resource")
    ]


def _principal(account: Account) -> Principal:
    role = Role.CITIZEN if account.kind is AccountKind.CITIZEN else Role.ENTERPRISE
    return Principal(
        username=account.username,
        display_name=account.display_name,
        roles=frozenset({role}),
        account_id=account.id,
        kind=account.kind,
    )


class _Officials:
    """One approving official per department, looked up once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[uuid.UUID, Principal] = {}

    def of(self, department_id: uuid.UUID) -> Principal:
        if department_id not in self.cache:
            account = self.session.scalars(
                select(Account)
                .where(Account.department_id == department_id)
                .order_by(Account.username)
                .limit(1)
            ).first()
            self.cache[department_id] = Principal(
                username=account.username if account else "demo-approver",
                display_name=account.display_name if account else "Demo approver",
                roles=frozenset({Role.OFFICIAL, Role.APPROVER}),
                account_id=account.id if account else None,
                kind=AccountKind.OFFICIAL,
                department_id=department_id,
            )
        return self.cache[department_id]


def _open_tasks(session: Session, application: Application) -> list[Task]:
    return list(
        session.scalars(
            select(Task)
            .where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
            .order_by(Task.created_at, Task.id)
        )
    )


def _decide(session: Session, officials: _Officials, application: Application, state: str) -> None:
    """Drive the application's process to `state` with officials' decisions."""
    if state in ("in_review", "awaiting_payment", "paid"):
        return
    for _ in range(10):
        tasks = _open_tasks(session, application)
        if not tasks:
            return
        task = tasks[0]
        if task.department_id is None:  # pragma: no cover - every demo task has a department
            return
        if state == "correction":
            outcome, comment = Outcome.CORRECT, "请补充更清晰的经营场所说明"
        elif state == "rejected":
            outcome, comment = Outcome.REJECT, "申请人不符合办理条件"
        else:
            outcome = Outcome.ACCEPT if task.step == "accept" else Outcome.APPROVE
            comment = None
        workflow.complete(
            session,
            principal=officials.of(task.department_id),
            task_id=task.id,
            data=TaskComplete(outcome=outcome, comment=comment),
        )
        if state in ("correction", "rejected"):
            return


def _pay(session: Session, principal: Principal, application: Application) -> None:
    order = payments.order_for_subject(session, subject_of(application))
    if order is not None:
        payments.sandbox_pay(session, principal=principal, order_id=order.id, succeed=True)


def _rate(session: Session, principal: Principal, application: Application, n: int) -> None:
    level = (5, 5, 4, 5, 3, 4, 5, 2, 5, 1)[n % 10]
    reasons = ["slow"] if level <= 2 else []
    data = RatingCreate.model_validate(
        {
            "application_id": str(application.id),
            "overall": level,
            "efficiency": level,
            "guide_accuracy": max(level, 3),
            "convenience": level,
            "usability": max(level, 2),
            "reasons": reasons,
            "comment": "办理太慢，多次补正" if reasons else "",
        }
    )
    ratings.rate(session, principal=principal, data=data)


def _states(count: int) -> list[str]:
    wheel = [state for state, weight in STATES for _ in range(weight)]
    return [wheel[n % len(wheel)] for n in range(count)]


def load_applications(
    session: Session,
    *,
    citizens: list[uuid.UUID],
    enterprises: list[uuid.UUID],
    count: int,
    seed: int,
    progress: Progress,
) -> int:
    """Submit and decide `count` demo applications that are not there yet; return how many."""
    keys = [f"{KEY_PREFIX}{n}" for n in range(count)]
    present = set(
        session.scalars(
            select(Application.idempotency_key).where(Application.idempotency_key.in_(keys))
        )
    ) if keys else set()  # fmt: skip
    todo = [n for n in range(count) if keys[n] not in present]
    progress("applications", 0, len(todo))
    if not todo:
        return 0
    accounts = {
        a.id: a
        for a in session.scalars(select(Account).where(Account.id.in_(citizens + enterprises)))
    }
    people = [accounts[i] for i in citizens if i in accounts]
    firms = [accounts[i] for i in enterprises if i in accounts]
    matters = {code: catalog.get_matter(session, code)
               for code in {*CITIZEN_MATTERS, *ENTERPRISE_MATTERS}}  # fmt: skip
    divisions = {code: [d for d, _ in catalog.divisions_of(session, m)]
                 for code, m in matters.items()}  # fmt: skip
    officials = _Officials(session)
    states = _states(count)
    done = 0
    for n in todo:
        state = states[n]
        rng_n = random.Random(seed * 100003 + n)  # noqa: S311 - demo data, not secrets
        if state in ("awaiting_payment", "paid") or not firms or (people and n % 3):
            applicant = people[rng_n.randrange(len(people))]
            code = FEE_MATTER if state in ("awaiting_payment", "paid") else (
                CITIZEN_MATTERS[rng_n.randrange(len(CITIZEN_MATTERS))])  # fmt: skip
        else:
            applicant = firms[rng_n.randrange(len(firms))]
            code = ENTERPRISE_MATTERS[rng_n.randrange(len(ENTERPRISE_MATTERS))]
        offered = divisions[code]
        if not offered:
            continue
        principal = _principal(applicant)
        data = ApplicationCreate(
            matter_code=code,
            division_code=offered[rng_n.randrange(len(offered))],
            form=_form(matters[code].form_schema, applicant.display_name),
            document_ids=_uploads(session, principal, matters[code].materials),
        )
        try:
            application, _ = services.submit(
                session, principal=principal, data=data, idempotency_key=keys[n]
            )
        except Conflict:  # the same applicant already has this very application under way
            continue
        if state == "paid" or (state == "approved" and code == FEE_MATTER):
            _pay(session, principal, application)
        _decide(session, officials, application, state)
        if state in ("approved", "rejected") and n % RATED_SHARE == 0:
            _rate(session, principal, application, n)
        done += 1
        if done % 50 == 0:
            progress("applications", done, len(todo))
    progress("applications", done, len(todo))
    return done
