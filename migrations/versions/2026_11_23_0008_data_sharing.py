"""Data sharing and exchange: requests, grants, accesses under grants, webhook subscriptions.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 13:43:18.834974
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_subscriptions",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret_encrypted", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_clients.client_id"],
            name=op.f("fk_exchange_subscriptions_client_id_oauth_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_exchange_subscriptions_resource_id_catalog_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_subscriptions")),
    )
    with op.batch_alter_table("exchange_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_subscriptions_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_subscriptions_resource_id"), ["resource_id"], unique=False
        )

    op.create_table(
        "share_requests",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("row_filter", sa.JSON(), nullable=False),
        sa.Column("treatments", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=1000), nullable=False),
        sa.Column("legal_basis", sa.String(length=500), nullable=False),
        sa.Column("duration_days", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "granted",
                "rejected",
                name="share_request_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=1000), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_clients.client_id"],
            name=op.f("fk_share_requests_client_id_oauth_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["accounts.id"], name=op.f("fk_share_requests_decided_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_share_requests_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["accounts.id"], name=op.f("fk_share_requests_requested_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_share_requests_resource_id_catalog_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_requests")),
    )
    with op.batch_alter_table("share_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_share_requests_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            "ix_share_requests_resource_status", ["resource_id", "status"], unique=False
        )

    op.create_table(
        "exchange_deliveries",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "delivered",
                "failed",
                name="delivery_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["exchange_subscriptions.id"],
            name=op.f("fk_exchange_deliveries_subscription_id_exchange_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_deliveries")),
    )
    with op.batch_alter_table("exchange_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exchange_deliveries_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_deliveries_subscription_id"), ["subscription_id"], unique=False
        )

    op.create_table(
        "share_grants",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("field_policies", sa.JSON(), nullable=False),
        sa.Column("row_filter", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=1000), nullable=False),
        sa.Column("legal_basis", sa.String(length=500), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.Column("revoke_reason", sa.String(length=1000), nullable=False),
        sa.Column("renewal_reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_clients.client_id"],
            name=op.f("fk_share_grants_client_id_oauth_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_share_grants_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["share_requests.id"],
            name=op.f("fk_share_grants_request_id_share_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_share_grants_resource_id_catalog_resources"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["accounts.id"], name=op.f("fk_share_grants_revoked_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_grants")),
        sa.UniqueConstraint("request_id", name=op.f("uq_share_grants_request_id")),
    )
    with op.batch_alter_table("share_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_grants_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_share_grants_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_share_grants_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_share_grants_resource_id"), ["resource_id"], unique=False
        )

    op.create_table(
        "share_grant_accesses",
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("query", "export", name="grant_access_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["share_grants.id"],
            name=op.f("fk_share_grant_accesses_grant_id_share_grants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_grant_accesses")),
    )
    with op.batch_alter_table("share_grant_accesses", schema=None) as batch_op:
        batch_op.create_index("ix_share_grant_accesses_grant_at", ["grant_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("share_grant_accesses", schema=None) as batch_op:
        batch_op.drop_index("ix_share_grant_accesses_grant_at")

    op.drop_table("share_grant_accesses")
    with op.batch_alter_table("share_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_grants_resource_id"))
        batch_op.drop_index(batch_op.f("ix_share_grants_expires_at"))
        batch_op.drop_index(batch_op.f("ix_share_grants_department_id"))
        batch_op.drop_index(batch_op.f("ix_share_grants_client_id"))

    op.drop_table("share_grants")
    with op.batch_alter_table("exchange_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_deliveries_subscription_id"))
        batch_op.drop_index("ix_exchange_deliveries_due")

    op.drop_table("exchange_deliveries")
    with op.batch_alter_table("share_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_share_requests_resource_status")
        batch_op.drop_index(batch_op.f("ix_share_requests_department_id"))

    op.drop_table("share_requests")
    with op.batch_alter_table("exchange_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_subscriptions_resource_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_subscriptions_client_id"))

    op.drop_table("exchange_subscriptions")
