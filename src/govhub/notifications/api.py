"""HTTP API of notifications (`/api/v1/notifications`): every signed-in account reads and
marks its own; anyone else's notification answers exactly like one that does not exist."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from govhub.core.schemas import Page
from govhub.identity.deps import DbSession, ProfileRead
from govhub.notifications import service
from govhub.notifications.schemas import NotificationRead, NotificationsMarked

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


@router.get("", response_model=Page[NotificationRead])
def my_notifications(
    session: DbSession,
    principal: ProfileRead,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    """Your notifications, newest first (`unread=true`: only the unread ones)."""
    rows, total = service.list_own(
        session, principal=principal, unread_only=unread, limit=limit, offset=offset
    )
    items = [NotificationRead.model_validate(n) for n in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/read-all", response_model=NotificationsMarked)
def mark_all_read(session: DbSession, principal: ProfileRead) -> NotificationsMarked:
    """Mark all your unread notifications read."""
    return NotificationsMarked(marked=service.mark_all_read(session, principal=principal))


@router.post("/{notification_id}/read", response_model=NotificationRead)
def mark_read(
    session: DbSession, principal: ProfileRead, notification_id: uuid.UUID
) -> NotificationRead:
    """Mark one of your notifications read."""
    notification = service.mark_read(session, principal=principal, notification_id=notification_id)
    return NotificationRead.model_validate(notification)
