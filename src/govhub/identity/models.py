"""Tables of the identity domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.core.db import Base, Timestamps, UUIDPrimaryKey, portable_enum, utcnow
from govhub.identity.codes import DivisionLevel
from govhub.identity.permissions import Role


class DepartmentType(StrEnum):
    """Kinds of government department."""

    BIG_DATA_BUREAU = "big_data_bureau"
    MARKET_REGULATION = "market_regulation"
    TAXATION = "taxation"
    PUBLIC_SECURITY = "public_security"
    CIVIL_AFFAIRS = "civil_affairs"
    HEALTH = "health"
    ECOLOGY_ENVIRONMENT = "ecology_environment"
    HUMAN_RESOURCES_SOCIAL_SECURITY = "human_resources_social_security"
    GOVERNMENT_OFFICE = "government_office"
    OTHER = "other"


class AccountKind(StrEnum):
    """Who an account belongs to."""

    CITIZEN = "citizen"
    ENTERPRISE = "enterprise"
    OFFICIAL = "official"


class AuditAction(StrEnum):
    """Security events kept in the audit trail."""

    ACCOUNT_CREATED = "account_created"
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    LOGOUT = "logout"
    ROLES_CHANGED = "roles_changed"
    TOKEN_ISSUED = "token_issued"  # noqa: S105 - an event name, not a secret
    CLIENT_CREATED = "client_created"
    KEY_ROTATED = "key_rotated"
    CODE_REPLAYED = "code_replayed"  # an OAuth authorization code presented twice


class Division(Base):
    """An administrative division (province to village) keyed by its GB/T 2260-style code."""

    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[DivisionLevel] = mapped_column(portable_enum(DivisionLevel, "division_level"))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("divisions.code", ondelete="RESTRICT"), index=True
    )


class Department(UUIDPrimaryKey, Timestamps, Base):
    """A government department of one division, optionally under a parent department."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    type: Mapped[DepartmentType] = mapped_column(portable_enum(DepartmentType, "department_type"))
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"), index=True)

    division: Mapped[Division] = relationship(lazy="joined")


class Account(UUIDPrimaryKey, Timestamps, Base):
    """A citizen, enterprise or official who can sign in."""

    __tablename__ = "accounts"

    kind: Mapped[AccountKind] = mapped_column(portable_enum(AccountKind, "account_kind"))
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    # Citizens: the ID number, AES-GCM encrypted, and a keyed HMAC for exact lookups.
    id_number_encrypted: Mapped[str | None] = mapped_column(String(200))
    id_number_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Enterprises: the unified social credit code (public by law, stored in clear).
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("departments.id"), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")

    department: Mapped[Department | None] = relationship(lazy="joined")
    role_rows: Mapped[list[AccountRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[Role]:
        """The roles this account holds."""
        return frozenset(row.role for row in self.role_rows)


class AccountRole(Base):
    """One role held by one account."""

    __tablename__ = "account_roles"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(portable_enum(Role, "role"), primary_key=True)


class WebSession(Base):
    """A signed-in browser session; the cookie holds a random token, the table its hash."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class AuditEvent(UUIDPrimaryKey, Base):
    """A security event: who, what, when; never a secret or a raw personal identifier."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),)

    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[AuditAction] = mapped_column(portable_enum(AuditAction, "audit_action"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    client_id: Mapped[str | None] = mapped_column(String(64))
    ip_hash: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OAuthClient(Timestamps, Base):
    """A registered OAuth 2 / OIDC client: a department system or a relying party."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str | None] = mapped_column(String(200))
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("departments.id"), index=True
    )
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    grant_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    scope: Mapped[str] = mapped_column(String(500), default="")
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)


class AuthorizationCode(Base):
    """A one-time OIDC authorization code (stored by hash), bound to PKCE and a nonce."""

    __tablename__ = "oauth_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(500))
    nonce: Mapped[str | None] = mapped_column(String(200))
    code_challenge: Mapped[str | None] = mapped_column(String(200))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    auth_time: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SigningKey(Base):
    """A JWT signing key of the platform key set; the private part is encrypted at rest."""

    __tablename__ = "signing_keys"
    __table_args__ = (UniqueConstraint("kid"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kid: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(16))
    private_jwk_encrypted: Mapped[str] = mapped_column(String(4000))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a newer key takes over signing; the key stays published to verify old tokens.
    superseded_at: Mapped[datetime | None]
    # Set when the key leaves the JWKS; tokens it signed no longer verify.
    retired_at: Mapped[datetime | None]
