"""Ratings: good/bad reviews of completed services and rectification cases (GB/T 39734/39735).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 21:41:58.327344
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("applicant_id", sa.Uuid(), nullable=False),
        sa.Column("matter_code", sa.String(length=40), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("division_code", sa.String(length=12), nullable=False),
        sa.Column("overall", sa.Integer(), nullable=False),
        sa.Column("efficiency", sa.Integer(), nullable=False),
        sa.Column("guide_accuracy", sa.Integer(), nullable=False),
        sa.Column("convenience", sa.Integer(), nullable=False),
        sa.Column("usability", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "convenience BETWEEN 1 AND 5", name=op.f("ck_ratings_convenience_level")
        ),
        sa.CheckConstraint("efficiency BETWEEN 1 AND 5", name=op.f("ck_ratings_efficiency_level")),
        sa.CheckConstraint(
            "guide_accuracy BETWEEN 1 AND 5", name=op.f("ck_ratings_guide_accuracy_level")
        ),
        sa.CheckConstraint("overall BETWEEN 1 AND 5", name=op.f("ck_ratings_overall_level")),
        sa.CheckConstraint("usability BETWEEN 1 AND 5", name=op.f("ck_ratings_usability_level")),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["accounts.id"],
            name=op.f("fk_ratings_applicant_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["service_applications.id"],
            name=op.f("fk_ratings_application_id_service_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_ratings_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint(
            "application_id", "matter_code", name=op.f("uq_ratings_application_id_matter_code")
        ),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ratings_applicant_id"), ["applicant_id"], unique=False)
        batch_op.create_index("ix_ratings_department", ["department_id", "excluded"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ratings_division_code"), ["division_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ratings_matter_code"), ["matter_code"], unique=False)

    op.create_table(
        "rating_cases",
        sa.Column("rating_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("division_code", sa.String(length=12), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "visited", "closed", name="rating_case_status", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "resolution",
            sa.Enum(
                "rectified", "excluded", name="rating_case_resolution", native_enum=False, length=32
            ),
            nullable=True,
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("visited_by", sa.Uuid(), nullable=True),
        sa.Column("visit_contact", sa.String(length=60), nullable=True),
        sa.Column("visit_notes", sa.Text(), nullable=True),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column(
            "appeal_status",
            sa.Enum(
                "pending",
                "upheld",
                "dismissed",
                name="rating_appeal_status",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("appeal_reason", sa.Text(), nullable=True),
        sa.Column("appealed_by", sa.Uuid(), nullable=True),
        sa.Column("appealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appealed_by"], ["accounts.id"], name=op.f("fk_rating_cases_appealed_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["accounts.id"], name=op.f("fk_rating_cases_closed_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["accounts.id"], name=op.f("fk_rating_cases_decided_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_rating_cases_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["ratings.id"],
            name=op.f("fk_rating_cases_rating_id_ratings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visited_by"], ["accounts.id"], name=op.f("fk_rating_cases_visited_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_cases")),
        sa.UniqueConstraint("rating_id", name=op.f("uq_rating_cases_rating_id")),
    )
    with op.batch_alter_table("rating_cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rating_cases_inbox", ["department_id", "status", "due_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rating_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_cases_inbox")

    op.drop_table("rating_cases")
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_matter_code"))
        batch_op.drop_index(batch_op.f("ix_ratings_division_code"))
        batch_op.drop_index("ix_ratings_department")
        batch_op.drop_index(batch_op.f("ix_ratings_applicant_id"))

    op.drop_table("ratings")
