"""Builders for the open-data rows of the authorization matrix: a fresh API key of city A's
administrator."""

from __future__ import annotations

from typing import Any, Protocol

from govhub.core import db
from govhub.data.opendata import service
from tests.factories import World


class HasWorld(Protocol):
    """The matrix's actors (their world)."""

    world: World


def api_key(a: HasWorld) -> dict[str, Any]:
    """The id of a new API key of city A's administrator."""
    with db.get_sessionmaker()() as session:
        row, _ = service.issue_key(
            session, principal=a.world.principal(a.world.city_a_admin), name="matrix"
        )
        session.commit()
        return {"key_id": row.id}
