"""API schemas of the open data API's own routes (keys and usage); CKAN's actions answer
CKAN's dictionaries, built in `packages` and `ckan`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from govhub.core.schemas import ReadSchema, Schema
from govhub.data.opendata.models import RequestKind

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


# --- public requests and replies -------------------------------------------------------------

RequestTitle = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=4, max_length=200)
]
RequestBody = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=10, max_length=4000)
]
ShownName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]


class DataRequestCreate(Schema):
    """A request for a dataset, or a report of a problem with an open one.

    A problem names its dataset (`dataset`, its id or name); a request for a dataset names it
    too when it is about an open one, or else the department asked (`department_id`).
    """

    kind: RequestKind
    title: RequestTitle
    body: RequestBody
    dataset: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    department_id: uuid.UUID | None = None
    display_name: ShownName = ""


class ReplyCreate(Schema):
    """An official's public reply to a request."""

    body: RequestBody


class ReplyRead(ReadSchema):
    """A public reply."""

    id: uuid.UUID
    department_id: uuid.UUID
    body: str
    created_at: datetime


class DataRequestRead(ReadSchema):
    """A public request with its replies (the requester's account is never shown)."""

    id: uuid.UUID
    kind: RequestKind
    department_id: uuid.UUID
    resource_id: uuid.UUID | None
    title: str
    body: str
    display_name: str
    created_at: datetime
    replied_at: datetime | None
    replies: list[ReplyRead]
