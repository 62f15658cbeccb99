"""API schemas of the exchange gateway."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from govhub.core.schemas import Schema
from govhub.data.catalog.schemas import FieldName
from govhub.data.sharing.schemas import Condition

MAX_OFFSET = 10_000_000


class Order(Schema):
    """One sort key."""

    field: FieldName
    descending: bool = False


Projection = Annotated[list[FieldName] | None, Field(min_length=1, max_length=200)]


class QueryRequest(Schema):
    """A page of granted rows: projection, conditions (AND), order and window."""

    fields: Projection = None
    where: list[Condition] = Field(default_factory=list, max_length=20)
    order_by: list[Order] = Field(default_factory=list, max_length=5)
    limit: int = Field(default=100, ge=1)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


class ExportFormat(StrEnum):
    """Formats of a bulk export."""

    CSV = "csv"
    NDJSON = "ndjson"
    PARQUET = "parquet"


class ExportRequest(Schema):
    """A bulk export of granted rows."""

    format: ExportFormat = ExportFormat.PARQUET
    fields: Projection = None
    where: list[Condition] = Field(default_factory=list, max_length=20)


class QueryResult(BaseModel):
    """A page of rows as the grant allows them to be seen."""

    resource_id: uuid.UUID
    version: int
    fields: list[str]
    rows: list[dict[str, Any]]
    offset: int
    limit: int
    next_offset: int | None
    digest: str = Field(
        description="SHA-256 of the canonical JSON of `rows` (sorted keys, no spaces, UTF-8), "
        "as ledgered; the rows are sent in exactly that form"
    )


class ConsumerGrant(BaseModel):
    """A grant as its consuming system sees it."""

    grant_id: uuid.UUID
    resource_id: uuid.UUID
    resource_title: str
    fields: list[str]
    protected_fields: dict[str, str]
    expires_at: str


class SubscriptionCreate(Schema):
    """Where to tell a system of new versions of a granted resource."""

    resource_id: uuid.UUID
    url: Annotated[str, Field(min_length=8, max_length=2000)]


class SubscriptionRead(BaseModel):
    """A subscription (its secret is shown only when created)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    resource_id: uuid.UUID
    url: str
    created_at: datetime


class SubscriptionCreated(SubscriptionRead):
    """A new subscription with the secret that verifies its webhook signatures."""

    secret: str


class DeliveryRead(BaseModel):
    """One webhook delivery and how it went."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
