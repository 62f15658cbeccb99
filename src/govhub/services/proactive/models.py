"""Tables of proactive services: the rules (data, not code) and the invitations they send."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govhub.core.db import Base, UUIDPrimaryKey, portable_enum, utcnow


class InvitationStatus(StrEnum):
    """Where an invitation stands."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ProactiveRule(UUIDPrimaryKey, Base):
    """ "When a record arrives in resource R, invite the people it names to apply for matter M".

    `definition` holds a validated `RuleDefinition`: which columns name the people (resident
    ID numbers), which identify the record and its division, optional recency and equality
    conditions, and which form fields are pre-filled from which columns.
    """

    __tablename__ = "service_proactive_rules"

    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    matter_code: Mapped[str] = mapped_column(ForeignKey("service_matters.code"))
    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invitation(UUIDPrimaryKey, Base):
    """An invitation to one person to apply for a matter, with the form pre-filled from data.

    One per rule, person and triggering record (`trigger_key`, a keyed hash of the record's
    identifier, never the identifier itself), however often the data arrives again."""

    __tablename__ = "service_invitations"
    __table_args__ = (
        UniqueConstraint("rule_id", "account_id", "trigger_key"),
        Index("ix_service_invitations_account", "account_id", "created_at"),
    )

    rule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service_proactive_rules.id", ondelete="CASCADE")
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    trigger_key: Mapped[str] = mapped_column(String(64))
    matter_code: Mapped[str] = mapped_column(ForeignKey("service_matters.code"))
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"))
    # The pre-filled form values and the dataset version they were taken from.
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_version: Mapped[int]
    status: Mapped[InvitationStatus] = mapped_column(
        portable_enum(InvitationStatus, "invitation_status")
    )
    application_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("service_applications.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]
    # When the invitee consented to the use of the pre-filled data (on acceptance).
    consent_at: Mapped[datetime | None]
