"""API schemas of health codes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from govhub.core.schemas import Name, ReadSchema, Schema
from govhub.reservations.health.models import HealthColor, RuleMatch

FieldName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
]
MatchValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# A token is 149 characters; anything much longer is refused before it is parsed.
TokenText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]


class RuleCreate(Schema):
    """A new rule: the color a resident gets when recent rows about them (do not) exist."""

    name: Name
    priority: int = Field(ge=0, le=10_000)
    color: HealthColor
    match: RuleMatch = RuleMatch.PRESENT
    resource_id: uuid.UUID
    id_field: FieldName
    date_field: FieldName
    match_field: FieldName | None = None
    match_value: MatchValue | None = None
    within_days: int = Field(ge=1, le=366)
    active: bool = True

    @model_validator(mode="after")
    def _coherent(self) -> RuleCreate:
        if self.color is HealthColor.GREEN:
            raise ValueError("a rule gives yellow or red; green is what no rule gives")
        if (self.match_field is None) != (self.match_value is None):
            raise ValueError("match_field and match_value go together")
        return self


class RuleUpdate(Schema):
    """Changes to a rule (only the fields sent)."""

    name: Name | None = None
    priority: int | None = Field(default=None, ge=0, le=10_000)
    color: HealthColor | None = None
    within_days: int | None = Field(default=None, ge=1, le=366)
    match_value: MatchValue | None = None
    active: bool | None = None

    @model_validator(mode="after")
    def _not_green(self) -> RuleUpdate:
        if self.color is HealthColor.GREEN:
            raise ValueError("a rule gives yellow or red; green is what no rule gives")
        return self


class RuleRead(ReadSchema):
    """A stored rule."""

    id: uuid.UUID
    department_id: uuid.UUID
    name: str
    priority: int
    color: HealthColor
    match: RuleMatch
    resource_id: uuid.UUID
    id_field: str
    date_field: str
    match_field: str | None
    match_value: str | None
    within_days: int
    active: bool
    created_at: datetime
    updated_at: datetime


class HealthCodeRead(BaseModel):
    """A resident's current health code."""

    token: str
    color: HealthColor
    subject: str
    issued_at: datetime
    expires_at: datetime
    changed_at: datetime
    reason: str | None = Field(description="the name of the rule that gave the color")


class VerifyRequest(Schema):
    """A scanned health code."""

    token: TokenText


class VerifyResult(BaseModel):
    """What a verified health code asserts."""

    valid: bool
    color: HealthColor
    subject: str
    issued_at: datetime
    expires_at: datetime
    key_id: str


class Jwk(BaseModel):
    """An Ed25519 public key as an OKP JSON Web Key (RFC 8037)."""

    kty: str
    crv: str
    alg: str
    use: str
    kid: str
    x: str


class Jwks(BaseModel):
    """The keys that verify health codes offline."""

    keys: list[Jwk]
