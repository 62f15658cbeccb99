"""API schemas of the e-licenses domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, field_validator

from govhub.core.schemas import Name, ReadSchema, Schema
from govhub.identity.models import DepartmentType
from govhub.licenses.models import HolderKind

TypeCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z0-9_\-]{2,40}$")]
Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]
MAX_CLAIMS = 30
_RESERVED = frozenset({"id", "type", "name", "holderKind", "licenseType", "uscc"})


class LicenseStatus(StrEnum):
    """Where a license stands now."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def check_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """Return `claims` if they are a small flat JSON object of short scalar values."""
    if len(claims) > MAX_CLAIMS:
        raise ValueError(f"at most {MAX_CLAIMS} claims")
    for key, value in claims.items():
        if not 1 <= len(key) <= 64 or key in _RESERVED or key.startswith("@"):
            raise ValueError(f"claim name {key[:64]!r} is not allowed")
        if isinstance(value, str):
            if len(value) > 500:
                raise ValueError(f"claim {key!r} is longer than 500 characters")
        elif value is not None and not isinstance(value, bool | int | float):
            raise ValueError(f"claim {key!r} must be text, a number, true/false or null")
    return claims


class LicenseTypeRead(ReadSchema):
    """A kind of license."""

    code: str
    name: str
    name_en: str
    department_type: DepartmentType
    holder_kind: HolderKind
    validity_days: int | None


class LicenseTypeCreate(Schema):
    """A kind of license to define."""

    code: TypeCode
    name: Name
    name_en: str = Field(default="", max_length=200)
    department_type: DepartmentType
    holder_kind: HolderKind
    validity_days: int | None = Field(default=None, ge=1, le=36_500)


class LicenseIssue(Schema):
    """A license to issue from your department."""

    license_type: TypeCode
    holder_kind: HolderKind
    holder_id: uuid.UUID
    claims: dict[str, Any] = Field(default_factory=dict)
    department_id: uuid.UUID | None = None
    application_id: uuid.UUID | None = None

    @field_validator("claims")
    @classmethod
    def _claims(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_claims(value)


class LicenseRevoke(Schema):
    """Why a license is revoked."""

    reason: str = Field(min_length=2, max_length=500)


class TokenSubmit(Schema):
    """A license token (compact vc+jwt) to verify."""

    token: Token


class LicenseRead(BaseModel):
    """An issued license, its status and its signed form."""

    id: uuid.UUID
    type_code: str
    type_name: str
    type_name_en: str
    holder_kind: HolderKind
    holder_id: uuid.UUID
    issuer_department_id: uuid.UUID
    issuer_name: str
    claims: dict[str, Any]
    status_index: int
    application_id: uuid.UUID | None
    issued_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revocation_reason: str | None
    status: LicenseStatus
    token: str


class VerificationResult(BaseModel):
    """What a verified license asserts: it is genuine, in force and not revoked."""

    valid: bool = True
    license_id: uuid.UUID
    license_type: str
    type_name: str
    holder_kind: HolderKind
    holder_id: uuid.UUID
    holder_name: str
    issuer: str
    issuer_department_id: uuid.UUID
    issuer_name: str
    issued_at: datetime
    expires_at: datetime | None
    claims: dict[str, Any]
    status: LicenseStatus = LicenseStatus.ACTIVE
