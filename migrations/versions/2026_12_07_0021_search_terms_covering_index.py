"""Catalog search terms: a covering index on (term, resource_id).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 00:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_catalog_search_terms_term", table_name="catalog_search_terms")
    op.create_index("ix_catalog_search_terms_term", "catalog_search_terms", ["term", "resource_id"])


def downgrade() -> None:
    op.drop_index("ix_catalog_search_terms_term", table_name="catalog_search_terms")
    op.create_index("ix_catalog_search_terms_term", "catalog_search_terms", ["term"])
