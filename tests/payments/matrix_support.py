"""Builders for the payment rows of the authorization matrix (tests/identity).

They write through the test session factory (bound to the test's rolled-back connection):
fresh fee orders of city A's market bureau for the matrix citizen, pending or paid, and fresh
signed sandbox callbacks.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from govhub.core import db
from govhub.core.db import utcnow
from govhub.identity import authn
from govhub.identity.models import Account
from govhub.payments import reconciliation, service
from govhub.payments.models import PaymentOrder
from govhub.payments.provider import sandbox
from govhub.payments.schemas import OrderCreate
from tests.factories import World


class HasCitizen(Protocol):
    """The matrix's actors (their world and the citizen)."""

    world: World
    citizen: Account


def _order(a: HasCitizen, *, paid: bool = False) -> PaymentOrder:
    with db.get_sessionmaker()() as session:
        admin = authn.principal_for(session.merge(a.world.city_a_admin))
        order = service.create_order(
            session,
            principal=admin,
            data=OrderCreate(
                payer_id=a.citizen.id,
                subject=f"application:{uuid.uuid4()}",
                item="工本费",
                amount_fen=2000,
            ),
        )
        if paid:
            signed = sandbox().charge(
                session, order_id=order.id, amount_fen=order.amount_fen, succeed=True
            )
            service.handle_callback(
                session, notification=signed.notification, signature=signed.signature
            )
        session.commit()
    return order


def order_body(a: HasCitizen) -> dict[str, Any]:
    """A fee order for the matrix citizen, with a subject of its own."""
    return {
        "payer_id": str(a.citizen.id),
        "subject": f"application:{uuid.uuid4()}",
        "item": "工本费",
        "amount_fen": 2000,
    }


def pending(a: HasCitizen) -> dict[str, Any]:
    """A fresh pending order of city A's market bureau for the matrix citizen."""
    return {"order_id": _order(a).id}


def paid(a: HasCitizen) -> dict[str, Any]:
    """A fresh order of city A's market bureau, paid by the matrix citizen."""
    return {"order_id": _order(a, paid=True).id}


def callback_body(a: HasCitizen) -> dict[str, Any]:
    """A signed sandbox callback for a fresh pending order."""
    order = _order(a)
    signed = sandbox().notify(
        order_id=order.id,
        txn_id=f"sbx_{uuid.uuid4().hex[:24]}",
        outcome="succeeded",
        amount_fen=order.amount_fen,
    )
    return {"notification": signed.notification, "signature": signed.signature}


def today(a: HasCitizen) -> dict[str, Any]:
    """The body naming today (UTC)."""
    return {"day": utcnow().date().isoformat()}


def reconciled_day(a: HasCitizen) -> dict[str, Any]:
    """Today, reconciled once."""
    day = utcnow().date()
    with db.get_sessionmaker()() as session:
        reconciliation.reconcile(session, day=day, actor="matrix")
        session.commit()
    return {"day": day.isoformat()}
