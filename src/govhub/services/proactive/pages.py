"""Pages of proactive services: a resident's invitations, accepted with consent or declined."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from govhub.core.errors import GovHubError
from govhub.identity.deps import DbSession
from govhub.identity.principal import Principal
from govhub.services import catalog
from govhub.services.deps import Applicant
from govhub.services.pages import _coerce
from govhub.services.proactive import service
from govhub.services.proactive.models import InvitationStatus
from govhub.services.proactive.schemas import InvitationAccept
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    failed: uuid.UUID | None = None,
    values: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    invitations = service.list_invitations(session, principal=principal)
    matters = {i.matter_code: catalog.get_matter(session, i.matter_code) for i in invitations}
    return render(
        request,
        "services/invitations.html",
        {"invitations": invitations, "matters": matters, "pending": InvitationStatus.PENDING,
         "failed": failed, "values": values or {}, "errors": errors or []},
        status_code=status_code,
    )  # fmt: skip


@router.get("/services/invitations", response_class=HTMLResponse)
def invitations_page(request: Request, session: DbSession, principal: Applicant) -> Response:
    """List your invitations: what the government already knows, and what is left to fill."""
    return _page(request, session, principal)


def _accept(
    session: DbSession, principal: Principal, invitation_id: uuid.UUID, raw: dict[str, str]
) -> tuple[list[dict[str, str]], int] | None:
    """Accept with the posted fields; return the errors to show when it fails."""
    try:
        invitation = service.get_invitation(
            session, principal=principal, invitation_id=invitation_id
        )
        schema: dict[str, Any] = catalog.get_matter(session, invitation.matter_code).form_schema
        form = {k: v for k, v in _coerce(schema, raw).items() if k not in invitation.form}
        data = InvitationAccept(consent=raw.get("consent") == "yes", form=form)
        service.accept(session, principal=principal, invitation_id=invitation_id, data=data)
    except ValidationError as exc:
        session.rollback()
        return [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]}
                for e in exc.errors()], 422  # fmt: skip
    except GovHubError as exc:
        if exc.status >= 500 or exc.status == 404:
            raise
        session.rollback()
        return exc.extra.get("errors") or [{"field": "", "message": exc.detail}], exc.status
    return None


@router.post("/services/invitations/{invitation_id}/accept", response_class=HTMLResponse)
async def accept_page(
    request: Request,
    session: DbSession,
    principal: Applicant,
    _: CsrfChecked,
    invitation_id: uuid.UUID,
) -> Response:
    """Consent and apply with the pre-filled form; errors re-show the page."""
    async with request.form() as posted:
        raw = {k: v for k, v in posted.items() if isinstance(v, str)}
    failure = _accept(session, principal, invitation_id, raw)
    if failure is not None:
        errors, status_code = failure
        return _page(request, session, principal, failed=invitation_id, values=raw,
                     errors=errors, status_code=status_code)  # fmt: skip
    return RedirectResponse("/services/mine", status_code=303)


@router.post("/services/invitations/{invitation_id}/decline", response_class=HTMLResponse)
def decline_page(
    session: DbSession, principal: Applicant, _: CsrfChecked, invitation_id: uuid.UUID
) -> Response:
    """Decline an invitation and return to the list."""
    service.decline(session, principal=principal, invitation_id=invitation_id)
    return RedirectResponse("/services/invitations", status_code=303)
