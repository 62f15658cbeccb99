"""HTTP API of the resource catalog (`/api/v1/catalog`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import JSONResponse

from govhub.data.catalog import dcat, scope, search, service
from govhub.data.catalog.models import OpeningType, SharingType, Theme
from govhub.data.catalog.schemas import (
    ResourceCreate,
    ResourcePublicRead,
    ResourceRead,
    ResourceUpdate,
    ResourceVersionRead,
    SearchResult,
    VersionSummary,
)
from govhub.data.deps import CatalogEdit, CatalogRead
from govhub.identity.deps import DbSession, MaybePrincipal

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])

Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=100_000)]
Grade = Annotated[str | None, Query(max_length=8, pattern=r"^[A-Za-z0-9+\-]+$")]


@router.get("/resources", response_model=SearchResult)
def search_resources(
    session: DbSession,
    principal: MaybePrincipal,
    q: Annotated[str, Query(max_length=200)] = "",
    department_id: uuid.UUID | None = None,
    theme: Theme | None = None,
    sharing_type: SharingType | None = None,
    opening_type: OpeningType | None = None,
    quality_grade: Grade = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> SearchResult:
    """Search the catalog in Chinese or English with facets; anyone sees open resources."""
    query = search.SearchQuery(
        text=q.strip(),
        department_id=department_id,
        theme=theme,
        sharing_type=sharing_type,
        opening_type=opening_type,
        quality_grade=quality_grade,
        limit=limit,
        offset=offset,
    )
    return search.search_resources(session, principal=principal, query=query)


@router.post("/resources", response_model=ResourceRead, status_code=status.HTTP_201_CREATED)
def create_resource(
    body: ResourceCreate, principal: CatalogEdit, session: DbSession
) -> ResourceRead:
    """Add a resource to a department's catalog."""
    resource = service.create_resource(session, principal=principal, data=body)
    return ResourceRead.model_validate(resource)


@router.get("/resources/{resource_id}", response_model=ResourceRead | ResourcePublicRead)
def get_resource(
    resource_id: uuid.UUID, session: DbSession, principal: MaybePrincipal
) -> ResourceRead | ResourcePublicRead:
    """Return a resource: full metadata within scope, public metadata of open resources."""
    resource = service.get_resource(session, principal=principal, resource_id=resource_id)
    return scope.to_schema(resource, principal)


@router.get(
    "/resources/{resource_id}/dcat",
    response_class=JSONResponse,
    responses={200: {"content": {dcat.MEDIA_TYPE: {}}}},
)
def get_dcat(
    resource_id: uuid.UUID, request: Request, session: DbSession, principal: MaybePrincipal
) -> JSONResponse:
    """Return a resource as a DCAT `dcat:Dataset` in JSON-LD (what the caller may see of it)."""
    resource = service.get_resource(session, principal=principal, resource_id=resource_id)
    url = str(request.url_for("get_resource", resource_id=resource_id))
    body = dcat.to_dcat(scope.to_schema(resource, principal), url=url)
    return JSONResponse(body, media_type=dcat.MEDIA_TYPE)


@router.patch("/resources/{resource_id}", response_model=ResourceRead)
def update_resource(
    resource_id: uuid.UUID, body: ResourceUpdate, principal: CatalogEdit, session: DbSession
) -> ResourceRead:
    """Change a resource's metadata; the change becomes its next version."""
    resource = service.update_resource(
        session, principal=principal, resource_id=resource_id, data=body
    )
    return ResourceRead.model_validate(resource)


@router.get("/resources/{resource_id}/versions", response_model=list[VersionSummary])
def list_versions(
    resource_id: uuid.UUID, principal: CatalogRead, session: DbSession
) -> list[VersionSummary]:
    """List the metadata versions of a resource in scope, newest first."""
    rows = service.list_versions(session, principal=principal, resource_id=resource_id)
    return [VersionSummary.model_validate(row) for row in rows]


@router.get("/resources/{resource_id}/versions/{version}", response_model=ResourceVersionRead)
def get_version(
    resource_id: uuid.UUID,
    version: Annotated[str, Path(max_length=64)],
    principal: CatalogRead,
    session: DbSession,
) -> ResourceVersionRead:
    """Return a resource's metadata as it stood at one version."""
    return service.get_version(
        session, principal=principal, resource_id=resource_id, version=version
    )


@router.post("/resources/{resource_id}/withdraw", response_model=ResourceRead)
def withdraw_resource(
    resource_id: uuid.UUID, principal: CatalogEdit, session: DbSession
) -> ResourceRead:
    """Withdraw a resource from the catalog (its versions and datasets are kept)."""
    resource = service.withdraw_resource(session, principal=principal, resource_id=resource_id)
    return ResourceRead.model_validate(resource)
