"""API schemas of the open data API's own routes (keys and usage); CKAN's actions answer
CKAN's dictionaries, built in `packages` and `ckan`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from govhub.core.schemas import ReadSchema, Schema

KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ApiKeyCreate(Schema):
    """A request for a public API key."""

    name: KeyName


class ApiKeyRead(ReadSchema):
    """A public API key, without the key."""

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyRead):
    """A newly issued API key: the key is shown this once."""

    key: str


class UsageRead(ReadSchema):
    """How often a public dataset was used (saved counts)."""

    dataset_id: uuid.UUID
    api_calls: int
    downloads: int
    views: int
