"""Tables of the open data API: public API keys and per-day usage counts of each dataset."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from govhub.core.db import Base, UUIDPrimaryKey, utcnow


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
