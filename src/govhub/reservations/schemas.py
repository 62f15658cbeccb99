"""API schemas of the reservations domain."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from govhub.core.schemas import DivisionCode, Name, ReadSchema, Schema
from govhub.reservations.models import AllocationMode

MAX_SLOTS = 2_000
MAX_SHARD_ROWS = 100_000


def _plausible(moment: datetime, field: str) -> None:
    if not 2000 <= moment.year < 2200:
        raise ValueError(f"{field} must lie between the years 2000 and 2199")


class PointCreate(Schema):
    """A pickup point of a new campaign."""

    name: Name
    division_code: DivisionCode


class WindowCreate(Schema):
    """A pickup time window of a new campaign."""

    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> WindowCreate:
        _plausible(self.starts_at, "starts_at")
        _plausible(self.ends_at, "ends_at")
        if self.ends_at <= self.starts_at:
            raise ValueError("a window ends after it starts")
        return self


class CampaignCreate(Schema):
    """A campaign to publish: what, where, when, how much, for whom and how allocated."""

    title: Name
    item: Name
    mode: AllocationMode = AllocationMode.FCFS
    period_key: str | None = Field(default=None, min_length=1, max_length=80)
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    points: list[PointCreate] = Field(min_length=1, max_length=500)
    windows: list[WindowCreate] = Field(min_length=1, max_length=100)
    quota_per_slot: int = Field(ge=1, le=10_000_000)
    min_age: int | None = Field(default=None, ge=0, le=150)
    max_age: int | None = Field(default=None, ge=0, le=150)
    residence_division: DivisionCode | None = None
    shards: int = Field(default=8, ge=1, le=256)

    @model_validator(mode="after")
    def _consistent(self) -> CampaignCreate:
        _plausible(self.opens_at, "opens_at")
        _plausible(self.closes_at, "closes_at")
        slots = len(self.points) * len(self.windows)
        if slots > MAX_SLOTS:
            raise ValueError(f"at most {MAX_SLOTS} point-window slots per campaign")
        if slots * min(self.shards, self.quota_per_slot) > MAX_SHARD_ROWS:
            raise ValueError("too many quota shards: use fewer shards or slots")
        if self.closes_at <= self.opens_at:
            raise ValueError("a campaign closes after it opens")
        if self.min_age is not None and self.max_age is not None and self.max_age < self.min_age:
            raise ValueError("max_age is below min_age")
        return self


class PointRead(ReadSchema):
    """A pickup point."""

    id: uuid.UUID
    name: str
    division_code: str


class WindowRead(ReadSchema):
    """A pickup time window."""

    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


class SlotRead(ReadSchema):
    """A point in a window and its quota."""

    id: uuid.UUID
    point_id: uuid.UUID
    window_id: uuid.UUID
    quota: int


class CampaignRead(ReadSchema):
    """A published campaign, as anyone may see it."""

    id: uuid.UUID
    department_id: uuid.UUID
    title: str
    item: str
    mode: AllocationMode
    period_key: str
    opens_at: datetime
    closes_at: datetime
    min_age: int | None
    max_age: int | None
    residence_division: str | None
    seed_commitment: str | None
    drawn_at: datetime | None
    points: list[PointRead]
    windows: list[WindowRead]
    slots: list[SlotRead]


class BookingCreate(Schema):
    """Reserve one slot of a campaign."""

    slot_id: uuid.UUID


class ReservationRead(BaseModel):
    """A confirmed reservation with its pickup code."""

    id: uuid.UUID
    campaign_id: uuid.UUID
    slot_id: uuid.UUID
    point_id: uuid.UUID
    window_id: uuid.UUID
    created_at: datetime
    redeemed_at: datetime | None
    pickup_code: str
    expires_at: datetime


class RegistrationRead(ReadSchema):
    """A resident's lottery registration."""

    id: uuid.UUID
    campaign_id: uuid.UUID
    slot_id: uuid.UUID
    created_at: datetime
    won: bool | None


class RedemptionCreate(Schema):
    """A pickup code scanned at a pickup point."""

    code: str = Field(min_length=1, max_length=400)
    point_id: uuid.UUID | None = None


class RedemptionRead(BaseModel):
    """A redeemed reservation."""

    reservation_id: uuid.UUID
    campaign_id: uuid.UUID
    point_id: uuid.UUID
    window_id: uuid.UUID
    redeemed_at: datetime


class PointCount(BaseModel):
    """Live figures of one pickup point over all its windows."""

    point_id: uuid.UUID
    name: str
    quota: int
    remaining: int
    booked: int
    redeemed: int


class CampaignCounts(BaseModel):
    """Live figures of a campaign per pickup point."""

    campaign_id: uuid.UUID
    points: list[PointCount]
    registrations: int


class DrawEntry(BaseModel):
    """One registration as the draw saw it: its id and the slot it entered for."""

    registration_id: uuid.UUID
    slot_id: uuid.UUID


class DrawRead(BaseModel):
    """Everything needed to recompute a lottery draw."""

    campaign_id: uuid.UUID
    seed_commitment: str
    seed: str | None
    registrations: list[DrawEntry]
    registrations_digest: str
    quota: dict[str, int]
    winners: list[uuid.UUID] | None


class KeyRead(BaseModel):
    """The public key that verifies pickup codes offline."""

    algorithm: str
    public_key: str
