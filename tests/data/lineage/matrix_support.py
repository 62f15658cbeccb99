"""Builders for lineage's rows of the authorization matrix (tests/identity/test_authz_matrix.py):
the dataset version the matrix ingests into its open resource, and the ingest run it recorded."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import select

from govhub.core import db
from govhub.data.catalog.models import DatasetVersion
from govhub.data.lineage.models import LineageLink, LinkRole


class HasResource(Protocol):
    """The matrix's actors (only their open resource is used)."""

    resource_id: uuid.UUID | None


def dataset(actors: HasResource) -> dict[str, Any]:
    """Return the path parameters of the open resource's first dataset version."""
    with db.get_sessionmaker()() as session:
        dataset_id = session.scalar(
            select(DatasetVersion.id).where(DatasetVersion.resource_id == actors.resource_id)
        )
    return {"dataset_id": dataset_id}


def run(actors: HasResource) -> dict[str, Any]:
    """Return the path parameters of the ingest run that produced that version."""
    with db.get_sessionmaker()() as session:
        run_id = session.scalar(
            select(LineageLink.run_id)
            .join(DatasetVersion, DatasetVersion.id == LineageLink.entity_id)
            .where(
                DatasetVersion.resource_id == actors.resource_id,
                LineageLink.role == LinkRole.GENERATED,
            )
        )
    return {"run_id": run_id}
