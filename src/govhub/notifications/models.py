"""The notifications table: one message to one account, read or unread."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from govhub.core.db import Base, UUIDPrimaryKey, portable_enum, utcnow


class NotificationKind(StrEnum):
    """What a notification tells: applicants hear of their applications, officials of the
    tasks of their department."""

    APPLICATION_ACCEPTED = "application_accepted"
    CORRECTION_REQUESTED = "correction_requested"
    APPLICATION_APPROVED = "application_approved"
    APPLICATION_REJECTED = "application_rejected"
    APPLICATION_TRANSFERRED = "application_transferred"
    PAYMENT_DUE = "payment_due"
    LICENSE_ISSUED = "license_issued"
    TASK_REMINDER = "task_reminder"
    TASK_ESCALATED = "task_escalated"
    TASK_TRANSFERRED = "task_transferred"


class Notification(UUIDPrimaryKey, Base):
    """A message to one account about one subject (`application:<id>`)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient", "recipient_id", "read_at", "created_at"),)

    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(
        portable_enum(NotificationKind, "notification_kind")
    )
    subject: Mapped[str] = mapped_column(String(80))
    # Values the message shows (matter code, step, division); never personal data.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
