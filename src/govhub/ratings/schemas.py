"""API schemas of the ratings domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from govhub.core.schemas import ReadSchema, Schema
from govhub.ratings.models import AppealStatus, CaseStatus, Resolution

Level = Annotated[int, Field(ge=1, le=5)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
RealName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
BAD = 2  # ratings at or below this level open a rectification case


class Reason(StrEnum):
    """Why a service was rated badly (GB/T 39735 review reasons)."""

    SLOW = "slow"  # handling took too long
    REPEATED_VISITS = "repeated_visits"  # had to come back or resubmit
    UNCLEAR_GUIDE = "unclear_guide"  # the office guide was wrong or unclear
    EXTRA_MATERIALS = "extra_materials"  # materials beyond the guide were asked for
    POOR_ATTITUDE = "poor_attitude"
    SYSTEM_PROBLEMS = "system_problems"  # the platform failed or was hard to use
    OTHER = "other"


class StatsBy(StrEnum):
    """What the public statistics are grouped by."""

    MATTER = "matter"
    DEPARTMENT = "department"
    DIVISION = "division"


class RatingCreate(Schema):
    """A rating of a completed application (bundles: of one of its matters)."""

    application_id: uuid.UUID
    matter_code: Annotated[str, StringConstraints(max_length=40)] | None = None
    overall: Level
    efficiency: Level
    guide_accuracy: Level
    convenience: Level
    usability: Level
    reasons: list[Reason] = Field(default_factory=list, max_length=len(Reason))
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""

    @model_validator(mode="after")
    def _reasons_for_bad(self) -> RatingCreate:
        if self.overall <= BAD and not self.reasons:
            raise ValueError("a rating of 1 or 2 needs at least one reason")
        if Reason.OTHER in self.reasons and not self.comment:
            raise ValueError("the reason 'other' needs a comment")
        return self


class RatingRead(ReadSchema):
    """A submitted rating."""

    id: uuid.UUID
    application_id: uuid.UUID
    matter_code: str
    department_id: uuid.UUID
    division_code: str
    overall: int
    efficiency: int
    guide_accuracy: int
    convenience: int
    usability: int
    reasons: list[str]
    comment: str
    excluded: bool
    created_at: datetime
    case_id: uuid.UUID | None = None


class ReturnVisit(Schema):
    """The real-name return visit to the applicant."""

    contact_name: RealName
    notes: Text


class CaseClose(Schema):
    """What the office changed."""

    measures: Text


class AppealCreate(Schema):
    """The office's appeal against a mistaken review."""

    reason: Text


class AppealDecision(Schema):
    """An administrator's decision on an appeal."""

    upheld: bool
    reason: Text


class CaseRead(ReadSchema):
    """A rectification case with its rating."""

    id: uuid.UUID
    rating_id: uuid.UUID
    department_id: uuid.UUID
    division_code: str
    status: CaseStatus
    resolution: Resolution | None
    opened_at: datetime
    due_at: datetime
    overdue: bool = False
    visited_at: datetime | None
    visit_notes: str | None
    measures: str | None
    closed_at: datetime | None
    appeal_status: AppealStatus | None
    appeal_reason: str | None
    decision_reason: str | None
    decided_at: datetime | None
    matter_code: str = ""
    overall: int = 0
    reasons: list[str] = Field(default_factory=list)
    comment: str = ""


class StatsRow(ReadSchema):
    """Ratings of one matter, department or division (upheld appeals excluded)."""

    key: str
    name: str
    count: int
    satisfied: int  # levels 4 and 5
    dissatisfied: int  # levels 1 and 2
    satisfaction_rate: float  # satisfied / count, 0 when no ratings
    average: float
    levels: dict[str, int]  # "1".."5" → count
    dimensions: dict[str, float]  # average per online dimension


class Statistics(ReadSchema):
    """Public rating statistics."""

    by: StatsBy
    total: int
    satisfaction_rate: float
    rows: list[StatsRow]
