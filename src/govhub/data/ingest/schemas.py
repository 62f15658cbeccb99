"""Schemas of the ingestion API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AliasChoices, Field

from govhub.core.schemas import ReadSchema


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
