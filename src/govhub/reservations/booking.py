"""First-come-first-served booking: no oversell and no double booking, under any concurrency.

A booking is planned (reads only: the campaign's offer of the slot, from a short-lived
per-process cache, and eligibility) and executed in a write transaction whose first statement
is a write, so on SQLite it takes the write lock before reading anything (no stale snapshot to
upgrade, like BEGIN IMMEDIATE). That transaction, in compiled Core statements:

1. inserts the resident's claim on the campaign's period, `ON CONFLICT DO NOTHING`, and only
   while the campaign is open according to its row (so a campaign closed by another process
   refuses at once, whatever a cache still says): a second booking (or a concurrent one) of
   the same resident finds it taken;
2. takes one unit of quota with one conditional `UPDATE ... SET remaining = remaining - 1
   WHERE remaining > 0 RETURNING`, on the shard the resident's id hashes to, falling through
   to the other shards that still show quota; each statement locks at most one shard row,
   so bookings of one slot spread over its shards and never deadlock;
3. inserts the reservation and, with an Idempotency-Key, the key's record.

On PostgreSQL the three steps (and the key's record) are one statement of data-modifying CTEs
on the resident's own shard, one round trip instead of four; only when that shard is empty
does the booking fall through to the other shards statement by statement, in the same
transaction. SQLite runs the statements one by one.

Commit makes all of it durable at once; any refusal rolls all of it back. An earlier answer to
the same Idempotency-Key is looked up only when the fast path refuses (the claim is taken, or
the campaign no longer takes bookings), so a first attempt costs no extra read.

Once a slot is found sold out, this process remembers it for `SOLD_OUT_SECONDS` (dropped when
this process changes the campaign): later attempts get the sold-out answer without a write
transaction (a retry with an Idempotency-Key still gets its earlier answer). The marker only
refuses sooner what the database refused; it never admits anything.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Insert, Table, exists, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from govhub.core.cache import WatchedCache
from govhub.core.db import utcnow
from govhub.core.errors import GovHubError, InvalidInput, NotFound
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
    PickupPoint,
    QuotaShard,
    Reservation,
    Slot,
    TimeWindow,
)
from govhub.reservations.schemas import BookingCreate

_CLAIMS = cast(Table, Claim.__table__)
_CAMPAIGNS = cast(Table, Campaign.__table__)
_SHARDS = cast(Table, QuotaShard.__table__)
_RESERVATIONS = cast(Table, Reservation.__table__)
_KEYS = cast(Table, IdempotencyRecord.__table__)


@dataclass(frozen=True, slots=True)
class Offer:
    """What booking needs of a campaign and one of its slots (none of it changes once
    published, except the closing time, which the write transaction checks on the row)."""

    campaign_id: uuid.UUID
    mode: AllocationMode
    opens_at: datetime
    closes_at: datetime
    min_age: int | None
    max_age: int | None
    residence_division: str | None
    period_key: str
    shards: int
    slot_id: uuid.UUID
    point_id: uuid.UUID
    window_id: uuid.UUID
    expires_at: datetime


OFFER_SECONDS = 5.0
# Offers by (campaign, slot): dropped when this process touches a campaign, its points, windows
# or slots (closing one included); another process's closing is enforced by the claim insert.
_offers: WatchedCache[tuple[uuid.UUID, uuid.UUID], Offer] = WatchedCache(
    Campaign, PickupPoint, TimeWindow, Slot
)

SOLD_OUT_SECONDS = 1.0
# Slots this process found sold out, by slot id: dropped when this process touches the campaign
# or a quota shard through the ORM; another process's change shows after the time to live.
_sold_out: WatchedCache[uuid.UUID, bool] = WatchedCache(
    Campaign, PickupPoint, TimeWindow, Slot, QuotaShard
)


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
    point_id: uuid.UUID
    window_id: uuid.UUID
    expires_at: datetime


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


def offer_of(session: Session, campaign_id: uuid.UUID, slot_id: uuid.UUID) -> Offer:
    """Return the offer of a campaign's slot, from this process's cache when fresh."""
    key = (campaign_id, slot_id)
    cached = _offers.get(key, ttl=OFFER_SECONDS)
    if cached is not None:
        return cached
    since = _offers.generation
    campaign, slot = campaign_and_slot(session, campaign_id, slot_id)
    window = session.get(TimeWindow, slot.window_id)
    if window is None:  # pragma: no cover - a foreign key guarantees it
        raise NotFound("no such time window")
    offer = Offer(
        campaign_id=campaign.id,
        mode=campaign.mode,
        opens_at=campaign.opens_at,
        closes_at=campaign.closes_at,
        min_age=campaign.min_age,
        max_age=campaign.max_age,
        residence_division=campaign.residence_division,
        period_key=campaign.period_key,
        shards=max(1, min(campaign.shards, slot.quota)),
        slot_id=slot.id,
        point_id=slot.point_id,
        window_id=slot.window_id,
        expires_at=window.ends_at,
    )
    _offers.put(key, offer, since=since, ttl=OFFER_SECONDS)
    return offer


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
    """Check a booking (reads only); a refused retry of an earlier request gets its answer."""
    now = now or utcnow()
    digest = request_digest(campaign_id, data)
    try:
        offer = offer_of(session, campaign_id, data.slot_id)
        if offer.mode is not AllocationMode.FCFS:
            raise WrongMode("this campaign allocates by lottery: register instead")
        ensure_open(offer, now)
        if _sold_out.get(offer.slot_id, ttl=SOLD_OUT_SECONDS):
            raise SoldOut("every place of this pickup point and window is taken")
        resident_id = check_eligible(session, rules=offer, principal=principal, now=now)
    except GovHubError:
        if idempotency_key is not None and principal.account_id is not None:
            earlier = idempotent_answer(
                session, account_id=principal.account_id, key=idempotency_key, digest=digest
            )
            if earlier is not None:
                return earlier
        raise
    return BookingPlan(
        campaign_id=offer.campaign_id,
        slot_id=offer.slot_id,
        period_key=offer.period_key,
        shards=offer.shards,
        resident_id=resident_id,
        idempotency_key=idempotency_key,
        request_digest=digest,
        point_id=offer.point_id,
        window_id=offer.window_id,
        expires_at=offer.expires_at,
    )


def insert_claim(
    session: Session,
    *,
    period_key: str,
    resident_id: uuid.UUID,
    campaign_id: uuid.UUID,
    open_at: datetime | None = None,
) -> bool:
    """Claim the resident's one reservation of the period; False when already claimed, or,
    given `open_at`, when the campaign's row says it is not open at that moment."""
    now = utcnow()
    values = {
        "period_key": period_key,
        "resident_id": resident_id,
        "campaign_id": campaign_id,
        "created_at": now,
    }
    connection = session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement: Insert
    if open_at is None:
        statement = insert(_CLAIMS).values(values)
    else:
        is_open = exists().where(
            _CAMPAIGNS.c.id == campaign_id,
            _CAMPAIGNS.c.opens_at <= open_at,
            _CAMPAIGNS.c.closes_at > open_at,
        )
        row = select(*(literal(v, _CLAIMS.c[k].type) for k, v in values.items())).where(is_open)
        statement = insert(_CLAIMS).from_select(list(values), row)
    statement = statement.on_conflict_do_nothing().returning(_CLAIMS.c.resident_id)
    # RETURNING says whether a row went in (a conflict returns none) on every driver.
    return connection.execute(statement).first() is not None


def _decrement(session: Session, slot_id: uuid.UUID, shard: int) -> bool:
    statement = (
        update(_SHARDS)
        .where(_SHARDS.c.slot_id == slot_id, _SHARDS.c.shard == shard, _SHARDS.c.remaining > 0)
        .values(remaining=_SHARDS.c.remaining - 1)
        .returning(_SHARDS.c.shard)
    )
    return session.connection().execute(statement).first() is not None


def take_quota(session: Session, *, slot_id: uuid.UUID, shards: int, hint: int) -> int | None:
    """Take one unit of the slot's quota; return the shard it came from, None when sold out."""
    first = hint % shards
    if _decrement(session, slot_id, first):
        return first
    candidates: list[int] = list(
        session.connection().scalars(
            select(_SHARDS.c.shard)
            .where(_SHARDS.c.slot_id == slot_id, _SHARDS.c.remaining > 0)
            .order_by(_SHARDS.c.shard)
        )
    )
    candidates.sort(key=lambda shard: (shard - first) % shards)
    for shard in candidates:
        if _decrement(session, slot_id, shard):
            return shard
    return None


# Claim, take one unit of the resident's own shard and insert the reservation (and the key's
# record), in one statement: a step that finds nothing to do leaves the later ones nothing.
_ONE_STATEMENT = """
WITH claim AS (
    INSERT INTO reservation_claims (period_key, resident_id, campaign_id, created_at)
    SELECT :period_key, :resident_id, :campaign_id, :now
    WHERE EXISTS (
        SELECT 1 FROM reservation_campaigns
        WHERE id = :campaign_id AND opens_at <= :now AND closes_at > :now
    )
    ON CONFLICT DO NOTHING
    RETURNING resident_id
), taken AS (
    UPDATE reservation_quota_shards SET remaining = remaining - 1
    WHERE slot_id = :slot_id AND shard = :shard AND remaining > 0
      AND EXISTS (SELECT 1 FROM claim)
    RETURNING shard
), booked AS (
    INSERT INTO reservations (id, campaign_id, slot_id, resident_id, period_key, shard, created_at)
    SELECT :id, :campaign_id, :slot_id, :resident_id, :period_key, taken.shard, :now FROM taken
    RETURNING id
){keyed}
SELECT EXISTS (SELECT 1 FROM claim) AS claimed, EXISTS (SELECT 1 FROM booked) AS booked
"""
_KEYED = """, keyed AS (
    INSERT INTO reservation_idempotency
        (account_id, key, request_digest, reservation_id, created_at)
    SELECT :resident_id, :key, :digest, booked.id, :now FROM booked
)"""
_BOOK_PG = text(_ONE_STATEMENT.format(keyed=""))
_BOOK_PG_KEYED = text(_ONE_STATEMENT.format(keyed=_KEYED))


def _key_reused() -> IdempotencyKeyReused:
    """The refusal of a key whose first use, in another period, won the race."""
    return IdempotencyKeyReused(
        "this Idempotency-Key was used for a different request", field="Idempotency-Key"
    )


def _book_in_one_statement(
    connection: Connection, plan: BookingPlan, values: dict[str, object]
) -> tuple[bool, bool]:
    """Run the booking as one PostgreSQL statement: (claimed, booked on `values["shard"]`)."""
    params = {
        "period_key": plan.period_key,
        "resident_id": plan.resident_id,
        "campaign_id": plan.campaign_id,
        "slot_id": plan.slot_id,
        "shard": values["shard"],
        "id": values["id"],
        "now": values["created_at"],
    }
    statement = _BOOK_PG
    if plan.idempotency_key is not None:
        statement = _BOOK_PG_KEYED
        params |= {"key": plan.idempotency_key, "digest": plan.request_digest}
    try:
        row = connection.execute(statement, params).one()
    except IntegrityError as exc:
        raise _key_reused() from exc
    return bool(row.claimed), bool(row.booked)


def _insert_reservation(
    connection: Connection, plan: BookingPlan, values: dict[str, object]
) -> None:
    """Insert the reservation and, with an Idempotency-Key, the key's record."""
    connection.execute(_RESERVATIONS.insert().values(values))
    if plan.idempotency_key is not None:
        record = {
            "account_id": plan.resident_id,
            "key": plan.idempotency_key,
            "request_digest": plan.request_digest,
            "reservation_id": values["id"],
            "created_at": values["created_at"],
        }
        try:
            connection.execute(_KEYS.insert().values(record))
        except IntegrityError as exc:
            raise _key_reused() from exc


def _refused_claim(session: Session, plan: BookingPlan, now: datetime) -> Reservation:
    """Explain a claim that did not go in: an earlier answer to the same key, a campaign
    no longer open, or the resident's period already taken."""
    if plan.idempotency_key is not None:
        earlier = idempotent_answer(
            session,
            account_id=plan.resident_id,
            key=plan.idempotency_key,
            digest=plan.request_digest,
        )
        if earlier is not None:
            return earlier
    campaign = session.get(Campaign, plan.campaign_id, populate_existing=True)
    if campaign is None:  # pragma: no cover - campaigns are never deleted while booked
        raise NotFound("no such campaign")
    ensure_open(campaign, now)
    raise AlreadyReserved("you already hold a reservation or registration in this period")


def execute_booking(
    session: Session, *, plan: BookingPlan, now: datetime | None = None
) -> Reservation:
    """Claim, take quota and insert the reservation in the session's write transaction.

    Returns the new reservation (built from the inserted values, not attached to the
    session) or, for a retry of an earlier request, that request's reservation.
    """
    now = now or utcnow()
    since = _sold_out.generation
    connection = session.connection()
    hint = int.from_bytes(hashlib.sha256(plan.resident_id.bytes).digest()[:4], "big")
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "campaign_id": plan.campaign_id,
        "slot_id": plan.slot_id,
        "resident_id": plan.resident_id,
        "period_key": plan.period_key,
        "shard": hint % plan.shards,
        "created_at": now,
    }
    if connection.dialect.name == "postgresql":
        claimed, booked = _book_in_one_statement(connection, plan, values)
        if booked:
            return Reservation(**values)
    else:
        claimed = insert_claim(
            session,
            period_key=plan.period_key,
            resident_id=plan.resident_id,
            campaign_id=plan.campaign_id,
            open_at=now,
        )
    if not claimed:
        return _refused_claim(session, plan, now)
    shard = take_quota(session, slot_id=plan.slot_id, shards=plan.shards, hint=hint)
    if shard is None:
        _sold_out.put(plan.slot_id, True, since=since, ttl=SOLD_OUT_SECONDS)
        raise SoldOut("every place of this pickup point and window is taken")
    values["shard"] = shard
    _insert_reservation(connection, plan, values)
    return Reservation(**values)
