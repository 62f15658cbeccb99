"""Proactive services: rules that invite eligible residents when data arrives, and invitations.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 00:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_proactive_rules",
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("matter_code", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["accounts.id"],
            name=op.f("fk_service_proactive_rules_created_by_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_service_proactive_rules_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["matter_code"],
            ["service_matters.code"],
            name=op.f("fk_service_proactive_rules_matter_code_service_matters"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_service_proactive_rules_resource_id_catalog_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_proactive_rules")),
    )
    with op.batch_alter_table("service_proactive_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_proactive_rules_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_proactive_rules_resource_id"), ["resource_id"], unique=False
        )

    op.create_table(
        "service_invitations",
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("trigger_key", sa.String(length=64), nullable=False),
        sa.Column("matter_code", sa.String(length=40), nullable=False),
        sa.Column("division_code", sa.String(length=12), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "declined",
                name="invitation_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_service_invitations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["service_applications.id"],
            name=op.f("fk_service_invitations_application_id_service_applications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["division_code"],
            ["divisions.code"],
            name=op.f("fk_service_invitations_division_code_divisions"),
        ),
        sa.ForeignKeyConstraint(
            ["matter_code"],
            ["service_matters.code"],
            name=op.f("fk_service_invitations_matter_code_service_matters"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["service_proactive_rules.id"],
            name=op.f("fk_service_invitations_rule_id_service_proactive_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_invitations")),
        sa.UniqueConstraint(
            "rule_id",
            "account_id",
            "trigger_key",
            name=op.f("uq_service_invitations_rule_id_account_id_trigger_key"),
        ),
    )
    with op.batch_alter_table("service_invitations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_service_invitations_account", ["account_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("service_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_service_invitations_account")
    op.drop_table("service_invitations")
    with op.batch_alter_table("service_proactive_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_proactive_rules_resource_id"))
        batch_op.drop_index(batch_op.f("ix_service_proactive_rules_department_id"))
    op.drop_table("service_proactive_rules")
