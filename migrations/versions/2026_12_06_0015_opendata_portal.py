"""Open data portal: resources' latest publication time, public requests and their replies.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 20:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_catalog_resources_published_at"), ["published_at"], unique=False
        )
    # Existing resources: the time of their newest dataset version.
    op.execute(
        "UPDATE catalog_resources SET published_at = (SELECT max(v.created_at) "
        "FROM data_dataset_versions v WHERE v.resource_id = catalog_resources.id)"
    )
    op.create_table(
        "opendata_requests",
        sa.Column(
            "kind",
            sa.Enum(
                "dataset", "problem", name="opendata_request_kind", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=4000), nullable=False),
        sa.Column("display_name", sa.String(length=60), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_opendata_requests_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_opendata_requests_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_opendata_requests_resource_id_catalog_resources"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_requests")),
    )
    with op.batch_alter_table("opendata_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opendata_requests_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_opendata_requests_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_opendata_requests_resource_id"), ["resource_id"], unique=False
        )
    op.create_table(
        "opendata_request_replies",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.String(length=4000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_opendata_request_replies_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_opendata_request_replies_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["opendata_requests.id"],
            name=op.f("fk_opendata_request_replies_request_id_opendata_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_request_replies")),
    )
    with op.batch_alter_table("opendata_request_replies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opendata_request_replies_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("opendata_request_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opendata_request_replies_request_id"))
    op.drop_table("opendata_request_replies")
    with op.batch_alter_table("opendata_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opendata_requests_resource_id"))
        batch_op.drop_index(batch_op.f("ix_opendata_requests_department_id"))
        batch_op.drop_index(batch_op.f("ix_opendata_requests_created_at"))
    op.drop_table("opendata_requests")
    with op.batch_alter_table("catalog_resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_resources_published_at"))
        batch_op.drop_column("published_at")
