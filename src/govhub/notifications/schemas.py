"""API schemas of notifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from govhub.core.schemas import ReadSchema
from govhub.notifications.models import NotificationKind


class NotificationRead(ReadSchema):
    """A notification as its recipient sees it."""

    id: uuid.UUID
    kind: NotificationKind
    subject: str
    params: dict[str, Any]
    link: str
    created_at: datetime
    read_at: datetime | None


class NotificationsMarked(BaseModel):
    """How many notifications were marked read."""

    marked: int
