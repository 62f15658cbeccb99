"""Share requests and the grants they become."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.core.db import Base, UUIDPrimaryKey, portable_enum, utcnow
from govhub.data.catalog.models import Resource
from govhub.identity.models import Department


class RequestStatus(StrEnum):
    """Where a share request stands."""

    PENDING = "pending"
    GRANTED = "granted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ShareRequest(UUIDPrimaryKey, Base):
    """A department's request for fields and rows of another department's resource."""

    __tablename__ = "share_requests"
    __table_args__ = (Index("ix_share_requests_resource_status", "resource_id", "status"),)

    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_resources.id"))
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"))
    fields: Mapped[list[str]] = mapped_column(JSON)
    row_filter: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    treatments: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    purpose: Mapped[str] = mapped_column(String(1000))
    legal_basis: Mapped[str] = mapped_column(String(500))
    duration_days: Mapped[int]
    status: Mapped[RequestStatus] = mapped_column(
        portable_enum(RequestStatus, "share_request_status"), default=RequestStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(String(1000), default="")

    resource: Mapped[Resource] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")


class Grant(UUIDPrimaryKey, Base):
    """What a consuming system may read of a resource, how, and until when."""

    __tablename__ = "share_grants"

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("share_requests.id"), unique=True)
    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON)
    field_policies: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    row_filter: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(String(1000))
    legal_basis: Mapped[str] = mapped_column(String(500))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    revoke_reason: Mapped[str] = mapped_column(String(1000), default="")
    renewal_reminded_at: Mapped[datetime | None]

    resource: Mapped[Resource] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")

    def is_active(self, now: datetime) -> bool:
        """Tell whether the grant allows reading at `now` (not revoked, not expired)."""
        return self.revoked_at is None and now < self.expires_at


class AccessKind(StrEnum):
    """How granted data left through the exchange."""

    QUERY = "query"
    EXPORT = "export"


class GrantAccess(UUIDPrimaryKey, Base):
    """One call of a consuming system under a grant: the owner's view of who read how much.

    The ledger proves the call (its entry carries the same digest); this row lets the owner
    count and chart usage without reading the ledger's payloads, which it does not hold.
    """

    __tablename__ = "share_grant_accesses"
    __table_args__ = (Index("ix_share_grant_accesses_grant_at", "grant_id", "at"),)

    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("share_grants.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[AccessKind] = mapped_column(portable_enum(AccessKind, "grant_access_kind"))
    rows: Mapped[int] = mapped_column(BigInteger)
    fields: Mapped[list[str]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
