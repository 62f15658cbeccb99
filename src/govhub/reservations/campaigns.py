"""Campaigns: publication (with the lottery's seed commitment), reading, closing, live counts."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.crypto import encrypt_field
from govhub.core.db import utcnow
from govhub.core.errors import InvalidInput, NotFound
from govhub.identity import service as identity_service
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.reservations.errors import CampaignClosed
from govhub.reservations.models import (
    AllocationMode,
    Campaign,
    PickupPoint,
    QuotaShard,
    Registration,
    Reservation,
    Slot,
    TimeWindow,
)
from govhub.reservations.schemas import CampaignCounts, CampaignCreate, PointCount

SEED_CONTEXT = "reservation_campaigns.seed"


def shard_sizes(quota: int, shards: int) -> list[int]:
    """Split `quota` over `shards` counters as evenly as possible."""
    base, extra = divmod(quota, shards)
    return [base + (1 if i < extra else 0) for i in range(shards)]


def create_campaign(session: Session, *, principal: Principal, data: CampaignCreate) -> Campaign:
    """Publish a campaign of the principal's department; lotteries commit their seed at once."""
    if principal.department_id is None or not principal.is_official:
        raise InvalidInput("only an official of a department publishes a campaign")
    for point in data.points:
        identity_service.get_division(session, point.division_code)
        if not principal.covers(point.division_code):
            raise InvalidInput(
                f"division {point.division_code} is outside your scope", field="points"
            )
    if data.residence_division is not None:
        identity_service.get_division(session, data.residence_division)
    if data.closes_at <= utcnow():
        raise InvalidInput("the campaign would already be closed", field="closes_at")
    campaign = Campaign(
        id=uuid.uuid4(),
        department_id=principal.department_id,
        title=data.title,
        item=data.item,
        mode=data.mode,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        min_age=data.min_age,
        max_age=data.max_age,
        residence_division=data.residence_division,
        shards=data.shards,
        created_by=principal.account_id,
    )
    campaign.period_key = data.period_key or f"campaign:{campaign.id}"
    seed = b""
    if data.mode is AllocationMode.LOTTERY:
        seed = secrets.token_bytes(32)
        campaign.seed_encrypted = encrypt_field(seed.hex(), context=SEED_CONTEXT)
        campaign.seed_commitment = hashlib.sha256(seed).hexdigest()
    campaign.points = [PickupPoint(name=p.name, division_code=p.division_code) for p in data.points]
    campaign.windows = [TimeWindow(starts_at=w.starts_at, ends_at=w.ends_at) for w in data.windows]
    session.add(campaign)
    session.flush()
    slots = [
        Slot(campaign_id=campaign.id, point_id=p.id, window_id=w.id, quota=data.quota_per_slot)
        for p in campaign.points
        for w in campaign.windows
    ]
    session.add_all(slots)
    session.flush()
    shard_count = min(data.shards, data.quota_per_slot)
    session.add_all(
        QuotaShard(slot_id=slot.id, shard=i, remaining=size)
        for slot in slots
        for i, size in enumerate(shard_sizes(slot.quota, shard_count))
    )
    session.flush()
    session.refresh(campaign)
    actor = ledger.actor_of(principal)
    ledger.record(
        session,
        kind=EntryKind.RESERVATION_CAMPAIGN_PUBLISHED,
        actor=actor,
        subject=f"campaign:{campaign.id}",
        payload={
            "mode": str(campaign.mode),
            "opens_at": campaign.opens_at.isoformat(),
            "closes_at": campaign.closes_at.isoformat(),
            "slots": sorted([str(s.id), s.quota] for s in slots),
        },
        department_id=campaign.department_id,
    )
    if campaign.seed_commitment is not None:
        ledger.record(
            session,
            kind=EntryKind.RESERVATION_SEED_COMMITTED,
            actor=actor,
            subject=f"campaign:{campaign.id}",
            payload={"campaign": str(campaign.id), "commitment": campaign.seed_commitment},
            department_id=campaign.department_id,
        )
    return campaign


def get_campaign(session: Session, campaign_id: uuid.UUID) -> Campaign:
    """Return a published campaign (campaigns are public)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("no such campaign")
    return campaign


def managed_campaign(session: Session, *, principal: Principal, campaign_id: uuid.UUID) -> Campaign:
    """Return a campaign whose department lies in the principal's scope (others: not found)."""
    campaign = get_campaign(session, campaign_id)
    try:
        identity_service.get_department(
            session, principal=principal, department_id=campaign.department_id
        )
    except NotFound as exc:
        raise NotFound("no such campaign") from exc
    return campaign


class OpenPeriod(Protocol):
    """When a campaign takes bookings or registrations (a campaign row, or an offer of one)."""

    @property
    def opens_at(self) -> datetime:
        """The first moment it is open."""

    @property
    def closes_at(self) -> datetime:
        """The first moment it is closed again."""


def ensure_open(campaign: OpenPeriod, now: datetime) -> None:
    """Refuse when `now` lies outside the campaign's open period."""
    if now < campaign.opens_at:
        raise CampaignClosed(
            "the campaign has not opened yet", opens_at=campaign.opens_at.isoformat()
        )
    if now >= campaign.closes_at:
        raise CampaignClosed("the campaign has closed")


def close_campaign(session: Session, *, principal: Principal, campaign_id: uuid.UUID) -> Campaign:
    """End a campaign's booking or registration period now."""
    campaign = managed_campaign(session, principal=principal, campaign_id=campaign_id)
    now = utcnow()
    if now >= campaign.closes_at:
        raise CampaignClosed("the campaign has already closed")
    campaign.closes_at = max(now, campaign.opens_at + timedelta(microseconds=1))
    session.flush()
    return campaign


def counts(session: Session, *, principal: Principal, campaign_id: uuid.UUID) -> CampaignCounts:
    """Return live quota, remaining, booked and redeemed figures per pickup point."""
    campaign = managed_campaign(session, principal=principal, campaign_id=campaign_id)
    remaining = dict(
        session.execute(
            select(Slot.point_id, func.sum(QuotaShard.remaining))
            .join(QuotaShard, QuotaShard.slot_id == Slot.id)
            .where(Slot.campaign_id == campaign.id)
            .group_by(Slot.point_id)
        ).all()
    )
    booked_rows = session.execute(
        select(Slot.point_id, func.count(Reservation.id), func.count(Reservation.redeemed_at))
        .join(Reservation, Reservation.slot_id == Slot.id)
        .where(Slot.campaign_id == campaign.id)
        .group_by(Slot.point_id)
    ).all()
    booked = {row[0]: (row[1], row[2]) for row in booked_rows}
    quota: dict[uuid.UUID, int] = {}
    for slot in campaign.slots:
        quota[slot.point_id] = quota.get(slot.point_id, 0) + slot.quota
    registrations = session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(Registration.campaign_id == campaign.id)
    )
    return CampaignCounts(
        campaign_id=campaign.id,
        registrations=registrations or 0,
        points=[
            PointCount(
                point_id=point.id,
                name=point.name,
                quota=quota.get(point.id, 0),
                remaining=int(remaining.get(point.id) or 0),
                booked=booked.get(point.id, (0, 0))[0],
                redeemed=booked.get(point.id, (0, 0))[1],
            )
            for point in campaign.points
        ],
    )


def list_campaigns(
    session: Session,
    *,
    department_id: uuid.UUID | None = None,
    closed_within: timedelta = timedelta(days=14),
    now: datetime | None = None,
    limit: int = 100,
) -> list[Campaign]:
    """List campaigns open, upcoming or closed within `closed_within`, soonest closing first;
    only `department_id`'s when given (then closed ones of any age too)."""
    now = now or utcnow()
    query = select(Campaign).order_by(Campaign.closes_at.desc()).limit(limit)
    if department_id is not None:
        query = query.where(Campaign.department_id == department_id)
    else:
        query = query.where(Campaign.closes_at > now - closed_within)
    return list(session.scalars(query))


def remaining_by_slot(session: Session, campaign_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Return the places still free per slot of a campaign (public, as residents see them)."""
    rows = session.execute(
        select(QuotaShard.slot_id, func.sum(QuotaShard.remaining))
        .join(Slot, Slot.id == QuotaShard.slot_id)
        .where(Slot.campaign_id == campaign_id)
        .group_by(QuotaShard.slot_id)
    ).all()
    return {slot_id: int(left or 0) for slot_id, left in rows}
