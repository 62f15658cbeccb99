"""First-come-first-served booking: no oversell and no double booking, under any concurrency.

A booking is planned on the request's session (reads only: the campaign, eligibility, an
earlier answer to the same Idempotency-Key) and executed in a write transaction of its own
whose first statement is a write, so on SQLite it takes the write lock before reading
anything (no stale snapshot to upgrade, like BEGIN IMMEDIATE). That transaction:

1. inserts the resident's claim on the campaign's period, `ON CONFLICT DO NOTHING`: a
   second booking (or a concurrent one) of the same resident finds it taken;
2. takes one unit of quota with one conditional `UPDATE ... SET remaining = remaining - 1
   WHERE remaining > 0 RETURNING`, on the shard the resident's id hashes to, falling through
   to the other shards that still show quota; each statement locks at most one shard row,
   so bookings of one slot spread over its shards and never deadlock;
3. inserts the reservation and, with an Idempotency-Key, the key's record.

Commit makes all of it durable at once; any refusal rolls all of it back.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Insert, Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from govhub.core.db import utcnow
from govhub.core.errors import InvalidInput, NotFound
from govhub.identity.principal import Principal
from govhub.reservations.campaigns import ensure_open
from govhub.reservations.eligibility import check_eligible
from govhub.reservations.errors import (
    AlreadyReserved,
    IdempotencyKeyReused,
    SoldOut,
    WrongMode,
)
from govhub.reservations.models import (
    AllocationMode,
    Campaign,
    Claim,
    IdempotencyRecord,
    QuotaShard,
    Reservation,
    Slot,
)
from govhub.reservations.schemas import BookingCreate


@dataclass(frozen=True, slots=True)
class BookingPlan:
    """A booking checked against the campaign, ready to execute."""

    campaign_id: uuid.UUID
    slot_id: uuid.UUID
    period_key: str
    shards: int
    resident_id: uuid.UUID
    idempotency_key: str | None
    request_digest: str


def request_digest(campaign_id: uuid.UUID, data: BookingCreate) -> str:
    """Return the digest that ties an Idempotency-Key to one request."""
    return hashlib.sha256(f"{campaign_id}:{data.slot_id}".encode()).hexdigest()


def campaign_and_slot(
    session: Session, campaign_id: uuid.UUID, slot_id: uuid.UUID
) -> tuple[Campaign, Slot]:
    """Return a campaign and one of its slots in one query (the hot path loads nothing more)."""
    row = session.execute(
        select(Campaign, Slot)
        .outerjoin(Slot, (Slot.campaign_id == Campaign.id) & (Slot.id == slot_id))
        .where(Campaign.id == campaign_id)
        .options(lazyload("*"))
    ).first()
    if row is None:
        raise NotFound("no such campaign")
    campaign, slot = row
    if slot is None:
        raise InvalidInput("the campaign has no such slot", field="slot_id")
    return campaign, slot


def idempotent_answer(
    session: Session, *, account_id: uuid.UUID, key: str, digest: str
) -> Reservation | None:
    """Return the reservation an earlier request with `key` made, or None."""
    record = session.get(IdempotencyRecord, (account_id, key))
    if record is None:
        return None
    if record.request_digest != digest:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different request", field="Idempotency-Key"
        )
    return session.get(Reservation, record.reservation_id)


def plan_booking(
    session: Session,
    *,
    principal: Principal,
    campaign_id: uuid.UUID,
    data: BookingCreate,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> BookingPlan | Reservation:
    """Check a booking (reads only); return the earlier reservation of a repeated request."""
    now = now or utcnow()
    digest = request_digest(campaign_id, data)
    if idempotency_key is not None and principal.account_id is not None:
        earlier = idempotent_answer(
            session, account_id=principal.account_id, key=idempotency_key, digest=digest
        )
        if earlier is not None:
            return earlier
    campaign, slot = campaign_and_slot(session, campaign_id, data.slot_id)
    if campaign.mode is not AllocationMode.FCFS:
        raise WrongMode("this campaign allocates by lottery: register instead")
    ensure_open(campaign, now)
    resident_id = check_eligible(session, campaign=campaign, principal=principal, now=now)
    return BookingPlan(
        campaign_id=campaign.id,
        slot_id=slot.id,
        period_key=campaign.period_key,
        shards=max(1, min(campaign.shards, slot.quota)),
        resident_id=resident_id,
        idempotency_key=idempotency_key,
        request_digest=digest,
    )


def insert_claim(
    session: Session, *, period_key: str, resident_id: uuid.UUID, campaign_id: uuid.UUID
) -> bool:
    """Claim the resident's one reservation of the period; False when already claimed."""
    values = {
        "period_key": period_key,
        "resident_id": resident_id,
        "campaign_id": campaign_id,
        "created_at": utcnow(),
    }
    connection = session.connection()
    table = cast(Table, Claim.__table__)
    statement: Insert
    if connection.dialect.name == "postgresql":
        statement = pg_insert(table).values(values).on_conflict_do_nothing()
        statement = statement.returning(table.c.resident_id)
    else:
        statement = sqlite_insert(table).values(values).on_conflict_do_nothing()
        statement = statement.returning(table.c.resident_id)
    # RETURNING says whether a row went in (a conflict returns none) on every driver.
    return connection.execute(statement).first() is not None


def _decrement(session: Session, slot_id: uuid.UUID, shard: int) -> bool:
    statement = (
        update(QuotaShard)
        .where(QuotaShard.slot_id == slot_id, QuotaShard.shard == shard, QuotaShard.remaining > 0)
        .values(remaining=QuotaShard.remaining - 1)
        .returning(QuotaShard.shard)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).first() is not None


def take_quota(session: Session, *, slot_id: uuid.UUID, shards: int, hint: int) -> int | None:
    """Take one unit of the slot's quota; return the shard it came from, None when sold out."""
    first = hint % shards
    if _decrement(session, slot_id, first):
        return first
    candidates = list(
        session.scalars(
            select(QuotaShard.shard)
            .where(QuotaShard.slot_id == slot_id, QuotaShard.remaining > 0)
            .order_by(QuotaShard.shard)
        )
    )
    candidates.sort(key=lambda shard: (shard - first) % shards)
    for shard in candidates:
        if _decrement(session, slot_id, shard):
            return shard
    return None


def execute_booking(session: Session, *, plan: BookingPlan) -> Reservation:
    """Claim, take quota and insert the reservation in the session's write transaction."""
    claimed = insert_claim(
        session,
        period_key=plan.period_key,
        resident_id=plan.resident_id,
        campaign_id=plan.campaign_id,
    )
    if not claimed:
        if plan.idempotency_key is not None:
            earlier = idempotent_answer(
                session,
                account_id=plan.resident_id,
                key=plan.idempotency_key,
                digest=plan.request_digest,
            )
            if earlier is not None:
                return earlier
        raise AlreadyReserved("you already hold a reservation or registration in this period")
    hint = int.from_bytes(hashlib.sha256(plan.resident_id.bytes).digest()[:4], "big")
    shard = take_quota(session, slot_id=plan.slot_id, shards=plan.shards, hint=hint)
    if shard is None:
        raise SoldOut("every place of this pickup point and window is taken")
    reservation = Reservation(
        id=uuid.uuid4(),
        campaign_id=plan.campaign_id,
        slot_id=plan.slot_id,
        resident_id=plan.resident_id,
        period_key=plan.period_key,
        shard=shard,
    )
    session.add(reservation)
    session.flush()
    if plan.idempotency_key is not None:
        session.add(
            IdempotencyRecord(
                account_id=plan.resident_id,
                key=plan.idempotency_key,
                request_digest=plan.request_digest,
                reservation_id=reservation.id,
            )
        )
        try:
            session.flush()
        except IntegrityError as exc:  # the key's first use, in another period, won the race
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for a different request", field="Idempotency-Key"
            ) from exc
    return reservation
