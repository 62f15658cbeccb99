"""E-licenses: license types, issued licenses and the issuing departments' keys.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 20:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DEPARTMENT_TYPES = (
    "big_data_bureau",
    "market_regulation",
    "taxation",
    "public_security",
    "civil_affairs",
    "health",
    "ecology_environment",
    "human_resources_social_security",
    "government_office",
    "other",
)


def upgrade() -> None:
    op.create_table(
        "license_types",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column(
            "department_type",
            sa.Enum(*_DEPARTMENT_TYPES, name="department_type", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "holder_kind",
            sa.Enum("person", "enterprise", name="holder_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("validity_days", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_license_types")),
    )
    op.create_table(
        "license_issuer_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("private_jwk_encrypted", sa.String(length=1000), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_license_issuer_keys_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_license_issuer_keys")),
    )
    with op.batch_alter_table("license_issuer_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_license_issuer_keys_department_id"), ["department_id"], unique=False
        )
    op.create_table(
        "licenses",
        sa.Column("type_code", sa.String(length=40), nullable=False),
        sa.Column(
            "holder_kind",
            sa.Enum("person", "enterprise", name="holder_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("holder_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_department_id", sa.Uuid(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.Column("revocation_reason", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["accounts.id"], name=op.f("fk_licenses_issued_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_department_id"],
            ["departments.id"],
            name=op.f("fk_licenses_issuer_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["accounts.id"], name=op.f("fk_licenses_revoked_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["type_code"], ["license_types.code"], name=op.f("fk_licenses_type_code_license_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licenses")),
        sa.UniqueConstraint(
            "issuer_department_id",
            "status_index",
            name=op.f("uq_licenses_issuer_department_id_status_index"),
        ),
    )
    with op.batch_alter_table("licenses", schema=None) as batch_op:
        batch_op.create_index("ix_licenses_holder", ["holder_kind", "holder_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_licenses_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_licenses_type_code"), ["type_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("licenses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_licenses_type_code"))
        batch_op.drop_index(batch_op.f("ix_licenses_application_id"))
        batch_op.drop_index("ix_licenses_holder")
    op.drop_table("licenses")
    with op.batch_alter_table("license_issuer_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_license_issuer_keys_department_id"))
    op.drop_table("license_issuer_keys")
    op.drop_table("license_types")
