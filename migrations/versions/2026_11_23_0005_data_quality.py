"""Quality assessment: a resource's declared rules and the assessments of its dataset versions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the rules and assessments tables."""
    op.create_table(
        "data_quality_rules",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_data_quality_rules_resource_id_catalog_resources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["accounts.id"],
            name=op.f("fk_data_quality_rules_updated_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_data_quality_rules")),
    )
    op.create_table(
        "data_quality_assessments",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("dataset_version", sa.Integer(), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("total", sa.Double(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("rules_digest", sa.String(length=80), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["accounts.id"],
            name=op.f("fk_data_quality_assessments_created_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["data_dataset_versions.id"],
            name=op.f("fk_data_quality_assessments_dataset_id_data_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_data_quality_assessments_resource_id_catalog_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_quality_assessments")),
    )
    with op.batch_alter_table("data_quality_assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_quality_assessments_dataset_id"), ["dataset_id"], unique=False
        )
        batch_op.create_index(
            "ix_data_quality_assessments_resource_created",
            ["resource_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    """Drop the quality tables."""
    with op.batch_alter_table("data_quality_assessments", schema=None) as batch_op:
        batch_op.drop_index("ix_data_quality_assessments_resource_created")
        batch_op.drop_index(batch_op.f("ix_data_quality_assessments_dataset_id"))
    op.drop_table("data_quality_assessments")
    op.drop_table("data_quality_rules")
