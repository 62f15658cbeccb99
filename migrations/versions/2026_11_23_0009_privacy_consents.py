"""Privacy: consents of citizens and enterprises for once-only reads of their records.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 13:53:01.654695
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_consents",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("resource_ids", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_privacy_consents_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_privacy_consents_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_consents")),
    )
    with op.batch_alter_table("privacy_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_consents_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_privacy_consents_reader", ["department_id", "account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("privacy_consents", schema=None) as batch_op:
        batch_op.drop_index("ix_privacy_consents_reader")
        batch_op.drop_index(batch_op.f("ix_privacy_consents_account_id"))

    op.drop_table("privacy_consents")
