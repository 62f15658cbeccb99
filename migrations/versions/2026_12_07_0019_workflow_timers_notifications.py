"""Workflow timers, notifications and promised limits in hours.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 00:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFICATION_KINDS = (
    "application_accepted",
    "correction_requested",
    "application_approved",
    "application_rejected",
    "application_transferred",
    "payment_due",
    "license_issued",
    "task_reminder",
    "task_escalated",
    "task_transferred",
)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*NOTIFICATION_KINDS, name="notification_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["accounts.id"],
            name=op.f("fk_notifications_recipient_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_recipient", ["recipient_id", "read_at", "created_at"], unique=False
        )
    with op.batch_alter_table("service_matters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promised_hours", sa.Integer(), nullable=True))
    with op.batch_alter_table("service_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_service_tasks_timers", ["status", "remind_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("service_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_service_tasks_timers")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("remind_at")
    with op.batch_alter_table("service_matters", schema=None) as batch_op:
        batch_op.drop_column("promised_hours")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_recipient")
    op.drop_table("notifications")
