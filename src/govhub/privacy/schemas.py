"""API schemas of consents."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from govhub.core.schemas import Schema

MAX_CONSENT_DAYS = 3650


class ConsentCreate(Schema):
    """A person's consent for a department to read some of their records."""

    department_id: uuid.UUID
    resource_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=50)]
    purpose: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=500)]
    duration_days: int = Field(default=365, ge=1, le=MAX_CONSENT_DAYS)


class ConsentRead(BaseModel):
    """A consent as its giver sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    department_id: uuid.UUID
    department_name: str
    resource_ids: list[str]
    purpose: str
    granted_at: datetime
    expires_at: datetime
    withdrawn_at: datetime | None
    active: bool
