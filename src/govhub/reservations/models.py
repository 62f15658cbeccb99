"""Tables of the reservations domain: campaigns, their slots and quota shards, claims,
reservations, lottery registrations and idempotency records."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.core.db import Base, UUIDPrimaryKey, portable_enum, utcnow


class AllocationMode(StrEnum):
    """How a campaign's quota is allocated."""

    FCFS = "fcfs"
    LOTTERY = "lottery"


class Campaign(UUIDPrimaryKey, Base):
    """A published allocation of a quota of goods or slots by one department."""

    __tablename__ = "reservation_campaigns"
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="window"),)

    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    item: Mapped[str] = mapped_column(String(200))
    mode: Mapped[AllocationMode] = mapped_column(portable_enum(AllocationMode, "allocation_mode"))
    # Campaigns sharing a period key allow one reservation per resident between them.
    period_key: Mapped[str] = mapped_column(String(80))
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    # Residents whose registered division (from the ID number) lies under this code only.
    residence_division: Mapped[str | None] = mapped_column(String(12))
    shards: Mapped[int] = mapped_column(default=8)
    # Lottery: the seed, encrypted until the draw; its SHA-256 commitment is public at once.
    seed_encrypted: Mapped[str | None] = mapped_column(String(200))
    seed_commitment: Mapped[str | None] = mapped_column(String(64))
    drawn_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    points: Mapped[list[PickupPoint]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PickupPoint.name"
    )
    windows: Mapped[list[TimeWindow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TimeWindow.starts_at"
    )
    slots: Mapped[list[Slot]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class PickupPoint(UUIDPrimaryKey, Base):
    """A place where reserved goods are collected, in one division."""

    __tablename__ = "reservation_points"

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation_campaigns.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"))


class TimeWindow(UUIDPrimaryKey, Base):
    """A pickup time window of a campaign."""

    __tablename__ = "reservation_windows"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="span"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation_campaigns.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


class Slot(UUIDPrimaryKey, Base):
    """One pickup point in one time window, with its quota."""

    __tablename__ = "reservation_slots"
    __table_args__ = (
        UniqueConstraint("point_id", "window_id"),
        CheckConstraint("quota >= 0", name="quota"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation_campaigns.id", ondelete="CASCADE"), index=True
    )
    point_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation_points.id", ondelete="CASCADE")
    )
    window_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation_windows.id", ondelete="CASCADE")
    )
    quota: Mapped[int]


class QuotaShard(Base):
    """A part of a slot's remaining quota; bookings decrement one shard atomically."""

    __tablename__ = "reservation_quota_shards"
    __table_args__ = (CheckConstraint("remaining >= 0", name="remaining"),)

    slot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation_slots.id", ondelete="CASCADE"), primary_key=True
    )
    shard: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    remaining: Mapped[int]


class Claim(Base):
    """A resident's one claim per period: a booking or a lottery registration holds it."""

    __tablename__ = "reservation_claims"

    period_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation_campaigns.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reservation(UUIDPrimaryKey, Base):
    """A confirmed reservation of one slot by one resident."""

    __tablename__ = "reservations"
    __table_args__ = (
        UniqueConstraint("period_key", "resident_id"),
        Index("ix_reservations_slot", "slot_id"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation_campaigns.id", ondelete="CASCADE"), index=True
    )
    slot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation_slots.id", ondelete="CASCADE")
    )
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    period_key: Mapped[str] = mapped_column(String(80))
    shard: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    redeemed_at: Mapped[datetime | None]
    redeemed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))

    slot: Mapped[Slot] = relationship(lazy="joined")


class Registration(UUIDPrimaryKey, Base):
    """A resident's entry in a lottery for one slot."""

    __tablename__ = "reservation_registrations"
    __table_args__ = (UniqueConstraint("campaign_id", "resident_id"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation_campaigns.id", ondelete="CASCADE")
    )
    slot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation_slots.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    won: Mapped[bool | None]


class IdempotencyRecord(Base):
    """The first answer to a booking sent with an Idempotency-Key, for its retries."""

    __tablename__ = "reservation_idempotency"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    reservation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def age_on(born: date, day: date) -> int:
    """Return the age in whole years on `day` of someone born on `born`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
