"""Builders for payment tests: payers, fee orders and sandbox callbacks."""

from __future__ import annotations

import uuid
from itertools import count

from sqlalchemy.orm import Session

from govhub.identity import service as identity_service
from govhub.identity.models import Account
from govhub.identity.principal import Principal
from govhub.identity.schemas import CitizenRegister
from govhub.payments import service
from govhub.payments.models import PaymentOrder
from govhub.payments.provider import SignedCallback, sandbox
from govhub.payments.schemas import OrderCreate
from tests.factories import PASSWORD, make_id_number

_seq = count(100)


def add_citizen(session: Session, username: str | None = None) -> Account:
    """Register a citizen who pays fees."""
    n = next(_seq)
    return identity_service.register_citizen(
        session,
        data=CitizenRegister(
            username=username or f"payer-{uuid.uuid4().hex[:8]}",
            password=PASSWORD,
            display_name="王五",
            id_number=make_id_number(seq=f"{n % 1000:03d}", born="19880512"),
        ),
    )


def order_data(
    payer: Account, *, amount_fen: int = 5000, subject: str | None = None
) -> OrderCreate:
    """The body of a fee order for `payer`."""
    return OrderCreate(
        payer_id=payer.id,
        subject=subject or f"application:{uuid.uuid4()}",
        item="食品经营许可证工本费",
        amount_fen=amount_fen,
    )


def raise_order(
    session: Session, collector: Principal, payer: Account, *, amount_fen: int = 5000
) -> PaymentOrder:
    """Raise a pending fee order of the collector's department."""
    return service.create_order(
        session, principal=collector, data=order_data(payer, amount_fen=amount_fen)
    )


def signed(
    order: PaymentOrder,
    *,
    amount_fen: int | None = None,
    outcome: str = "succeeded",
    timestamp: int | None = None,
    nonce: str | None = None,
    txn_id: str | None = None,
) -> SignedCallback:
    """A sandbox callback about `order`, signed with the sandbox's key."""
    return sandbox().notify(
        order_id=order.id,
        txn_id=txn_id or f"sbx_{uuid.uuid4().hex[:24]}",
        outcome=outcome,
        amount_fen=order.amount_fen if amount_fen is None else amount_fen,
        timestamp=timestamp,
        nonce=nonce,
    )


def pay(session: Session, payer: Principal, order: PaymentOrder) -> PaymentOrder:
    """Pay `order` at the sandbox cashier (booked by the sandbox, verified callback)."""
    return service.sandbox_pay(session, principal=payer, order_id=order.id, succeed=True)
