"""Ingestion: load jobs (progress, quarantine), database sources; catalog withdrawal.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 13:02:02.904620
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_sources",
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("dialect", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("password_encrypted", sa.String(length=1000), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["accounts.id"],
            name=op.f("fk_data_sources_created_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_data_sources_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sources")),
        sa.UniqueConstraint(
            "department_id", "name", name=op.f("uq_data_sources_department_id_name")
        ),
    )
    with op.batch_alter_table("data_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_sources_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "data_load_jobs",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "staged",
                "queued",
                "running",
                "succeeded",
                "failed",
                "quarantined",
                name="job_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "source_kind",
            sa.Enum("file", "database", name="source_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("source_key", sa.String(length=500), nullable=False),
        sa.Column("data_source_id", sa.Uuid(), nullable=True),
        sa.Column("table_name", sa.String(length=200), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False),
        sa.Column("bytes_total", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["accounts.id"],
            name=op.f("fk_data_load_jobs_created_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["data_source_id"],
            ["data_sources.id"],
            name=op.f("fk_data_load_jobs_data_source_id_data_sources"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["data_dataset_versions.id"],
            name=op.f("fk_data_load_jobs_dataset_id_data_dataset_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_data_load_jobs_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_data_load_jobs_resource_id_catalog_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_load_jobs")),
    )
    with op.batch_alter_table("data_load_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_load_jobs_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_data_load_jobs_resource_id"), ["resource_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_data_load_jobs_status"), ["status"], unique=False)

    with op.batch_alter_table("catalog_resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalog_resources", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")

    with op.batch_alter_table("data_load_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_load_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_data_load_jobs_resource_id"))
        batch_op.drop_index(batch_op.f("ix_data_load_jobs_department_id"))

    op.drop_table("data_load_jobs")
    with op.batch_alter_table("data_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_sources_department_id"))

    op.drop_table("data_sources")
