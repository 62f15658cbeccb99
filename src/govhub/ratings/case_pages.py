"""Officials' pages for rectification cases: the department's cases (open, overdue against the
working-day deadline, closed) and one case, where the office records the real-name return
visit and the rectification, appeals a mistaken review, and where an administrator decides
the appeal.

Access follows the ratings API: `ratings:handle` for the department's own cases,
`ratings:decide` for appeals within the division subtree. Another department's case answers
404 exactly like a missing one. Every action goes through `govhub.ratings.service`; a refused
one re-shows the case with the reason and changes nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from govhub.core.errors import GovHubError, NotFound
from govhub.core.i18n import N_, gettext
from govhub.identity.deps import DbSession, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ratings import service
from govhub.ratings.models import AppealStatus, CaseStatus, Rating, RectificationCase
from govhub.ratings.schemas import AppealCreate, AppealDecision, CaseClose, CaseRead, ReturnVisit
from govhub.ratings.settings import get_rating_settings
from govhub.services import service as services
from govhub.services.models import Application
from govhub.web.csrf import CSRF_FIELD, CsrfChecked
from govhub.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)

Handler = Annotated[Principal, Depends(require(Permission.RATINGS_HANDLE))]
Decider = Annotated[Principal, Depends(require(Permission.RATINGS_DECIDE))]
LIST_LIMIT = 200

CASE_STATUS_LABELS: dict[str, str] = {
    CaseStatus.OPEN: N_("Open: return visit due"),
    CaseStatus.VISITED: N_("Visited: rectification due"),
    CaseStatus.CLOSED: N_("Closed"),
}
APPEAL_LABELS: dict[str, str] = {
    AppealStatus.PENDING: N_("Appeal pending"),
    AppealStatus.UPHELD: N_("Appeal upheld: the rating no longer counts"),
    AppealStatus.DISMISSED: N_("Appeal dismissed"),
}
# Refusals of the ratings service, translated on the pages.
REFUSALS = (
    N_("no such case"),
    N_("the return visit is already recorded or the case is closed"),
    N_("a case closes only after its return visit and while it is open"),
    N_("an appeal on this case awaits its decision"),
    N_("this case is closed or was already appealed"),
    N_("this case has no appeal awaiting a decision"),
    N_("an appeal is decided by someone other than who filed it"),
)


def _matter_names(session: Session) -> dict[str, str]:
    return {m.code: m.name_zh for m in services.list_matters(session)}


@router.get("/rating-cases", response_class=HTMLResponse)
def cases_page(request: Request, session: DbSession, principal: Handler) -> Response:
    """List your department's cases: overdue first, then open, then closed; and, to those who
    decide appeals, the appeals awaiting a decision."""
    pending: list[CaseRead] = []
    for status in (CaseStatus.OPEN, CaseStatus.VISITED):
        rows, _ = service.inbox(session, principal=principal, status=status, limit=LIST_LIMIT)
        pending += [service.case_read(session, r) for r in rows]
    pending.sort(key=lambda c: c.due_at)
    closed_rows, closed_total = service.inbox(
        session, principal=principal, status=CaseStatus.CLOSED, limit=LIST_LIMIT
    )
    appeals = (
        [service.case_read(session, r) for r in service.appeals(session, principal=principal)]
        if principal.can(Permission.RATINGS_DECIDE)
        else []
    )
    return render(
        request,
        "ratings/cases.html",
        {"overdue": [c for c in pending if c.overdue],
         "open": [c for c in pending if not c.overdue],
         "closed": [service.case_read(session, r) for r in closed_rows],
         "closed_total": closed_total, "appeals": appeals,
         "names": _matter_names(session), "status_labels": CASE_STATUS_LABELS,
         "working_days": get_rating_settings().rectification_working_days},
    )  # fmt: skip


def _applicant_contact(session: Session, rating: Rating) -> dict[str, str]:
    """The applicant's name and phone as given on the rated application, for the visit."""
    application = session.get(Application, rating.application_id)
    form: dict[str, Any] = application.form if application is not None else {}
    section = form.get(rating.matter_code, form)
    if not isinstance(section, dict):  # pragma: no cover - forms are validated objects
        section = {}
    return {"name": str(section.get("applicant_name", "")), "phone": str(section.get("phone", ""))}


def case_page(
    request: Request,
    session: Session,
    principal: Principal,
    case_id: uuid.UUID,
    *,
    form: str = "",
    values: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    """Render one case with the forms its state allows to `principal`."""
    record = service.view_case(session, principal=principal, case_id=case_id)
    rating = session.get_one(Rating, record.rating_id)
    own = record.department_id == principal.department_id
    may_decide = (
        principal.can(Permission.RATINGS_DECIDE)
        and record.appeal_status is AppealStatus.PENDING
        and record.appealed_by != principal.account_id
        and record in service.appeals(session, principal=principal)
    )
    actions = {
        "return-visit": own and record.status is CaseStatus.OPEN,
        "close": own
        and record.status is CaseStatus.VISITED
        and record.appeal_status is not AppealStatus.PENDING,
        "appeal": own and record.status is not CaseStatus.CLOSED and record.appeal_status is None,
        "decision": may_decide,
    }
    return render(
        request,
        "ratings/case.html",
        {"case": service.case_read(session, record), "rating": rating,
         "contact": _applicant_contact(session, rating) if own else None,
         "visit_contact": record.visit_contact,
         "matter_name": _matter_names(session).get(rating.matter_code, rating.matter_code),
         "actions": actions, "form": form, "values": values or {}, "errors": errors or [],
         "status_labels": CASE_STATUS_LABELS, "appeal_labels": APPEAL_LABELS},
        status_code=status_code,
    )  # fmt: skip


@router.get("/rating-cases/{case_id}", response_class=HTMLResponse)
def case_detail(
    request: Request, session: DbSession, principal: Handler, case_id: uuid.UUID
) -> Response:
    """Show one case of your department (or one whose appeal you decide)."""
    return case_page(request, session, principal, case_id)


class Act(Protocol):
    """A ratings service function acting on a case."""

    def __call__(
        self, session: Session, *, principal: Principal, case_id: uuid.UUID, data: Any
    ) -> RectificationCase: ...


async def _act(
    request: Request,
    session: Session,
    principal: Principal,
    case_id: uuid.UUID,
    *,
    form: str,
    schema: type[BaseModel],
    act: Act,
) -> Response:
    """Parse the posted form with `schema`, run `act`; a refusal re-shows the case."""
    async with request.form() as posted:
        values = {k: v for k, v in posted.items() if isinstance(v, str) and k != CSRF_FIELD}
    try:
        data = schema.model_validate(values)
        with session.begin_nested():
            act(session, principal=principal, case_id=case_id, data=data)
    except (ValidationError, GovHubError) as exc:
        if isinstance(exc, NotFound) or (isinstance(exc, GovHubError) and exc.status >= 500):
            raise
        locale = request_locale(request)
        if isinstance(exc, ValidationError):
            errors = [{"field": ".".join(map(str, e["loc"])), "message": gettext(locale, e["msg"])}
                      for e in exc.errors()]  # fmt: skip
            status_code = 422
        else:
            errors = [{"field": "", "message": gettext(locale, exc.detail)}]
            status_code = exc.status
        return case_page(request, session, principal, case_id, form=form, values=values,
                         errors=errors, status_code=status_code)  # fmt: skip
    return RedirectResponse(f"/rating-cases/{case_id}", status_code=303)


@router.post("/rating-cases/{case_id}/return-visit", response_class=HTMLResponse)
async def visit_submit(
    request: Request, session: DbSession, principal: Handler, _: CsrfChecked, case_id: uuid.UUID
) -> Response:
    """Record the real-name return visit to the applicant."""
    return await _act(
        request,
        session,
        principal,
        case_id,
        form="return-visit",
        schema=ReturnVisit,
        act=service.record_visit,
    )


@router.post("/rating-cases/{case_id}/close", response_class=HTMLResponse)
async def close_submit(
    request: Request, session: DbSession, principal: Handler, _: CsrfChecked, case_id: uuid.UUID
) -> Response:
    """Close a visited case as rectified, with the measures taken."""
    return await _act(
        request, session, principal, case_id, form="close", schema=CaseClose, act=service.close
    )


@router.post("/rating-cases/{case_id}/appeal", response_class=HTMLResponse)
async def appeal_submit(
    request: Request, session: DbSession, principal: Handler, _: CsrfChecked, case_id: uuid.UUID
) -> Response:
    """Appeal against a mistaken review, with the reason."""
    return await _act(
        request, session, principal, case_id, form="appeal", schema=AppealCreate, act=service.appeal
    )


@router.post("/rating-cases/{case_id}/decision", response_class=HTMLResponse)
async def decision_submit(
    request: Request, session: DbSession, principal: Decider, _: CsrfChecked, case_id: uuid.UUID
) -> Response:
    """Decide an appeal: upheld excludes the rating from statistics and closes the case."""
    return await _act(
        request,
        session,
        principal,
        case_id,
        form="decision",
        schema=AppealDecision,
        act=service.decide,
    )
