"""API schemas of data sharing: requests, decisions and grants."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from govhub.core.schemas import ReadSchema, Schema
from govhub.data.catalog.schemas import FieldName
from govhub.data.sharing.models import RequestStatus
from govhub.privacy.masking import MaskStyle
from govhub.privacy.policy import Generalization, Treatment

Purpose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=1000)]
LegalBasis = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]
ClientId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Scalar = Annotated[str, StringConstraints(max_length=200)] | int | float
MAX_DURATION_DAYS = 365


class Op(StrEnum):
    """Comparison operators a row condition may use."""

    EQ = "eq"
    NE = "ne"
    IN = "in"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    PREFIX = "prefix"
    WITHIN_DIVISION = "within_division"


class Condition(Schema):
    """One row condition of a grant; all conditions of a grant must hold (AND)."""

    field: FieldName
    op: Op
    value: Scalar | list[Scalar] = Field(union_mode="left_to_right")

    @model_validator(mode="after")
    def _value_fits_op(self) -> Self:
        if self.op is Op.IN:
            if not isinstance(self.value, list) or not 1 <= len(self.value) <= 1000:
                raise ValueError("'in' takes a list of 1 to 1000 values")
        elif isinstance(self.value, list):
            raise ValueError(f"'{self.op.value}' takes a single value")
        if self.op is Op.WITHIN_DIVISION and not (
            isinstance(self.value, str) and _is_division_code(self.value)
        ):
            raise ValueError("'within_division' takes a division code (6, 9 or 12 digits)")
        if self.op is Op.PREFIX and not (isinstance(self.value, str) and self.value):
            raise ValueError("'prefix' takes a non-empty text")
        return self


def _is_division_code(value: str) -> bool:
    return value.isdigit() and len(value) in (6, 9, 12)


class FieldTreatment(Schema):
    """How one field leaves the owner's domain."""

    treatment: Treatment
    mask_style: MaskStyle = MaskStyle.FULL
    generalization: Generalization | None = None
    legal_basis: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.treatment is Treatment.GENERALIZE and self.generalization is None:
            raise ValueError("a generalizing treatment names the generalization")
        if self.treatment is Treatment.CLEAR and not self.legal_basis:
            raise ValueError("clear text of a personal field needs a legal basis")
        return self


Fields = Annotated[list[FieldName], Field(min_length=1, max_length=200)]
Conditions = Annotated[list[Condition], Field(max_length=20)]
Treatments = Annotated[dict[FieldName, FieldTreatment], Field(max_length=200)]


class ShareRequestCreate(Schema):
    """What a department asks for."""

    resource_id: uuid.UUID
    client_id: ClientId
    fields: Fields
    row_filter: Conditions = Field(default_factory=list)
    treatments: Treatments = Field(default_factory=dict)
    purpose: Purpose
    legal_basis: LegalBasis
    duration_days: int = Field(ge=1, le=MAX_DURATION_DAYS)


class Outcome(StrEnum):
    """An owner's answer to a request."""

    APPROVE = "approve"
    REJECT = "reject"


class Decision(Schema):
    """An owner's decision; an approval may narrow the request, never widen it."""

    outcome: Outcome
    reason: str = Field(default="", max_length=1000)
    fields: list[FieldName] | None = Field(default=None, min_length=1, max_length=200)
    extra_conditions: Conditions = Field(default_factory=list)
    duration_days: int | None = Field(default=None, ge=1, le=MAX_DURATION_DAYS)
    treatments: Treatments | None = None

    @model_validator(mode="after")
    def _reason_for_rejection(self) -> Self:
        if self.outcome is Outcome.REJECT and not self.reason:
            raise ValueError("a rejection states its reason")
        return self


class Revocation(Schema):
    """Why a grant ends early."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=1000)]


class PartyRef(ReadSchema):
    """A department, by name."""

    id: uuid.UUID
    name: str


class ResourceRef(ReadSchema):
    """A catalog resource, by title."""

    id: uuid.UUID
    identifier: str
    title: str


class ShareRequestRead(ReadSchema):
    """A request as its two parties see it."""

    id: uuid.UUID
    resource: ResourceRef
    department: PartyRef
    client_id: str
    fields: list[str]
    row_filter: list[dict[str, Any]]
    purpose: str
    legal_basis: str
    duration_days: int
    status: RequestStatus
    created_at: datetime
    decided_at: datetime | None
    decision_reason: str
    grant_id: uuid.UUID | None = None


class GrantRead(ReadSchema):
    """A grant as its two parties see it."""

    id: uuid.UUID
    request_id: uuid.UUID
    resource: ResourceRef
    department: PartyRef
    client_id: str
    fields: list[str]
    field_policies: dict[str, dict[str, str]]
    row_filter: list[dict[str, Any]]
    purpose: str
    legal_basis: str
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoke_reason: str
    active: bool = False


class UsageDay(BaseModel):
    """Calls and rows of one day (UTC)."""

    day: str
    calls: int
    rows: int


class GrantUsage(BaseModel):
    """How a grant was used: who read how much, and when."""

    grant_id: uuid.UUID
    calls: int
    rows: int
    calls_by_kind: dict[str, int]
    last_at: datetime | None
    by_day: list[UsageDay]
