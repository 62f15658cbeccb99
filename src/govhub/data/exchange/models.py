"""Webhook subscriptions of consuming systems, and the deliveries owed to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.core.db import Base, UUIDPrimaryKey, portable_enum, utcnow


class Subscription(UUIDPrimaryKey, Base):
    """A consuming system's wish to hear of each new version of a granted resource."""

    __tablename__ = "exchange_subscriptions"

    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"), index=True)
    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret_encrypted: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)


class DeliveryStatus(StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Delivery(UUIDPrimaryKey, Base):
    """One event owed to one subscription, retried with backoff until delivered or given up."""

    __tablename__ = "exchange_deliveries"
    __table_args__ = (Index("ix_exchange_deliveries_due", "status", "next_attempt_at"),)

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exchange_subscriptions.id"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[DeliveryStatus] = mapped_column(
        portable_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    subscription: Mapped[Subscription] = relationship(lazy="joined")
