"""Tables of quality assessment: a resource's declared rules and the assessments of its versions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from govhub.core.db import Base, UUIDPrimaryKey, utcnow


class QualityRules(Base):
    """The declarative quality rules a department wrote for one resource (a rule document)."""

    __tablename__ = "data_quality_rules"

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )


class QualityAssessment(UUIDPrimaryKey, Base):
    """One assessment of one dataset version: scores, grade and per-check counts and samples."""

    __tablename__ = "data_quality_assessments"
    __table_args__ = (Index("ix_data_quality_assessments_resource_created", "resource_id",
                            "created_at"),)  # fmt: skip

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE")
    )
    dataset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_dataset_versions.id", ondelete="CASCADE"), index=True
    )
    dataset_version: Mapped[int]
    row_count: Mapped[int] = mapped_column(BigInteger)
    scores: Mapped[dict[str, float]] = mapped_column(JSON)
    total: Mapped[float]
    grade: Mapped[str] = mapped_column(String(1))
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rules_digest: Mapped[str] = mapped_column(String(80))
    seconds: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
