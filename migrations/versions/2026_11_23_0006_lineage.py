"""Data lineage: entities (dataset versions and external sources), runs, links, column edges.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 13:02:43.511464
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lineage_runs",
        sa.Column(
            "kind",
            sa.Enum(
                "ingest",
                "clean",
                "join",
                "aggregate",
                "deidentify",
                "share_extract",
                "transform",
                name="lineage_run_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_lineage_runs_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_lineage_runs_department_id_departments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_runs")),
    )
    with op.batch_alter_table("lineage_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lineage_runs_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lineage_runs_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "lineage_entities",
        sa.Column(
            "kind",
            sa.Enum(
                "dataset",
                "file",
                "database",
                "api",
                name="lineage_entity_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("dataset_id", sa.Uuid(), nullable=True),
        sa.Column("locator", sa.String(length=1000), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["data_dataset_versions.id"],
            name=op.f("fk_lineage_entities_dataset_id_data_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_lineage_entities_department_id_departments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_entities")),
        sa.UniqueConstraint("dataset_id", name=op.f("uq_lineage_entities_dataset_id")),
        sa.UniqueConstraint(
            "kind",
            "locator",
            "department_id",
            name=op.f("uq_lineage_entities_kind_locator_department_id"),
        ),
    )
    with op.batch_alter_table("lineage_entities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lineage_entities_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "lineage_column_edges",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("output_entity_id", sa.Uuid(), nullable=False),
        sa.Column("output_column", sa.String(length=200), nullable=False),
        sa.Column("input_entity_id", sa.Uuid(), nullable=False),
        sa.Column("input_column", sa.String(length=200), nullable=False),
        sa.Column("expression", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["input_entity_id"],
            ["lineage_entities.id"],
            name=op.f("fk_lineage_column_edges_input_entity_id_lineage_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["output_entity_id"],
            ["lineage_entities.id"],
            name=op.f("fk_lineage_column_edges_output_entity_id_lineage_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["lineage_runs.id"],
            name=op.f("fk_lineage_column_edges_run_id_lineage_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_column_edges")),
    )
    with op.batch_alter_table("lineage_column_edges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lineage_column_edges_input", ["input_entity_id", "input_column"], unique=False
        )
        batch_op.create_index(
            "ix_lineage_column_edges_output", ["output_entity_id", "output_column"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lineage_column_edges_run_id"), ["run_id"], unique=False
        )

    op.create_table(
        "lineage_links",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("used", "generated", name="lineage_link_role", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["lineage_entities.id"],
            name=op.f("fk_lineage_links_entity_id_lineage_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["lineage_runs.id"],
            name=op.f("fk_lineage_links_run_id_lineage_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "role", "entity_id", name=op.f("pk_lineage_links")),
    )
    with op.batch_alter_table("lineage_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lineage_links_entity_role", ["entity_id", "role", "run_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("lineage_links", schema=None) as batch_op:
        batch_op.drop_index("ix_lineage_links_entity_role")

    op.drop_table("lineage_links")
    with op.batch_alter_table("lineage_column_edges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lineage_column_edges_run_id"))
        batch_op.drop_index("ix_lineage_column_edges_output")
        batch_op.drop_index("ix_lineage_column_edges_input")

    op.drop_table("lineage_column_edges")
    with op.batch_alter_table("lineage_entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lineage_entities_department_id"))

    op.drop_table("lineage_entities")
    with op.batch_alter_table("lineage_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lineage_runs_department_id"))
        batch_op.drop_index(batch_op.f("ix_lineage_runs_created_at"))

    op.drop_table("lineage_runs")
