"""Tables of the online-services domain: standardized matters and their per-division instances,
"one thing, one visit" bundles, applications, uploaded materials and workflow tasks."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govhub.core.db import Base, UUIDPrimaryKey, portable_enum, utcnow
from govhub.identity.models import DepartmentType


class OnlineDepth(StrEnum):
    """How far a matter can be handled online, from information only to fully online."""

    INFORMATION = "information"  # the office guide only
    DOWNLOAD = "download"  # forms to download
    ONLINE_APPLY = "online_apply"  # apply online, collect at the counter
    ONE_VISIT = "one_visit"  # at most one visit
    FULLY_ONLINE = "fully_online"  # no visit at all


class ApplicationStatus(StrEnum):
    """Where an application stands."""

    IN_REVIEW = "in_review"
    CORRECTION = "correction"  # returned to the applicant for correction
    APPROVED = "approved"
    REJECTED = "rejected"


class TaskStatus(StrEnum):
    """Whether a workflow task waits or is done."""

    OPEN = "open"
    COMPLETED = "completed"


class Matter(UUIDPrimaryKey, Base):
    """One standardized service matter, defined once and handled the same way everywhere."""

    __tablename__ = "service_matters"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    department_type: Mapped[DepartmentType] = mapped_column(
        portable_enum(DepartmentType, "service_department_type")
    )
    legal_basis: Mapped[str] = mapped_column(Text)
    conditions: Mapped[str] = mapped_column(Text)
    keywords: Mapped[str] = mapped_column(String(400), default="")
    # [{"code", "name", "required", "license_type"?, "resource"?}]
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fee_fen: Mapped[int] = mapped_column(default=0)
    statutory_days: Mapped[int]
    promised_days: Mapped[int]
    # A promised limit in hours instead of working days (None: `promised_days` applies).
    promised_hours: Mapped[int | None]
    online_depth: Mapped[OnlineDepth] = mapped_column(portable_enum(OnlineDepth, "online_depth"))
    process_key: Mapped[str] = mapped_column(String(80), default="matter_review")
    form_schema: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MatterInstance(UUIDPrimaryKey, Base):
    """A matter as offered in one division by its competent department there."""

    __tablename__ = "service_matter_instances"
    __table_args__ = (UniqueConstraint("matter_id", "division_code"),)

    matter_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service_matters.id", ondelete="CASCADE")
    )
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)


class Bundle(UUIDPrimaryKey, Base):
    """A "one thing, one visit" bundle: matters of several departments in one application."""

    __tablename__ = "service_bundles"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    matter_codes: Mapped[list[str]] = mapped_column(JSON, default=list)


class Application(UUIDPrimaryKey, Base):
    """A citizen's or enterprise's application for a matter or a bundle, with its workflow."""

    __tablename__ = "service_applications"
    __table_args__ = (
        UniqueConstraint("applicant_id", "idempotency_key"),
        Index("ix_service_applications_applicant", "applicant_id", "submitted_at"),
    )

    applicant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    matter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_matters.id"))
    bundle_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_bundles.id"))
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"))
    # The competent department of a single matter (bundles: one per task).
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"))
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    form_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[ApplicationStatus] = mapped_column(
        portable_enum(ApplicationStatus, "application_status"), index=True
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    # The SpiffWorkflow state, serialized as JSON between steps.
    workflow_state: Mapped[str] = mapped_column(Text)


class Material(UUIDPrimaryKey, Base):
    """An uploaded document, first the uploader's own, then attached to one application."""

    __tablename__ = "service_materials"

    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("service_applications.id", ondelete="CASCADE"), index=True
    )
    material_code: Mapped[str | None] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Task(UUIDPrimaryKey, Base):
    """A user task of an application's workflow, for a department's officials or the applicant."""

    __tablename__ = "service_tasks"
    __table_args__ = (
        Index("ix_service_tasks_inbox", "department_id", "status", "created_at"),
        Index("ix_service_tasks_application", "application_id"),
        Index("ix_service_tasks_timers", "status", "remind_at"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service_applications.id", ondelete="CASCADE")
    )
    spiff_id: Mapped[uuid.UUID]
    step: Mapped[str] = mapped_column(String(80))
    matter_code: Mapped[str] = mapped_column(String(40))
    # None for the applicant's own correction task.
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"))
    division_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[TaskStatus] = mapped_column(portable_enum(TaskStatus, "service_task_status"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    # The time-limit timers of the step (None: the process sets no timer on it).
    remind_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
