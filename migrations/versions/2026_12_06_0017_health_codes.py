"""Health codes: rules kept as data and each resident's current color.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLOR = sa.Enum("green", "yellow", "red", name="health_color", native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "health_rules",
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("color", _COLOR, nullable=False),
        sa.Column(
            "match",
            sa.Enum("present", "absent", name="health_rule_match", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("id_field", sa.String(length=100), nullable=False),
        sa.Column("date_field", sa.String(length=100), nullable=False),
        sa.Column("match_field", sa.String(length=100), nullable=True),
        sa.Column("match_value", sa.String(length=200), nullable=True),
        sa.Column("within_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "within_days >= 1 AND within_days <= 366", name=op.f("ck_health_rules_within_days")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name=op.f("fk_health_rules_created_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_health_rules_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_health_rules_resource_id_catalog_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_rules")),
    )
    with op.batch_alter_table("health_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_health_rules_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_health_rules_resource_id"), ["resource_id"], unique=False
        )
    op.create_table(
        "health_code_states",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=False),
        sa.Column("color", _COLOR, nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_health_code_states_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_health_code_states")),
        sa.UniqueConstraint("subject", name=op.f("uq_health_code_states_subject")),
    )


def downgrade() -> None:
    op.drop_table("health_code_states")
    with op.batch_alter_table("health_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_rules_resource_id"))
        batch_op.drop_index(batch_op.f("ix_health_rules_department_id"))
    op.drop_table("health_rules")
