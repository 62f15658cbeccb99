"""Lotteries anyone can verify: a committed seed, a public registration list, a pure draw.

At publication a random 32-byte seed is drawn, stored encrypted, and its SHA-256 commitment
is published and ledgered, before any registration. After registration closes the draw
reveals the seed (ledgered) and computes the winners with `verify_draw`: every registration
is ranked by HMAC-SHA256(seed, registration id) and, in rank order, wins while its slot has
quota left. The result and the digest of the registration list are ledgered; `draw_view`
publishes the seed, the list and the winners so that anyone can run `verify_draw` again.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from govhub.core.crypto import decrypt_field
from govhub.core.db import utcnow
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.reservations.booking import campaign_and_slot, insert_claim
from govhub.reservations.campaigns import (
    SEED_CONTEXT,
    ensure_open,
    get_campaign,
    managed_campaign,
    shard_sizes,
)
from govhub.reservations.eligibility import check_eligible
from govhub.reservations.errors import AlreadyReserved, WrongMode
from govhub.reservations.models import (
    AllocationMode,
    Campaign,
    Claim,
    QuotaShard,
    Registration,
    Reservation,
)
from govhub.reservations.schemas import BookingCreate, DrawEntry, DrawRead

Entry = tuple[str, str]  # (registration id, slot id), both as canonical UUID text


def rank(seed: bytes, registration_id: str) -> bytes:
    """Return a registration's place in the draw: HMAC-SHA256(seed, registration id)."""
    return hmac.new(seed, registration_id.encode(), hashlib.sha256).digest()


def verify_draw(seed: bytes, registrations: Sequence[Entry], quota: Mapping[str, int]) -> list[str]:
    """Recompute a draw: the winning registration ids, in draw order."""
    taken: dict[str, int] = {}
    winners: list[str] = []
    for registration_id, slot_id in sorted(registrations, key=lambda e: (rank(seed, e[0]), e)):
        if taken.get(slot_id, 0) < quota.get(slot_id, 0):
            taken[slot_id] = taken.get(slot_id, 0) + 1
            winners.append(registration_id)
    return winners


def registrations_digest(registrations: Sequence[Entry]) -> str:
    """Return the SHA-256 of the sorted registration list as canonical JSON."""
    return hashlib.sha256(
        ledger.canonical_json(sorted([list(e) for e in registrations]))
    ).hexdigest()


@dataclass(frozen=True, slots=True)
class RegistrationPlan:
    """A lottery registration checked against the campaign, ready to execute."""

    campaign_id: uuid.UUID
    period_key: str
    slot_id: uuid.UUID
    resident_id: uuid.UUID


def plan_registration(
    session: Session,
    *,
    principal: Principal,
    campaign_id: uuid.UUID,
    data: BookingCreate,
    now: datetime | None = None,
) -> RegistrationPlan:
    """Check a lottery registration (reads only)."""
    now = now or utcnow()
    campaign, slot = campaign_and_slot(session, campaign_id, data.slot_id)
    if campaign.mode is not AllocationMode.LOTTERY:
        raise WrongMode("this campaign is first come, first served: book instead")
    ensure_open(campaign, now)
    resident_id = check_eligible(session, rules=campaign, principal=principal, now=now)
    return RegistrationPlan(campaign.id, campaign.period_key, slot.id, resident_id)


def execute_registration(session: Session, *, plan: RegistrationPlan) -> Registration:
    """Claim the resident's period and enter the lottery (the write transaction)."""
    if not insert_claim(
        session,
        period_key=plan.period_key,
        resident_id=plan.resident_id,
        campaign_id=plan.campaign_id,
    ):
        raise AlreadyReserved("you already hold a reservation or registration in this period")
    registration = Registration(
        id=uuid.uuid4(),
        campaign_id=plan.campaign_id,
        slot_id=plan.slot_id,
        resident_id=plan.resident_id,
    )
    session.add(registration)
    session.flush()
    return registration


def _entries(session: Session, campaign_id: uuid.UUID) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .where(Registration.campaign_id == campaign_id)
            .order_by(Registration.id)
        )
    )


def draw(
    session: Session, *, principal: Principal, campaign_id: uuid.UUID, now: datetime | None = None
) -> DrawRead:
    """Reveal the seed, allocate the quota to the winners and ledger seed and result."""
    now = now or utcnow()
    campaign = managed_campaign(session, principal=principal, campaign_id=campaign_id)
    if campaign.mode is not AllocationMode.LOTTERY or campaign.seed_encrypted is None:
        raise WrongMode("only a lottery campaign is drawn")
    if now < campaign.closes_at:
        raise WrongMode("registration is still open; close the campaign first")
    marked = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.drawn_at.is_(None))
        .values(drawn_at=now)
        .returning(Campaign.id)
        .execution_options(synchronize_session=False)
    ).first()
    if marked is None:
        raise WrongMode("this lottery has already been drawn")
    session.refresh(campaign)
    seed = bytes.fromhex(decrypt_field(campaign.seed_encrypted, context=SEED_CONTEXT))
    registrations = _entries(session, campaign.id)
    entries = [(str(r.id), str(r.slot_id)) for r in registrations]
    quota = {str(slot.id): slot.quota for slot in campaign.slots}
    winners = set(verify_draw(seed, entries, quota))
    won_per_slot: dict[uuid.UUID, int] = {}
    losers: list[uuid.UUID] = []
    for registration in registrations:
        registration.won = str(registration.id) in winners
        if registration.won:
            won_per_slot[registration.slot_id] = won_per_slot.get(registration.slot_id, 0) + 1
            session.add(
                Reservation(
                    campaign_id=campaign.id,
                    slot_id=registration.slot_id,
                    resident_id=registration.resident_id,
                    period_key=campaign.period_key,
                )
            )
        else:
            losers.append(registration.resident_id)
    for slot in campaign.slots:
        shards = list(
            session.scalars(
                select(QuotaShard).where(QuotaShard.slot_id == slot.id).order_by(QuotaShard.shard)
            )
        )
        left = slot.quota - won_per_slot.get(slot.id, 0)
        for shard, size in zip(shards, shard_sizes(left, len(shards)), strict=True):
            shard.remaining = size
    if losers:
        session.execute(
            delete(Claim).where(
                Claim.period_key == campaign.period_key,
                Claim.campaign_id == campaign.id,
                Claim.resident_id.in_(losers),
            )
        )
    session.flush()
    actor = ledger.actor_of(principal)
    subject = f"campaign:{campaign.id}"
    ledger.record(
        session,
        kind=EntryKind.RESERVATION_SEED_REVEALED,
        actor=actor,
        subject=subject,
        payload={"campaign": str(campaign.id), "seed": seed.hex()},
        department_id=campaign.department_id,
    )
    ledger.record(
        session,
        kind=EntryKind.RESERVATION_DRAW_RESULT,
        actor=actor,
        subject=subject,
        payload={
            "campaign": str(campaign.id),
            "registrations_digest": registrations_digest(entries),
            "winners": sorted(winners),
        },
        department_id=campaign.department_id,
    )
    return draw_view(session, campaign_id=campaign.id)


def draw_view(session: Session, *, campaign_id: uuid.UUID) -> DrawRead:
    """Return what anyone needs to check a draw (the seed only once it is revealed)."""
    campaign = get_campaign(session, campaign_id)
    if (
        campaign.mode is not AllocationMode.LOTTERY
        or campaign.seed_encrypted is None
        or campaign.seed_commitment is None
    ):
        raise WrongMode("only a lottery campaign has a draw")
    registrations = _entries(session, campaign.id)
    entries = [(str(r.id), str(r.slot_id)) for r in registrations]
    drawn = campaign.drawn_at is not None
    seed = decrypt_field(campaign.seed_encrypted, context=SEED_CONTEXT) if drawn else None
    winners = sorted(r.id for r in registrations if r.won) if drawn else None
    return DrawRead(
        campaign_id=campaign.id,
        seed_commitment=campaign.seed_commitment,
        seed=seed,
        registrations=[DrawEntry(registration_id=r.id, slot_id=r.slot_id) for r in registrations],
        registrations_digest=registrations_digest(entries),
        quota={str(s.id): s.quota for s in campaign.slots},
        winners=winners,
    )
