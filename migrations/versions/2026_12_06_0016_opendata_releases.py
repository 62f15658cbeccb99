"""Open data release gate: de-identified releases of dataset versions.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opendata_releases",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("dataset_version_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "computed",
                "published",
                "withdrawn",
                name="release_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("has_personal", sa.Boolean(), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.Column("risk_highest", sa.Double(), nullable=False),
        sa.Column("publishable", sa.Boolean(), nullable=False),
        sa.Column("storage_key", sa.String(length=500), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("schema", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["accounts.id"],
            name=op.f("fk_opendata_releases_created_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["data_dataset_versions.id"],
            name=op.f("fk_opendata_releases_dataset_version_id_data_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_opendata_releases_resource_id_catalog_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_releases")),
    )
    with op.batch_alter_table("opendata_releases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opendata_releases_dataset_version_id"),
            ["dataset_version_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_opendata_releases_resource_id"), ["resource_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_opendata_releases_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("opendata_releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opendata_releases_status"))
        batch_op.drop_index(batch_op.f("ix_opendata_releases_resource_id"))
        batch_op.drop_index(batch_op.f("ix_opendata_releases_dataset_version_id"))
    op.drop_table("opendata_releases")
