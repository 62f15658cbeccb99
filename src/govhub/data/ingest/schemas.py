"""Schemas of the ingestion API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AliasChoices, Field, StringConstraints, field_validator

from govhub.core.schemas import ReadSchema, Schema
from govhub.data.ingest.models import JobStatus, SourceKind
from govhub.data.ingest.readers import Format


class DatasetVersionRead(ReadSchema):
    """An immutable dataset version of a resource: its Parquet object, columns and digest."""

    id: uuid.UUID
    resource_id: uuid.UUID
    version: int
    storage_key: str
    row_count: int
    columns: list[dict[str, Any]] = Field(validation_alias=AliasChoices("schema", "columns"))
    digest: str
    created_at: datetime
    created_by: uuid.UUID | None


class IngestResult(DatasetVersionRead):
    """A freshly published dataset version with the load log of the load that made it."""

    load_log: dict[str, Any]


TableName = Annotated[str, StringConstraints(pattern=r"^[^\W\d][\w$]*(\.[^\W\d][\w$]*)?$")]
ColumnName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ElementCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]


class DataSourceCreate(Schema):
    """A database to pull tables from: a name and a SQLAlchemy URL (password included)."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    url: Annotated[str, StringConstraints(min_length=8, max_length=1000)]
    department_id: uuid.UUID | None = None


class DataSourceRead(ReadSchema):
    """A registered source; its URL is shown without the password."""

    id: uuid.UUID
    department_id: uuid.UUID
    name: str
    dialect: str
    url: str
    has_password: bool = Field(validation_alias=AliasChoices("password_encrypted", "has_password"))
    created_at: datetime

    @field_validator("has_password", mode="before")
    @classmethod
    def _flag(cls, value: object) -> bool:
        return bool(value)


class PullCreate(Schema):
    """Pull one table (or some of its columns) of a registered source into a resource."""

    source_id: uuid.UUID
    table: TableName = Field(max_length=200)
    columns: list[ColumnName] = Field(default_factory=list, max_length=500)


class RetryCreate(Schema):
    """Run a failed or quarantined load again, optionally reading the file as another format."""

    format: Format | None = None


class LoadJobRead(ReadSchema):
    """A load job: its status, progress and report."""

    id: uuid.UUID
    resource_id: uuid.UUID
    status: JobStatus
    source_kind: SourceKind
    filename: str
    format: str
    table_name: str
    columns: list[str]
    mapping: dict[str, str]
    bytes_read: int
    bytes_total: int
    rows: int
    report: dict[str, Any]
    dataset_id: uuid.UUID | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
