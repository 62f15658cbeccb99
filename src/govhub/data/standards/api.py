"""HTTP API of the data standards (`/api/v1/standards`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from govhub.core.schemas import Page
from govhub.data.deps import CatalogRead, StandardsEdit
from govhub.data.standards import service
from govhub.data.standards.schemas import (
    ElementCreate,
    ElementRead,
    MappingRequest,
    MappingResponse,
    ValuesCheck,
    ValuesCheckResult,
)
from govhub.identity.deps import DbSession

router = APIRouter(prefix="/api/v1/standards", tags=["data standards"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


@router.get("/elements", response_model=Page[ElementRead])
def list_elements(
    session: DbSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    department_id: uuid.UUID | None = None,
    platform: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ElementRead]:
    """List the data element dictionary (public): by code, filtered by text or owner."""
    rows, total = service.list_elements(
        session,
        query_text=q or None,
        department_id=department_id,
        platform_only=platform,
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[ElementRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/elements/{code}", response_model=ElementRead)
def get_element(code: str, session: DbSession) -> ElementRead:
    """Return one data element (public)."""
    return ElementRead.model_validate(service.get_element(session, code))


@router.post("/elements/{code}/checks", response_model=ValuesCheckResult)
def check_values(code: str, body: ValuesCheck, session: DbSession) -> ValuesCheckResult:
    """Check up to 10,000 values against a data element and say which fail (public)."""
    failures = service.check_values(session, code=code, values=body.values)
    return ValuesCheckResult(
        element_code=code,
        checked=len(body.values),
        failed=len(failures),
        failing_indices=failures,
    )


@router.post("/elements", response_model=ElementRead, status_code=status.HTTP_201_CREATED)
def create_element(
    body: ElementCreate, principal: StandardsEdit, session: DbSession
) -> ElementRead:
    """Add a data element for a department (the caller's own unless they manage the catalog)."""
    element = service.create_element(session, principal=principal, data=body)
    return ElementRead.model_validate(element)


@router.post("/mapping-suggestions", response_model=MappingResponse)
def suggest_mapping(
    body: MappingRequest, principal: CatalogRead, session: DbSession
) -> MappingResponse:
    """Suggest data elements for columns from their names and sample values."""
    return service.suggest_mapping(session, data=body)
