"""HTTP routes of the release gate: suggest, compute, read, publish and withdraw releases."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status

from govhub.data.deps import CatalogEdit
from govhub.data.opendata.releases import service
from govhub.data.opendata.releases.schemas import ReleaseCreate, ReleaseRead, ReleaseSuggestion
from govhub.identity.deps import DbSession, MaybePrincipal

router = APIRouter(prefix="/api/v1/opendata/releases", tags=["open data releases"])


@router.get("/suggestions/{dataset_version_id}", response_model=ReleaseSuggestion)
def suggestions(
    dataset_version_id: uuid.UUID, principal: CatalogEdit, session: DbSession
) -> dict[str, Any]:
    """Suggest the roles of a dataset version's columns (from its mapping and PII detection)."""
    return service.suggest(session, principal=principal, version_id=dataset_version_id)


@router.post("", response_model=ReleaseRead, status_code=status.HTTP_201_CREATED)
def create(body: ReleaseCreate, principal: CatalogEdit, session: DbSession) -> Any:
    """Compute a de-identified release of a dataset version and decide whether it may open."""
    return service.create(session, principal=principal, data=body)


@router.get("/{release_id}", response_model=ReleaseRead)
def read(release_id: uuid.UUID, principal: MaybePrincipal, session: DbSession) -> Any:
    """Return a release (a published one to anyone)."""
    return service.get(session, principal=principal, release_id=release_id)


@router.post("/{release_id}/publish", response_model=ReleaseRead)
def publish(release_id: uuid.UUID, principal: CatalogEdit, session: DbSession) -> Any:
    """Publish a release; 409 when its risk exceeds the threshold."""
    return service.publish(session, principal=principal, release_id=release_id)


@router.post("/{release_id}/withdraw", response_model=ReleaseRead)
def withdraw(release_id: uuid.UUID, principal: CatalogEdit, session: DbSession) -> Any:
    """Withdraw a release from the portal."""
    return service.withdraw(session, principal=principal, release_id=release_id)
