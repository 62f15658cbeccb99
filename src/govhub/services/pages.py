"""Pages of online services: find a matter, read its guide and apply, follow your
applications, and the officials' task inbox."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile

from govhub.core.errors import GovHubError
from govhub.identity.deps import DbSession, MaybePrincipal
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ratings import service as ratings
from govhub.services import service
from govhub.services.deps import Applicant, Approver, store_upload
from govhub.services.models import Application, Matter, Task
from govhub.services.proactive import service as proactive
from govhub.services.proactive.models import InvitationStatus
from govhub.services.schemas import ApplicationCreate, Outcome, TaskComplete, TaskTransfer
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/services", response_class=HTMLResponse)
def search_page(
    request: Request,
    session: DbSession,
    principal: MaybePrincipal,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Search matters and list the "one thing, one visit" bundles."""
    hits = service.search(session, q) if q.strip() else []
    return render(
        request,
        "services/search.html",
        {"q": q, "hits": hits, "bundles": service.list_bundles(session),
         "matters": service.list_matters(session) if not q.strip() else []},
    )  # fmt: skip


def _uploads(matter: Matter) -> list[dict[str, Any]]:
    return [m for m in matter.materials if not m.get("license_type") and not m.get("resource")]


def _coerce(schema: dict[str, Any], raw: dict[str, str]) -> dict[str, Any]:
    """Turn the posted strings into the types the form's schema declares."""
    form: dict[str, Any] = {}
    for name, spec in schema.get("properties", {}).items():
        value = raw.get(name, "").strip()
        if value == "":
            continue
        kind = spec.get("type")
        try:
            form[name] = (
                int(value) if kind == "integer" else float(value) if kind == "number" else value
            )
        except ValueError:
            form[name] = value  # the schema check names the field
    return form


def _matter_page(
    request: Request,
    session: DbSession,
    principal: MaybePrincipal,
    code: str,
    *,
    values: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    matter = service.get_matter(session, code)
    can_apply = principal is not None and principal.can(Permission.SERVICES_APPLY)
    return render(
        request,
        "services/matter.html",
        {"matter": matter, "can_apply": can_apply, "uploads": _uploads(matter),
         "fetched": service.fetched_materials([matter]), "values": values or {},
         "errors": errors or [], "divisions": service.divisions_of(session, matter)},
        status_code=status_code,
    )  # fmt: skip


@router.get("/services/matters/{code}", response_class=HTMLResponse)
def matter_page(
    request: Request, session: DbSession, principal: MaybePrincipal, code: str
) -> Response:
    """Show a matter's office guide and, to residents and enterprises, its application form."""
    return _matter_page(request, session, principal, code)


def _submit_posted(
    session: DbSession, principal: Principal, matter: Matter, posted: FormData
) -> tuple[dict[str, str], list[dict[str, str]], int] | None:
    """Store the posted materials and submit; return what to re-show when it fails."""
    raw = {k: v for k, v in posted.items() if isinstance(v, str)}
    try:
        documents = []
        for material in _uploads(matter):
            upload = posted.get(f"material_{material['code']}")
            if isinstance(upload, UploadFile) and upload.filename:
                documents.append(store_upload(session, principal, upload, material["code"]).id)
        data = ApplicationCreate(
            matter_code=matter.code,
            division_code=raw.get("division_code", ""),
            form=_coerce(matter.form_schema, raw),
            document_ids=documents,
        )
        service.submit(session, principal=principal, data=data)
    except ValidationError as exc:
        session.rollback()
        errors = [
            {"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
        ]
        return raw, errors, 422
    except GovHubError as exc:
        if exc.status >= 500:
            raise
        session.rollback()
        errors = exc.extra.get("errors") or [{"field": "", "message": exc.detail}]
        return raw, errors, exc.status
    return None


@router.post("/services/matters/{code}/apply", response_class=HTMLResponse)
async def apply_page(
    request: Request, session: DbSession, principal: Applicant, _: CsrfChecked, code: str
) -> Response:
    """Upload the materials and submit the application; errors re-show the form."""
    matter = service.get_matter(session, code)
    async with request.form() as posted:
        failure = _submit_posted(session, principal, matter, posted)
    if failure is not None:
        values, errors, status_code = failure
        return _matter_page(request, session, principal, code, values=values, errors=errors,
                            status_code=status_code)  # fmt: skip
    return RedirectResponse("/services/mine", status_code=303)


@router.get("/services/mine", response_class=HTMLResponse)
def my_applications(request: Request, session: DbSession, principal: Applicant) -> Response:
    """List your applications and where each stands."""
    rows = [service.to_read(session, a) for a in service.list_own(session, principal=principal)]
    names = {m.id: m.name_zh for m in service.list_matters(session)}
    pending = len(
        proactive.list_invitations(session, principal=principal, status=InvitationStatus.PENDING)
    )
    rated = {r.application_id for r in ratings.list_own(session, principal=principal)}
    context = {"applications": rows, "names": names, "invitations": pending, "rated": rated}
    return render(request, "services/mine.html", context)


def _transfer_targets(session: DbSession, tasks: list[Task]) -> dict[uuid.UUID, list[Any]]:
    """For each task of a single matter, the other divisions that offer its matter."""
    ids = {t.application_id for t in tasks}
    single = set(
        session.scalars(
            select(Application.id).where(
                Application.id.in_(ids), Application.matter_id.is_not(None)
            )
        )
    )
    offered: dict[str, list[tuple[str, str]]] = {}
    targets: dict[uuid.UUID, list[Any]] = {}
    for task in tasks:
        if task.application_id not in single:
            continue
        if task.matter_code not in offered:
            matter = service.get_matter(session, task.matter_code)
            offered[task.matter_code] = service.divisions_of(session, matter)
        targets[task.id] = [d for d in offered[task.matter_code] if d[0] != task.division_code]
    return targets


@router.get("/services/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, session: DbSession, principal: Approver) -> Response:
    """Your department's open tasks, oldest first, with overdue flags and statistics."""
    tasks, total = service.inbox(session, principal=principal, limit=100)
    return render(
        request,
        "services/inbox.html",
        {"tasks": [service.task_read(t) for t in tasks], "total": total,
         "stats": service.statistics(session, principal=principal),
         "outcomes": service.STEP_OUTCOMES, "targets": _transfer_targets(session, tasks)},
    )  # fmt: skip


@router.post("/services/tasks/{task_id}/complete", response_class=HTMLResponse)
def complete_page(
    session: DbSession,
    principal: Approver,
    _: CsrfChecked,
    task_id: uuid.UUID,
    outcome: Annotated[Outcome, Form()],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Decide on a task of your department and return to the inbox."""
    decision = TaskComplete(outcome=outcome, comment=comment.strip() or None)
    service.complete(session, principal=principal, task_id=task_id, data=decision)
    return RedirectResponse("/services/inbox", status_code=303)


@router.post("/services/tasks/{task_id}/transfer", response_class=HTMLResponse)
def transfer_page(
    session: DbSession,
    principal: Approver,
    _: CsrfChecked,
    task_id: uuid.UUID,
    division_code: Annotated[str, Form(pattern=r"^\d{6}(\d{3}){0,2}$")],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Route a task of your department to another division and return to the inbox."""
    data = TaskTransfer(division_code=division_code, comment=comment.strip() or None)
    service.transfer(session, principal=principal, task_id=task_id, data=data)
    return RedirectResponse("/services/inbox", status_code=303)
