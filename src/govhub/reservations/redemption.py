"""Redemption of pickup codes at pickup points: verified offline-style, used at most once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import InvalidInput, NotFound
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.reservations import codes
from govhub.reservations.errors import PickupCodeInvalid, PickupCodeUsed
from govhub.reservations.models import Campaign, PickupPoint, Reservation
from govhub.reservations.schemas import RedemptionCreate, RedemptionRead


def redeem(
    session: Session,
    *,
    principal: Principal,
    data: RedemptionCreate,
    now: datetime | None = None,
) -> RedemptionRead:
    """Check a scanned code and mark its reservation collected, exactly once."""
    now = now or utcnow()
    claim = codes.verify(data.code, now=now)
    reservation = session.get(Reservation, claim.reservation_id)
    if (
        reservation is None
        or reservation.slot.point_id != claim.point_id
        or reservation.slot.window_id != claim.window_id
    ):
        raise PickupCodeInvalid("the pickup code matches no reservation", field="code")
    if data.point_id is not None and data.point_id != claim.point_id:
        raise InvalidInput("this pickup code belongs to another pickup point", field="point_id")
    point = session.get(PickupPoint, claim.point_id)
    campaign = session.get(Campaign, reservation.campaign_id)
    if point is None or campaign is None:  # pragma: no cover - foreign keys guarantee both
        raise PickupCodeInvalid("the pickup code matches no reservation", field="code")
    if not principal.covers(point.division_code):
        raise NotFound("no such pickup point in your division")
    marked = session.execute(
        update(Reservation)
        .where(Reservation.id == reservation.id, Reservation.redeemed_at.is_(None))
        .values(redeemed_at=now, redeemed_by=principal.account_id)
        .returning(Reservation.id)
        .execution_options(synchronize_session=False)
    ).first()
    if marked is None:
        raise PickupCodeUsed("this pickup code has already been redeemed")
    ledger.record(
        session,
        kind=EntryKind.PICKUP_REDEEMED,
        actor=ledger.actor_of(principal),
        subject=f"reservation:{reservation.id}",
        payload={"reservation": str(reservation.id), "point": str(point.id)},
        department_id=campaign.department_id,
    )
    return RedemptionRead(
        reservation_id=reservation.id,
        campaign_id=campaign.id,
        point_id=point.id,
        window_id=claim.window_id,
        redeemed_at=now,
    )
