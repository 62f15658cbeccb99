"""Open data API: public API keys and per-day usage counts of each dataset.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 16:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opendata_api_keys",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_opendata_api_keys_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_api_keys")),
        sa.UniqueConstraint("digest", name=op.f("uq_opendata_api_keys_digest")),
    )
    with op.batch_alter_table("opendata_api_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opendata_api_keys_account_id"), ["account_id"], unique=False
        )
    op.create_table(
        "opendata_usage_daily",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("api_calls", sa.BigInteger(), nullable=False),
        sa.Column("downloads", sa.BigInteger(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_opendata_usage_daily_resource_id_catalog_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", "day", name=op.f("pk_opendata_usage_daily")),
    )
    with op.batch_alter_table("opendata_usage_daily", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opendata_usage_daily_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("opendata_usage_daily", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opendata_usage_daily_day"))
    op.drop_table("opendata_usage_daily")
    with op.batch_alter_table("opendata_api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opendata_api_keys_account_id"))
    op.drop_table("opendata_api_keys")
