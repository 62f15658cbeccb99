"""Tables of the payments domain: fee orders, refunds, idempotency records, seen callback
nonces, the sandbox provider's own transaction book and stored reconciliation reports.

Amounts are integer fen (1 yuan = 100 fen); no floating point anywhere.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from govhub.core.db import Base, UUIDPrimaryKey, portable_enum, utcnow


class OrderStatus(StrEnum):
    """Where a fee order stands."""

    PENDING = "pending"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


# Statuses in which an order holds its subject: no second order may charge it meanwhile.
HOLDING = frozenset({OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED})
# Statuses in which the fee counts as paid.
SETTLED = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED})


class TransactionKind(StrEnum):
    """A line of a provider's statement: money in or money out."""

    PAYMENT = "payment"
    REFUND = "refund"


class PaymentOrder(UUIDPrimaryKey, Base):
    """A fee a department charges one payer for one subject (e.g. an application)."""

    __tablename__ = "payment_orders"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refunded"),
        Index("ix_payment_orders_paid_at", "paid_at"),
    )

    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    subject: Mapped[str] = mapped_column(String(120), index=True)
    # Equal to `subject` while the order holds it (pending or paid), NULL after: unique, so
    # two live orders for one subject cannot exist even under concurrent submissions.
    holding_subject: Mapped[str | None] = mapped_column(String(120), unique=True)
    item: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[OrderStatus] = mapped_column(
        portable_enum(OrderStatus, "payment_order_status"), default=OrderStatus.PENDING
    )
    provider: Mapped[str] = mapped_column(String(32))
    provider_txn_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class PaymentRefund(UUIDPrimaryKey, Base):
    """Money returned to the payer of a paid order (part or all of it)."""

    __tablename__ = "payment_refunds"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount"),
        Index("ix_payment_refunds_refunded_at", "refunded_at"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payment_orders.id", ondelete="CASCADE"), index=True
    )
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    provider_refund_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(80))
    refunded_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentIdempotency(Base):
    """The first answer to a create or refund sent with an Idempotency-Key, for its retries."""

    __tablename__ = "payment_idempotency"

    actor: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    operation: Mapped[str] = mapped_column(String(16))
    request_digest: Mapped[str] = mapped_column(String(64))
    result_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallbackNonce(Base):
    """A provider callback's nonce, kept so a replayed callback is refused."""

    __tablename__ = "payment_callback_nonces"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SandboxTransaction(UUIDPrimaryKey, Base):
    """The sandbox provider's own book: what its statement of a day reports."""

    __tablename__ = "payment_sandbox_transactions"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount"),)

    txn_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[TransactionKind] = mapped_column(
        portable_enum(TransactionKind, "payment_txn_kind")
    )
    order_id: Mapped[uuid.UUID] = mapped_column(index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    booked_on: Mapped[date] = mapped_column(index=True)
    booked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reconciliation(UUIDPrimaryKey, Base):
    """The stored outcome of one day's reconciliation with one provider."""

    __tablename__ = "payment_reconciliations"
    __table_args__ = (Index("ix_payment_reconciliations_day", "provider", "day", unique=True),)

    provider: Mapped[str] = mapped_column(String(32))
    day: Mapped[date]
    matched: Mapped[int]
    differences: Mapped[int]
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    run_by: Mapped[str] = mapped_column(String(80))
