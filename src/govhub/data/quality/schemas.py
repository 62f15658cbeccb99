"""API schemas of quality assessment."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from govhub.core.schemas import ReadSchema


class RulesRead(BaseModel):
    """A resource's declared rules, the rules in force (derived + declared) and their digest."""

    resource_id: uuid.UUID
    declared: dict[str, Any]
    effective: dict[str, Any]
    digest: str
    updated_at: datetime | None = None


class CheckRead(BaseModel):
    """One check of an assessment; samples are masked or withheld by the viewer's scope."""

    name: str
    dimension: str
    failed: int
    evaluated: int
    columns: list[str] = []
    error: str | None = None
    samples: list[dict[str, Any]] = []


class AssessmentSummary(ReadSchema):
    """An assessment without its checks (an entry of the trend)."""

    id: uuid.UUID
    resource_id: uuid.UUID
    dataset_version: int
    row_count: int
    scores: dict[str, float]
    total: float
    grade: str
    rules_digest: str
    seconds: float
    created_at: datetime


class AssessmentRead(AssessmentSummary):
    """An assessment with every check's counts and failing-row samples."""

    checks: list[CheckRead]
