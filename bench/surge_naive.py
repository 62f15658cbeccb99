"""The naive peer of `bench/surge_http.py`: GovHub's app plus one booking route that reads the
remaining quota, checks it and writes the decrement back (and checks "already reserved" by a
read before its insert), the design that oversells under concurrency.

Served only by the benchmark: `uvicorn bench.surge_naive:create_app --factory`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, FastAPI, status
from pydantic import BaseModel
from sqlalchemy import select, update

from govhub.api import create_app as create_govhub_app
from govhub.core.errors import Conflict
from govhub.identity.deps import DbSession, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.reservations.models import QuotaShard, Reservation
from govhub.reservations.schemas import BookingCreate

Booker = Annotated[Principal, Depends(require(Permission.RESERVATIONS_BOOK))]


class NaiveBooking(BaseModel):
    """The id of the reservation made."""

    id: uuid.UUID


def create_app() -> FastAPI:
    """GovHub's app with the naive booking route at /bench/naive/{campaign_id}/bookings."""
    app = create_govhub_app()

    @app.post("/bench/naive/{campaign_id}/bookings", status_code=status.HTTP_201_CREATED)
    def book(
        campaign_id: uuid.UUID, data: BookingCreate, session: DbSession, principal: Booker
    ) -> NaiveBooking:
        resident = principal.account_id
        earlier = session.scalar(
            select(Reservation.id).where(
                Reservation.campaign_id == campaign_id, Reservation.resident_id == resident
            )
        )
        if earlier is not None:
            raise Conflict("already reserved")
        where = (QuotaShard.slot_id == data.slot_id, QuotaShard.shard == 0)
        remaining = session.scalar(select(QuotaShard.remaining).where(*where)) or 0
        if remaining <= 0:
            raise Conflict("sold out: every place is taken")
        reservation = Reservation(
            campaign_id=campaign_id,
            slot_id=data.slot_id,
            resident_id=resident,
            period_key=f"naive:{uuid.uuid4()}",  # no one-per-resident constraint
            shard=0,
        )
        session.add(reservation)
        session.flush()
        session.execute(update(QuotaShard).where(*where).values(remaining=remaining - 1))
        return NaiveBooking(id=reservation.id)

    return app
