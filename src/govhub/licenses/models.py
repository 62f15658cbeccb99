"""Tables of the e-licenses domain: license types, issued licenses and issuer keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govhub.core.db import Base, UUIDPrimaryKey, portable_enum, utcnow
from govhub.identity.models import DepartmentType


class HolderKind(StrEnum):
    """Who holds a license: a natural person or an enterprise."""

    PERSON = "person"
    ENTERPRISE = "enterprise"


class LicenseType(Base):
    """A kind of license, issued by departments of one type, valid for a number of days."""

    __tablename__ = "license_types"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    department_type: Mapped[DepartmentType] = mapped_column(
        portable_enum(DepartmentType, "department_type")
    )
    holder_kind: Mapped[HolderKind] = mapped_column(portable_enum(HolderKind, "holder_kind"))
    # None: valid until revoked.
    validity_days: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class License(UUIDPrimaryKey, Base):
    """An issued license: who holds it, who issued it, what it asserts and its signed form."""

    __tablename__ = "licenses"
    __table_args__ = (
        UniqueConstraint("issuer_department_id", "status_index"),
        Index("ix_licenses_holder", "holder_kind", "holder_id"),
    )

    type_code: Mapped[str] = mapped_column(ForeignKey("license_types.code"), index=True)
    holder_kind: Mapped[HolderKind] = mapped_column(portable_enum(HolderKind, "holder_kind"))
    holder_id: Mapped[uuid.UUID]
    issuer_department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"))
    claims: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The position of this license in its issuer's revocation status list.
    status_index: Mapped[int]
    kid: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(Text)
    application_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    revocation_reason: Mapped[str | None] = mapped_column(String(500))


class IssuerKey(Base):
    """An issuing department's Ed25519 key; the private half is stored encrypted."""

    __tablename__ = "license_issuer_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    private_jwk_encrypted: Mapped[str] = mapped_column(String(1000))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
