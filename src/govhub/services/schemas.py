"""API schemas of online services."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from govhub.core.schemas import DivisionCode, ReadSchema, Schema
from govhub.identity.models import DepartmentType
from govhub.services.models import ApplicationStatus, OnlineDepth, TaskStatus


class MatterRead(ReadSchema):
    """A standardized matter with its office guide and form."""

    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    department_type: DepartmentType
    legal_basis: str
    conditions: str
    keywords: str
    materials: list[dict[str, Any]]
    fee_fen: int
    statutory_days: int
    promised_days: int
    promised_hours: int | None
    online_depth: OnlineDepth
    process_key: str
    form_schema: dict[str, Any]


class MatterHit(Schema):
    """A search result."""

    code: str
    name_zh: str
    name_en: str
    score: float


class BundleRead(ReadSchema):
    """A "one thing, one visit" bundle."""

    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    description: str
    matter_codes: list[str]


class MaterialRead(ReadSchema):
    """An uploaded document (its content stays in storage)."""

    id: uuid.UUID
    material_code: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class ApplicationCreate(Schema):
    """Apply for one matter (`matter_code`) or a bundle (`bundle_code`) in a division."""

    matter_code: str | None = Field(default=None, max_length=40)
    bundle_code: str | None = Field(default=None, max_length=40)
    division_code: DivisionCode
    form: dict[str, Any]
    document_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    # E-licenses presented as materials: material code → vc+jwt token (once-only; the wallet's
    # active licenses are used without being presented).
    license_tokens: dict[str, Annotated[str, Field(max_length=8000)]] = Field(
        default_factory=dict, max_length=20
    )


class CorrectionCreate(Schema):
    """A corrected form and any further documents, sent back after a correction request."""

    form: dict[str, Any]
    document_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class TaskRead(ReadSchema):
    """A workflow task in an inbox."""

    id: uuid.UUID
    application_id: uuid.UUID
    step: str
    matter_code: str
    department_id: uuid.UUID | None
    division_code: str
    status: TaskStatus
    created_at: datetime
    due_at: datetime
    remind_at: datetime | None
    reminded_at: datetime | None
    escalated_at: datetime | None
    completed_at: datetime | None
    outcome: str | None
    comment: str | None
    overdue: bool = False


class ApplicationPayment(Schema):
    """An application's fee order, as its applicant sees it (with where to pay while pending)."""

    order_id: uuid.UUID
    item: str
    amount_fen: int
    status: str
    paid: bool
    cashier_url: str | None


class ApplicationRead(ReadSchema):
    """An application and where it stands."""

    id: uuid.UUID
    matter_id: uuid.UUID | None
    bundle_id: uuid.UUID | None
    division_code: str
    form: dict[str, Any]
    status: ApplicationStatus
    reason: str | None
    submitted_at: datetime
    due_at: datetime
    decided_at: datetime | None
    tasks: list[TaskRead] = Field(default_factory=list)
    materials: list[MaterialRead] = Field(default_factory=list)
    fetched_materials: list[dict[str, Any]] = Field(default_factory=list)
    payment: ApplicationPayment | None = None
    license_ids: list[uuid.UUID] = Field(default_factory=list)


class Outcome(StrEnum):
    """What an official decides on a task."""

    ACCEPT = "accept"
    APPROVE = "approve"
    CORRECT = "correct"
    REJECT = "reject"


class TaskComplete(Schema):
    """An official's decision on a task; rejections and correction requests need a reason."""

    outcome: Outcome
    comment: str | None = Field(default=None, max_length=2000)


class TaskTransfer(Schema):
    """Route a task to the competent department of another division that offers the matter."""

    division_code: DivisionCode
    comment: str | None = Field(default=None, max_length=2000)


class StepMetrics(Schema):
    """Approval-cycle figures of one workflow step."""

    step: str
    completed: int
    open: int
    overdue: int
    mean_hours: float | None


class Statistics(Schema):
    """Applications by status and approval-cycle metrics, within the caller's department."""

    applications: dict[str, int]
    steps: list[StepMetrics]
    overdue_open_tasks: int
