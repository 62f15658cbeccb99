"""Pages of one application: apply for a "one thing, one visit" bundle with one pre-filled form,
then follow the application per department, pay its fee, collect its licenses and rate it.

The bundle form is `prefill.bundle_form`: what the government holds (the account's real name,
the wallet's licenses, shared data) is shown as taken, never asked again; the rest is entered
once for every matter that needs it. Submission goes through `service.submit`, exactly as
`POST /api/v1/services/applications` with a `bundle_code`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from govhub.core.errors import GovHubError, InvalidInput, NotFound
from govhub.core.i18n import N_, gettext
from govhub.identity.deps import DbSession, MaybePrincipal
from govhub.identity.models import Department
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.licenses import service as licenses
from govhub.ratings import service as ratings
from govhub.ratings.models import Rating
from govhub.ratings.schemas import RatingCreate, Reason
from govhub.services import connections, prefill, service
from govhub.services.deps import Applicant, store_upload
from govhub.services.models import (
    Application,
    ApplicationStatus,
    Bundle,
    Matter,
    Task,
    TaskStatus,
)
from govhub.services.schemas import ApplicationCreate
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)

STATUS_LABELS: dict[str, str] = {
    ApplicationStatus.IN_REVIEW: N_("In review"),
    ApplicationStatus.CORRECTION: N_("Correction requested"),
    ApplicationStatus.APPROVED: N_("Approved"),
    ApplicationStatus.REJECTED: N_("Rejected"),
}
LEVEL_LABELS: dict[int, str] = {
    5: N_("Very satisfied"),
    4: N_("Satisfied"),
    3: N_("Basically satisfied"),
    2: N_("Dissatisfied"),
    1: N_("Very dissatisfied"),
}
REASON_LABELS: dict[str, str] = {
    Reason.SLOW: N_("Handling took too long"),
    Reason.REPEATED_VISITS: N_("Had to come back or resubmit"),
    Reason.UNCLEAR_GUIDE: N_("The office guide was wrong or unclear"),
    Reason.EXTRA_MATERIALS: N_("Materials beyond the guide were asked for"),
    Reason.POOR_ATTITUDE: N_("Poor attitude"),
    Reason.SYSTEM_PROBLEMS: N_("The platform failed or was hard to use"),
    Reason.OTHER: N_("Other (say what in the comment)"),
}
# Labels of the bundles' form fields whose schema has no title of its own (or a shared one).
FIELD_LABELS: dict[str, str] = {
    "business_name": N_("Business name"),
    "company_name": N_("Company name"),
    "scope": N_("Business scope"),
    "size_m2": N_("Signboard area (m²)"),
    "price_yuan": N_("Price (yuan)"),
    "child_name": N_("Child's name"),
    "birth_date": N_("Date of birth"),
    "employer": N_("Employer"),
    "bank_account": N_("Bank account"),
}
RATING_FIELDS = frozenset(
    {"matter_code", "overall", "efficiency", "guide_accuracy", "convenience", "usability",
     "reasons", "comment"}
)  # fmt: skip
# Refusals of the services and ratings domains, translated on the pages.
REFUSALS = (
    N_("an identical application is already under way"),
    N_("only a completed application can be rated"),
    N_("this service is already rated"),
    N_("this matter of the bundle was not handled"),
    N_("a bundle is rated per matter: give one of its matter codes"),
)


@dataclass(frozen=True, slots=True)
class Part:
    """Where one matter of an application stands at its department."""

    matter: Matter
    department: str
    status: ApplicationStatus
    decided_at: datetime | None
    comment: str | None


def problems(request: Request, exc: GovHubError | ValidationError) -> list[dict[str, str]]:
    """Turn a refusal into the field/message pairs a page shows, in the request's language."""
    locale = request_locale(request)
    if isinstance(exc, ValidationError):
        return [
            {"field": ".".join(map(str, e["loc"])), "message": gettext(locale, e["msg"])}
            for e in exc.errors()
        ]
    listed: list[dict[str, str]] = exc.extra.get("errors") or [{"field": "", "message": exc.detail}]
    return [{"field": e["field"], "message": gettext(locale, e["message"])} for e in listed]


# --- the bundle form -------------------------------------------------------------------------


def _bundle_page(
    request: Request,
    session: Session,
    principal: Principal | None,
    code: str,
    *,
    values: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    can_apply = principal is not None and principal.can(Permission.SERVICES_APPLY)
    form = prefill.bundle_form(
        session, principal=principal if can_apply else None, bundle_code=code
    )
    return render(
        request,
        "services/bundle.html",
        {
            "form": form,
            "can_apply": can_apply,
            "values": values or {},
            "errors": errors or [],
            "field_labels": FIELD_LABELS,
        },
        status_code=status_code,
    )


@router.get("/services/bundles/{code}", response_class=HTMLResponse)
def bundle_page(
    request: Request, session: DbSession, principal: MaybePrincipal, code: str
) -> Response:
    """Show a bundle's matters and, to residents and enterprises, its one pre-filled form."""
    return _bundle_page(request, session, principal, code)


def _check_uploads(form: prefill.BundleForm, posted: FormData) -> None:
    """Refuse, before anything is stored, when a material to upload is missing."""
    missing = [
        f"{m.code} ({m.name})"
        for m in form.materials
        if m.upload
        and not (isinstance(f := posted.get(f"material_{m.code}"), UploadFile) and f.filename)
    ]
    if missing:
        raise InvalidInput(
            "missing required materials: " + ", ".join(missing), field="document_ids"
        )


def _submit_bundle(
    session: Session, principal: Principal, form: prefill.BundleForm, posted: FormData
) -> Application:
    """Validate every section, store the uploads and submit, all or nothing."""
    raw = {k: v for k, v in posted.items() if isinstance(v, str)}
    sections = prefill.sections(form, raw)
    for matter in form.matters:
        service.validate_form(
            matter.form_schema, sections[matter.code], prefix=f"form.{matter.code}"
        )
    _check_uploads(form, posted)
    with session.begin_nested():
        documents = []
        for material in form.materials:
            upload = posted.get(f"material_{material.code}")
            if material.upload and isinstance(upload, UploadFile):
                documents.append(store_upload(session, principal, upload, material.code).id)
        data = ApplicationCreate(
            bundle_code=form.bundle.code,
            division_code=raw.get("division_code", ""),
            form=sections,
            document_ids=documents,
        )
        application, _ = service.submit(session, principal=principal, data=data)
    return application


@router.post("/services/bundles/{code}/apply", response_class=HTMLResponse)
async def apply_bundle(
    request: Request, session: DbSession, principal: Applicant, _: CsrfChecked, code: str
) -> Response:
    """Submit the bundle's combined form; a refusal re-shows it with what to fix."""
    form = prefill.bundle_form(session, principal=principal, bundle_code=code)
    async with request.form() as posted:
        raw = {k: v for k, v in posted.items() if isinstance(v, str)}
        try:
            application = _submit_bundle(session, principal, form, posted)
        except (ValidationError, GovHubError) as exc:
            if isinstance(exc, GovHubError) and exc.status >= 500:
                raise
            status_code = 422 if isinstance(exc, ValidationError) else exc.status
            return _bundle_page(request, session, principal, code, values=raw,
                                errors=problems(request, exc), status_code=status_code)  # fmt: skip
    return RedirectResponse(f"/services/applications/{application.id}", status_code=303)


# --- one application -------------------------------------------------------------------------


def _department_name(session: Session, department_id: uuid.UUID | None) -> str:
    department = session.get(Department, department_id) if department_id else None
    return department.name if department is not None else ""


def _part(session: Session, application: Application, matter: Matter, tasks: list[Task]) -> Part:
    department_id = next((t.department_id for t in tasks if t.department_id), None)
    if department_id is None:
        department_id = service.instance_for(
            session, matter, application.division_code
        ).department_id
    done = [t for t in tasks if t.status is TaskStatus.COMPLETED]
    last = done[-1] if done else None
    if application.bundle_id is None:
        status = application.status
    elif any(t.status is TaskStatus.OPEN for t in tasks):
        status = ApplicationStatus.IN_REVIEW
    elif last is not None and last.outcome == "reject":
        status = ApplicationStatus.REJECTED
    elif last is not None and last.outcome == "approve":
        status = ApplicationStatus.APPROVED
    else:
        status = application.status
    return Part(
        matter=matter,
        department=_department_name(session, department_id),
        status=status,
        decided_at=last.completed_at if last is not None and status in ratings.FINISHED else None,
        comment=last.comment if last is not None else None,
    )


def parts_of(session: Session, application: Application) -> list[Part]:
    """Return where each matter of the application stands at its department."""
    tasks = list(
        session.scalars(
            select(Task).where(Task.application_id == application.id).order_by(Task.created_at)
        )
    )
    matters = connections.workflow_matters(session, application)
    return [
        _part(
            session,
            application,
            matter,
            tasks if application.bundle_id is None else
            [t for t in tasks if t.matter_code == matter.code],
        )
        for matter in matters
    ]  # fmt: skip


def rateable(application: Application, parts: list[Part], rated: list[Rating]) -> list[Part]:
    """Return the parts of a completed application still to rate (bundles: per matter)."""
    if application.status not in ratings.FINISHED:
        return []
    done = {r.matter_code for r in rated}
    return [p for p in parts if p.matter.code not in done and p.status in ratings.FINISHED]


def application_page(
    request: Request,
    session: Session,
    principal: Principal,
    application_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    """Render one of the caller's applications, with the rating form when it is due."""
    application = service.get_own(session, principal=principal, application_id=application_id)
    read = service.to_read(session, application)
    parts = parts_of(session, application)
    rated = [r for r in ratings.list_own(session, principal=principal)
             if r.application_id == application.id]  # fmt: skip
    bundle = session.get(Bundle, application.bundle_id) if application.bundle_id else None
    named = bundle or (parts[0].matter if parts else None)
    english = request_locale(request) == "en"
    title = (named.name_en if english else named.name_zh) if named else str(application.id)
    issued = [
        licenses.to_read(session, row) for row in licenses.issued_for(session, application.id)
    ]
    return render(
        request,
        "services/application.html",
        {"application": read, "bundle": bundle, "title": title, "parts": parts, "issued": issued,
         "rated": rated, "to_rate": rateable(application, parts, rated),
         "values": values or {}, "errors": errors or [], "status_labels": STATUS_LABELS,
         "level_labels": LEVEL_LABELS, "reason_labels": REASON_LABELS},
        status_code=status_code,
    )  # fmt: skip


@router.get("/services/applications/{application_id}", response_class=HTMLResponse)
def application_detail(
    request: Request, session: DbSession, principal: Applicant, application_id: uuid.UUID
) -> Response:
    """Show one of your applications: each department's decision, the fee, the licenses
    issued and, once it is completed, the rating."""
    return application_page(request, session, principal, application_id)


@router.post("/services/applications/{application_id}/rating", response_class=HTMLResponse)
async def rate_application(
    request: Request,
    session: DbSession,
    principal: Applicant,
    _: CsrfChecked,
    application_id: uuid.UUID,
) -> Response:
    """Rate your completed application (bundles: one matter at a time) through
    `govhub.ratings`; a refusal re-shows the page with the reason and changes nothing."""
    async with request.form() as posted:
        values: dict[str, Any] = {
            k: v for k, v in posted.items() if isinstance(v, str) and k != "reasons"
        }
        values["reasons"] = [r for r in posted.getlist("reasons") if isinstance(r, str)]
    body = {k: v for k, v in values.items() if k in RATING_FIELDS and v != ""}
    try:
        data = RatingCreate.model_validate({**body, "application_id": str(application_id)})
        with session.begin_nested():
            ratings.rate(session, principal=principal, data=data)
    except (ValidationError, GovHubError) as exc:
        if isinstance(exc, NotFound) or (isinstance(exc, GovHubError) and exc.status >= 500):
            raise  # someone else's application looks like a missing one
        status_code = 422 if isinstance(exc, ValidationError) else exc.status
        return application_page(request, session, principal, application_id, values=values,
                                errors=problems(request, exc), status_code=status_code)  # fmt: skip
    return RedirectResponse(f"/services/applications/{application_id}#rating", status_code=303)
