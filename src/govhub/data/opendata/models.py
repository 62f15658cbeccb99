"""Tables of the open data API and portal: public API keys, per-day usage counts of each
dataset, and the public requests with their replies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.core.db import Base, UUIDPrimaryKey, portable_enum, utcnow


class ApiKey(UUIDPrimaryKey, Base):
    """A public API key: optional for reads, it lifts the anonymous rate limit.

    Only the SHA-256 digest of the key is kept; the key itself is shown once, when issued.
    """

    __tablename__ = "opendata_api_keys"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class UsageDaily(Base):
    """How often one dataset was called through the API, downloaded and viewed on one day."""

    __tablename__ = "opendata_usage_daily"

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True, index=True)
    api_calls: Mapped[int] = mapped_column(BigInteger, default=0)
    downloads: Mapped[int] = mapped_column(BigInteger, default=0)
    views: Mapped[int] = mapped_column(BigInteger, default=0)


class RequestKind(StrEnum):
    """What a member of the public asks of the portal."""

    DATASET = "dataset"  # a dataset that is not yet open
    PROBLEM = "problem"  # a problem with an open dataset


class DataRequest(UUIDPrimaryKey, Base):
    """A public request for a dataset or a report of a problem; it and its replies are public.

    The requester's account (if signed in) is kept for rate limits and never shown; the name
    shown is the one they chose to give, or nothing.
    """

    __tablename__ = "opendata_requests"

    kind: Mapped[RequestKind] = mapped_column(portable_enum(RequestKind, "opendata_request_kind"))
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    resource_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(4000))
    display_name: Mapped[str] = mapped_column(String(60), default="")
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    replied_at: Mapped[datetime | None]

    replies: Mapped[list[RequestReply]] = relationship(
        order_by="RequestReply.created_at", cascade="all, delete-orphan", lazy="selectin"
    )


class RequestReply(UUIDPrimaryKey, Base):
    """An official reply of the owning department to a public request."""

    __tablename__ = "opendata_request_replies"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("opendata_requests.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(String(4000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
