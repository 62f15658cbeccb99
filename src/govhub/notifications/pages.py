"""Pages of notifications: your list (mark one or all read) and the header's unread badge."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govhub.identity.deps import DbSession, MaybePrincipal, ProfileRead
from govhub.notifications import service
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, session: DbSession, principal: ProfileRead) -> Response:
    """List your notifications, newest first, the unread ones marked."""
    rows, total = service.list_own(session, principal=principal, limit=200)
    return render(
        request,
        "notifications/list.html",
        {"notifications": rows, "total": total, "messages": service.MESSAGES,
         "unread": service.unread_count(session, principal=principal)},
    )  # fmt: skip


@router.get("/notifications/badge", response_class=HTMLResponse)
def badge(request: Request, session: DbSession, principal: MaybePrincipal) -> Response:
    """The header's link to your notifications with the unread count (empty when signed out)."""
    if principal is None or principal.account_id is None:
        return HTMLResponse("")
    count = service.unread_count(session, principal=principal)
    return render(request, "notifications/badge.html", {"unread": count})


@router.post("/notifications/{notification_id}/read")
def read_page(
    session: DbSession, principal: ProfileRead, _: CsrfChecked, notification_id: uuid.UUID
) -> Response:
    """Mark a notification read and follow its link."""
    notification = service.mark_read(session, principal=principal, notification_id=notification_id)
    return RedirectResponse(notification.link or "/notifications", status_code=303)


@router.post("/notifications/read-all")
def read_all_page(session: DbSession, principal: ProfileRead, _: CsrfChecked) -> Response:
    """Mark all your notifications read."""
    service.mark_all_read(session, principal=principal)
    return RedirectResponse("/notifications", status_code=303)
