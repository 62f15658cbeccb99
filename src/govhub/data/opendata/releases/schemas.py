"""API schemas of the release gate."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from govhub.core.schemas import ReadSchema, Schema
from govhub.data.opendata.releases.models import ReleaseStatus

ColumnName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Label = Annotated[str, StringConstraints(max_length=200)]


class HierarchySpec(Schema):
    """How one quasi-identifier is generalized: a built-in kind, or explicit rows."""

    kind: Literal["suppression", "age", "interval", "division", "date", "rows"]
    widths: list[Annotated[float, Field(gt=0)]] | None = Field(default=None, max_length=8)
    rows: list[list[Label]] | None = Field(default=None, max_length=10000)


class ReleaseCreate(Schema):
    """A request to compute a de-identified release of a dataset version."""

    dataset_version_id: uuid.UUID
    quasi_identifiers: list[ColumnName] = Field(min_length=1, max_length=16)
    sensitive: list[ColumnName] = Field(default_factory=list, max_length=4)
    drop: list[ColumnName] = Field(default_factory=list, max_length=200)
    hierarchies: dict[ColumnName, HierarchySpec] = Field(default_factory=dict, max_length=16)
    k: int = Field(ge=2, le=100_000)
    l: int | None = Field(default=None, ge=2, le=100)  # noqa: E741 - the literature's name
    c: float | None = Field(default=None, gt=0, le=100)
    t: float | None = Field(default=None, gt=0, le=1)
    t_distance: Literal["equal", "ordered"] = "equal"
    suppression_limit: float = Field(default=0.0, ge=0, le=0.5)
    method: Literal["full_domain", "local"] = "full_domain"


class ReleaseSuggestion(ReadSchema):
    """Suggested roles of a dataset version's columns."""

    dataset_version_id: uuid.UUID
    columns: list[str]
    direct_identifiers: list[str]
    quasi_identifiers: list[str]
    sensitive: list[str]
    hierarchies: dict[str, str]


class ReleaseRead(ReadSchema):
    """A computed release: its parameters, risk, utility loss and the gate's decision."""

    id: uuid.UUID
    resource_id: uuid.UUID
    dataset_version_id: uuid.UUID
    status: ReleaseStatus
    method: str
    parameters: dict[str, Any]
    report: dict[str, Any]
    has_personal: bool
    threshold: float
    risk_highest: float
    publishable: bool
    digest: str
    row_count: int
    schema_: list[dict[str, Any]] = Field(alias="schema")
    created_at: datetime
    published_at: datetime | None
    withdrawn_at: datetime | None
