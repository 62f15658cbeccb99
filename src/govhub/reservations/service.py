"""The reservations domain's operations, in one place for the API and other domains.

Each lives in a module named for its job: `campaigns` (publication, counts), `booking`
(first come, first served), `lottery` (registration, draw, verification), `redemption`,
`codes` (signed pickup codes and QR), `eligibility` and `admission`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.db import session_scope
from govhub.core.errors import NotFound
from govhub.identity.principal import Principal
from govhub.reservations import codes
from govhub.reservations.booking import execute_booking, plan_booking, take_quota
from govhub.reservations.campaigns import (
    close_campaign,
    counts,
    create_campaign,
    get_campaign,
    list_campaigns,
    managed_campaign,
    remaining_by_slot,
)
from govhub.reservations.lottery import (
    draw,
    draw_view,
    execute_registration,
    plan_registration,
    registrations_digest,
    verify_draw,
)
from govhub.reservations.models import Registration, Reservation, Slot, TimeWindow
from govhub.reservations.redemption import redeem
from govhub.reservations.schemas import BookingCreate, RegistrationRead, ReservationRead

__all__ = [
    "book",
    "close_campaign",
    "counts",
    "create_campaign",
    "draw",
    "draw_view",
    "execute_booking",
    "execute_registration",
    "get_campaign",
    "get_own",
    "list_campaigns",
    "list_own",
    "list_own_registrations",
    "managed_campaign",
    "plan_booking",
    "plan_registration",
    "redeem",
    "register",
    "registrations_digest",
    "remaining_by_slot",
    "take_quota",
    "to_read",
    "verify_draw",
]


def to_read(session: Session, reservation: Reservation) -> ReservationRead:
    """Shape a reservation for its holder, with its signed pickup code."""
    slot = session.get(Slot, reservation.slot_id)
    window = session.get(TimeWindow, slot.window_id) if slot is not None else None
    if slot is None or window is None:  # pragma: no cover - foreign keys guarantee both
        raise NotFound("no such reservation")
    return _read(reservation, slot.point_id, slot.window_id, window.ends_at)


def _read(
    reservation: Reservation, point_id: uuid.UUID, window_id: uuid.UUID, expires_at: datetime
) -> ReservationRead:
    claim = codes.PickupClaim(reservation.id, point_id, window_id, expires_at)
    return ReservationRead(
        id=reservation.id,
        campaign_id=reservation.campaign_id,
        slot_id=reservation.slot_id,
        point_id=point_id,
        window_id=window_id,
        created_at=reservation.created_at,
        redeemed_at=reservation.redeemed_at,
        pickup_code=codes.issue(claim),
        expires_at=expires_at,
    )


def list_own(session: Session, *, principal: Principal) -> list[Reservation]:
    """List the caller's reservations, newest first."""
    return list(
        session.scalars(
            select(Reservation)
            .where(Reservation.resident_id == principal.account_id)
            .order_by(Reservation.created_at.desc())
        )
    )


def get_own(session: Session, *, principal: Principal, reservation_id: uuid.UUID) -> Reservation:
    """Return one of the caller's reservations (anyone else's: not found)."""
    reservation = session.get(Reservation, reservation_id)
    if reservation is None or reservation.resident_id != principal.account_id:
        raise NotFound("no such reservation")
    return reservation


def list_own_registrations(session: Session, *, principal: Principal) -> list[Registration]:
    """List the caller's lottery registrations."""
    return list(
        session.scalars(
            select(Registration)
            .where(Registration.resident_id == principal.account_id)
            .order_by(Registration.created_at.desc())
        )
    )


def book(
    session: Session,
    *,
    principal: Principal,
    campaign_id: uuid.UUID,
    data: BookingCreate,
    idempotency_key: str | None = None,
) -> ReservationRead:
    """Check a booking, then take the quota in one write transaction, committed before the
    answer; a repeated Idempotency-Key returns the first reservation."""
    plan = plan_booking(
        session,
        principal=principal,
        campaign_id=campaign_id,
        data=data,
        idempotency_key=idempotency_key,
    )
    if isinstance(plan, Reservation):
        return to_read(session, plan)
    if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        # SQLite cannot turn a transaction that has read into a writer once another writer
        # has committed: the write starts a transaction of its own. PostgreSQL locks the
        # rows it writes, so there the reads and the write share one transaction.
        session.commit()
    reservation = execute_booking(session, plan=plan)
    session.commit()
    return _read(reservation, plan.point_id, plan.window_id, plan.expires_at)


def register(
    session: Session, *, principal: Principal, campaign_id: uuid.UUID, data: BookingCreate
) -> RegistrationRead:
    """Enter a lottery campaign for one slot (checks on `session`, the write on its own)."""
    plan = plan_registration(session, principal=principal, campaign_id=campaign_id, data=data)
    session.commit()  # end the read-only transaction: a request holds one connection at a time
    with session_scope() as write:
        return RegistrationRead.model_validate(execute_registration(write, plan=plan))
