"""Builders for the reservation rows of the authorization matrix (tests/identity).

They write through the test session factory (bound to the test's rolled-back connection):
fresh campaigns of city A's market bureau, lotteries ready to draw, and the matrix citizen's
reservations and pickup codes.
"""

from __future__ import annotations

from typing import Any, Protocol

from govhub.core import db
from govhub.identity import authn
from govhub.identity.models import Account
from govhub.reservations import service
from govhub.reservations.booking import BookingPlan
from govhub.reservations.models import AllocationMode, Campaign
from govhub.reservations.schemas import BookingCreate
from tests.factories import World
from tests.reservations.helpers import as_json, campaign_data

_last_slot: dict[int, str] = {}


class HasCitizen(Protocol):
    """The matrix's actors (their world, the citizen and the caller's name)."""

    world: World
    citizen: Account
    current: str


def _publish(a: HasCitizen, mode: AllocationMode = AllocationMode.FCFS) -> Campaign:
    with db.get_sessionmaker()() as session:
        admin = authn.principal_for(session.merge(a.world.city_a_admin))
        campaign = service.create_campaign(
            session, principal=admin, data=campaign_data(mode=mode, quota_per_slot=5)
        )
        session.commit()
    _last_slot[id(a)] = str(campaign.slots[0].id)
    return campaign


def campaign(a: HasCitizen) -> dict[str, Any]:
    """A fresh first-come-first-served campaign, open now."""
    return {"campaign_id": _publish(a).id}


def lottery(a: HasCitizen) -> dict[str, Any]:
    """A fresh lottery campaign, open for registration."""
    return {"campaign_id": _publish(a, AllocationMode.LOTTERY).id}


def closed_lottery(a: HasCitizen) -> dict[str, Any]:
    """A fresh lottery campaign whose registration has closed, ready to draw."""
    created = _publish(a, AllocationMode.LOTTERY)
    with db.get_sessionmaker()() as session:
        admin = authn.principal_for(session.merge(a.world.city_a_admin))
        service.close_campaign(session, principal=admin, campaign_id=created.id)
        session.commit()
    return {"campaign_id": created.id}


def slot_body(a: HasCitizen) -> dict[str, Any]:
    """The body naming the first slot of the campaign built last."""
    return {"slot_id": _last_slot[id(a)]}


def campaign_body(a: HasCitizen) -> dict[str, Any]:
    """A campaign whose pickup points lie in the caller's own city."""
    division = "330200" if a.current == "admin_b" else "330102"
    points = [{"name": "pharmacy", "division_code": division}]
    return as_json(campaign_data(points=points))


def _reservation(a: HasCitizen) -> tuple[str, str]:
    created = _publish(a)
    with db.get_sessionmaker()() as session:
        citizen = authn.principal_for(session.merge(a.citizen))
        plan = service.plan_booking(
            session,
            principal=citizen,
            campaign_id=created.id,
            data=BookingCreate(slot_id=created.slots[0].id),
        )
        assert isinstance(plan, BookingPlan)
        reservation = service.execute_booking(session, plan=plan)
        code = service.to_read(session, reservation).pickup_code
        session.commit()
    return str(reservation.id), code


def own_reservation(a: HasCitizen) -> dict[str, Any]:
    """A reservation of the matrix citizen."""
    return {"reservation_id": _reservation(a)[0]}


def code_body(a: HasCitizen) -> dict[str, Any]:
    """A fresh pickup code of the matrix citizen, at a point in county A."""
    return {"code": _reservation(a)[1]}
