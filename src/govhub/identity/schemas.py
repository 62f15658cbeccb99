"""API schemas of the identity domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import EmailStr, Field, field_validator

from govhub.core.schemas import DivisionCode, Name, Password, ReadSchema, Schema, Username
from govhub.identity.codes import (
    DivisionLevel,
    id_number_problem,
    normalize_id_number,
    uscc_problem,
)
from govhub.identity.models import AccountKind, AuditAction, DepartmentType
from govhub.identity.permissions import Role


class DivisionCreate(Schema):
    """A new administrative division; its level and parent follow from the code."""

    code: DivisionCode
    name: Name
    name_en: str = Field(default="", max_length=200)


class DivisionRead(ReadSchema):
    """An administrative division."""

    code: str
    name: str
    name_en: str
    level: DivisionLevel
    parent_code: str | None


class DepartmentCreate(Schema):
    """A new department in a division."""

    code: str = Field(pattern=r"^[A-Za-z0-9\-_]{2,40}$")
    name: Name
    name_en: str = Field(default="", max_length=200)
    type: DepartmentType
    division_code: DivisionCode
    parent_id: uuid.UUID | None = None


class DepartmentRead(ReadSchema):
    """A department."""

    id: uuid.UUID
    code: str
    name: str
    name_en: str
    type: DepartmentType
    division_code: str
    parent_id: uuid.UUID | None


class CitizenRegister(Schema):
    """Self-registration of a citizen with a mainland resident ID number."""

    username: Username
    password: Password
    display_name: Name
    id_number: str = Field(min_length=15, max_length=24)
    email: EmailStr | None = None

    @field_validator("id_number")
    @classmethod
    def _valid_id_number(cls, value: str) -> str:
        value = normalize_id_number(value)
        problem = id_number_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class EnterpriseRegister(Schema):
    """Self-registration of an enterprise with its unified social credit code."""

    username: Username
    password: Password
    display_name: Name
    uscc: str = Field(min_length=18, max_length=18)
    email: EmailStr | None = None

    @field_validator("uscc")
    @classmethod
    def _valid_uscc(cls, value: str) -> str:
        value = value.strip().upper()
        problem = uscc_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class OfficialCreate(Schema):
    """A new official of a department, with roles."""

    username: Username
    password: Password
    display_name: Name
    department_id: uuid.UUID
    roles: list[Role] = Field(default_factory=lambda: [Role.OFFICIAL], max_length=12)
    email: EmailStr | None = None


class RolesUpdate(Schema):
    """The complete set of roles an official should hold."""

    roles: list[Role] = Field(min_length=1, max_length=12)


class AccountRead(ReadSchema):
    """An account as others may see it: never a password hash or an ID number."""

    id: uuid.UUID
    kind: AccountKind
    username: str
    display_name: str
    email: str | None
    uscc: str | None
    department_id: uuid.UUID | None
    roles: list[Role]
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None

    @field_validator("roles", mode="before")
    @classmethod
    def _sorted_roles(cls, value: Any) -> list[str]:
        return sorted(str(role) for role in value)


class ProfileRead(AccountRead):
    """The caller's own account, with the masked ID number and effective permissions."""

    id_number_masked: str | None = None
    permissions: list[str] = Field(default_factory=list)
    division_code: str | None = None


class LoginRequest(Schema):
    """Username and password for a bearer token."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenResponse(ReadSchema):
    """An OAuth 2 bearer token response."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    scope: str = ""


class AuditEventRead(ReadSchema):
    """A security event."""

    id: uuid.UUID
    at: datetime
    action: AuditAction
    account_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    department_id: uuid.UUID | None
    client_id: str | None
    detail: dict[str, Any]


class ClientCreate(Schema):
    """A new OAuth client for a department system or an OIDC relying party."""

    name: Name
    department_id: uuid.UUID
    grant_types: list[str] = Field(default_factory=lambda: ["client_credentials"], max_length=3)
    redirect_uris: list[str] = Field(default_factory=list, max_length=10)
    scope: str = Field(default="", max_length=500)
    roles: list[Role] = Field(default_factory=lambda: [Role.SYSTEM], max_length=12)

    @field_validator("grant_types")
    @classmethod
    def _known_grants(cls, value: list[str]) -> list[str]:
        allowed = {"client_credentials", "authorization_code", "refresh_token"}
        unknown = set(value) - allowed
        if unknown:
            raise ValueError(f"unsupported grant types: {', '.join(sorted(unknown))}")
        return value

    @field_validator("redirect_uris")
    @classmethod
    def _absolute_uris(cls, value: list[str]) -> list[str]:
        for uri in value:
            if not uri.startswith(("https://", "http://127.0.0.1", "http://localhost")):
                raise ValueError("redirect URIs must be https (or http on loopback)")
        return value


class ClientRead(ReadSchema):
    """A registered OAuth client (never its secret)."""

    client_id: str
    name: str
    department_id: uuid.UUID | None
    grant_types: list[str]
    redirect_uris: list[str]
    scope: str
    roles: list[str]
    is_active: bool


class ClientCreated(ClientRead):
    """A new client with its secret, shown this once."""

    client_secret: str
