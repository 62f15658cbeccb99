"""Tables of the ratings domain: one rating per completed application (per matter in a bundle)
and the rectification case a bad rating opens for the handling office."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govhub.core.db import Base, UUIDPrimaryKey, portable_enum, utcnow

LEVELS = ("overall", "efficiency", "guide_accuracy", "convenience", "usability")


class CaseStatus(StrEnum):
    """Where a rectification case stands."""

    OPEN = "open"
    VISITED = "visited"  # the real-name return visit is recorded
    CLOSED = "closed"


class Resolution(StrEnum):
    """How a closed case ended."""

    RECTIFIED = "rectified"
    EXCLUDED = "excluded"  # an appeal was upheld: the rating was a mistaken review


class AppealStatus(StrEnum):
    """Whether the office appealed and how the appeal was decided."""

    PENDING = "pending"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class Rating(UUIDPrimaryKey, Base):
    """An applicant's rating of one completed matter: five levels overall and per dimension."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("application_id", "matter_code"),
        Index("ix_ratings_department", "department_id", "excluded"),
        *(CheckConstraint(f"{level} BETWEEN 1 AND 5", name=f"{level}_level") for level in LEVELS),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service_applications.id", ondelete="CASCADE")
    )
    applicant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    matter_code: Mapped[str] = mapped_column(String(40), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    overall: Mapped[int]
    efficiency: Mapped[int]
    guide_accuracy: Mapped[int]
    convenience: Mapped[int]
    usability: Mapped[int]
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    # True once an appeal against the rating is upheld: it no longer counts in statistics.
    excluded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def levels(self) -> dict[str, Any]:
        """Return the five levels by name."""
        return {level: getattr(self, level) for level in LEVELS}


class RectificationCase(UUIDPrimaryKey, Base):
    """The case a rating of 1 or 2 opens, owned by the office that handled the matter."""

    __tablename__ = "rating_cases"
    __table_args__ = (Index("ix_rating_cases_inbox", "department_id", "status", "due_at"),)

    rating_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ratings.id", ondelete="CASCADE"), unique=True
    )
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"))
    division_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[CaseStatus] = mapped_column(portable_enum(CaseStatus, "rating_case_status"))
    resolution: Mapped[Resolution | None] = mapped_column(
        portable_enum(Resolution, "rating_case_resolution")
    )
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    visited_at: Mapped[datetime | None]
    visited_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    visit_contact: Mapped[str | None] = mapped_column(String(60))  # the real name reached
    visit_notes: Mapped[str | None] = mapped_column(Text)
    measures: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    appeal_status: Mapped[AppealStatus | None] = mapped_column(
        portable_enum(AppealStatus, "rating_appeal_status")
    )
    appeal_reason: Mapped[str | None] = mapped_column(Text)
    appealed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    appealed_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None]
