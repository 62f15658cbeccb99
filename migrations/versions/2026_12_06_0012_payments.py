"""Payments: fee orders, refunds, idempotency records, callback nonces, the sandbox
provider's book and reconciliation reports.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:49:05.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_callback_nonces",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", "nonce", name=op.f("pk_payment_callback_nonces")),
    )
    with op.batch_alter_table("payment_callback_nonces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_callback_nonces_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "payment_idempotency",
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("result_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("actor", "key", name=op.f("pk_payment_idempotency")),
    )
    op.create_table(
        "payment_reconciliations",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("differences", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_by", sa.String(length=80), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_reconciliations")),
    )
    with op.batch_alter_table("payment_reconciliations", schema=None) as batch_op:
        batch_op.create_index("ix_payment_reconciliations_day", ["provider", "day"], unique=True)

    op.create_table(
        "payment_sandbox_transactions",
        sa.Column("txn_id", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("payment", "refund", name="payment_txn_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_payment_sandbox_transactions_amount")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_sandbox_transactions")),
        sa.UniqueConstraint("txn_id", name=op.f("uq_payment_sandbox_transactions_txn_id")),
    )
    with op.batch_alter_table("payment_sandbox_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_sandbox_transactions_booked_on"), ["booked_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_sandbox_transactions_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "payment_orders",
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("payer_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("holding_subject", sa.String(length=120), nullable=True),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("refunded_fen", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "paid",
                "partially_refunded",
                "refunded",
                "expired",
                "cancelled",
                name="payment_order_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_txn_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_payment_orders_amount")),
        sa.CheckConstraint(
            "refunded_fen >= 0 AND refunded_fen <= amount_fen",
            name=op.f("ck_payment_orders_refunded"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_payment_orders_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["accounts.id"], name=op.f("fk_payment_orders_payer_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_orders")),
        sa.UniqueConstraint("holding_subject", name=op.f("uq_payment_orders_holding_subject")),
        sa.UniqueConstraint("provider_txn_id", name=op.f("uq_payment_orders_provider_txn_id")),
    )
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_orders_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index("ix_payment_orders_paid_at", ["paid_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_orders_payer_id"), ["payer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_orders_subject"), ["subject"], unique=False)

    op.create_table(
        "payment_refunds",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("provider_refund_id", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_payment_refunds_amount")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["payment_orders.id"],
            name=op.f("fk_payment_refunds_order_id_payment_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_refunds")),
        sa.UniqueConstraint(
            "provider_refund_id", name=op.f("uq_payment_refunds_provider_refund_id")
        ),
    )
    with op.batch_alter_table("payment_refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_refunds_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_payment_refunds_refunded_at", ["refunded_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payment_refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_refunds_refunded_at")
        batch_op.drop_index(batch_op.f("ix_payment_refunds_order_id"))

    op.drop_table("payment_refunds")
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_orders_subject"))
        batch_op.drop_index(batch_op.f("ix_payment_orders_payer_id"))
        batch_op.drop_index("ix_payment_orders_paid_at")
        batch_op.drop_index(batch_op.f("ix_payment_orders_department_id"))

    op.drop_table("payment_orders")
    with op.batch_alter_table("payment_sandbox_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_sandbox_transactions_order_id"))
        batch_op.drop_index(batch_op.f("ix_payment_sandbox_transactions_booked_on"))

    op.drop_table("payment_sandbox_transactions")
    with op.batch_alter_table("payment_reconciliations", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_reconciliations_day")

    op.drop_table("payment_reconciliations")
    op.drop_table("payment_idempotency")
    with op.batch_alter_table("payment_callback_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_callback_nonces_received_at"))

    op.drop_table("payment_callback_nonces")
