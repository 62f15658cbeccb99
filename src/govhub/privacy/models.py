"""Consents: a person's recorded permission for a department to read their own records."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.core.db import Base, UUIDPrimaryKey, utcnow
from govhub.identity.models import Department


class Consent(UUIDPrimaryKey, Base):
    """A citizen's or enterprise's consent: which department may read which resources, why,
    and until when; withdrawn at any time."""

    __tablename__ = "privacy_consents"
    __table_args__ = (Index("ix_privacy_consents_reader", "department_id", "account_id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"))
    resource_ids: Mapped[list[str]] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(500))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]

    department: Mapped[Department] = relationship(lazy="joined")

    def is_active(self, now: datetime) -> bool:
        """Tell whether the consent holds at `now`."""
        return self.withdrawn_at is None and now < self.expires_at
