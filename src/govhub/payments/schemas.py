"""API schemas of payments: amounts are integer fen, never floats."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints

from govhub.core.schemas import Name, ReadSchema, Schema
from govhub.payments.models import OrderStatus, TransactionKind

# At most 10^10 fen (one hundred million yuan): no fee is larger, and it fits every integer.
MAX_AMOUNT_FEN = 10_000_000_000
Fen = Annotated[StrictInt, Field(ge=1, le=MAX_AMOUNT_FEN)]
Subject = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z_]{1,30}:[A-Za-z0-9_.:\-]{1,80}$"),
]


class OrderCreate(Schema):
    """A fee order a department raises for a payer."""

    payer_id: uuid.UUID
    subject: Subject
    item: Name
    amount_fen: Fen
    expires_in_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)


class OrderRead(ReadSchema):
    """A fee order as its payer and its department see it."""

    id: uuid.UUID
    department_id: uuid.UUID
    payer_id: uuid.UUID
    subject: str
    item: str
    amount_fen: int
    refunded_fen: int
    status: OrderStatus
    provider: str
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    closed_at: datetime | None


class CheckoutRead(Schema):
    """Where the payer goes to pay."""

    order_id: uuid.UUID
    cashier_url: str


class CallbackEnvelope(Schema):
    """A provider's signed notification: its exact JSON text and the signature over it."""

    notification: str = Field(min_length=2, max_length=4096)
    signature: str = Field(pattern=r"^[0-9a-f]{64}$")


class CallbackAck(Schema):
    """The receiver's answer to a verified callback."""

    order_id: uuid.UUID
    status: OrderStatus


class RefundCreate(Schema):
    """A full or partial refund of a paid order."""

    amount_fen: Fen
    reason: Name


class RefundRead(ReadSchema):
    """A refund made."""

    id: uuid.UUID
    order_id: uuid.UUID
    amount_fen: int
    reason: str
    provider_refund_id: str
    refunded_at: datetime


class ReconciliationCreate(Schema):
    """Which day (UTC) to reconcile."""

    day: date


class ReconciliationItem(Schema):
    """One difference between the provider's statement and GovHub's books."""

    problem: str
    kind: TransactionKind
    order_id: uuid.UUID
    reference: str
    govhub_fen: int | None
    provider_fen: int | None


class ReconciliationRead(ReadSchema):
    """A day's reconciliation: totals on both sides, matched lines and every difference."""

    provider: str
    day: date
    matched: int
    differences: int
    report: dict[str, object]
    run_at: datetime
