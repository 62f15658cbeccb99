"""HTTP API of lineage (`/api/v1/lineage`): graphs around datasets, resources and columns; runs.

Anyone may ask about datasets of open resources; officials also about those within their
catalog scope. Whatever else lies on the path comes back as an opaque `restricted` node.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from govhub.core.settings import get_settings
from govhub.data.lineage import openlineage, views
from govhub.data.lineage.graph import MAX_DEPTH, Direction
from govhub.data.lineage.schemas import LineageGraph, RunRead
from govhub.identity.deps import DbSession, MaybePrincipal

router = APIRouter(prefix="/api/v1/lineage", tags=["lineage"])

DirectionQuery = Annotated[Direction, Query(description="up, down or both")]
DepthQuery = Annotated[int, Query(ge=1, le=MAX_DEPTH, description="runs away from the start")]
ColumnName = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/datasets/{dataset_id}", response_model=LineageGraph)
def dataset_lineage(
    dataset_id: uuid.UUID,
    session: DbSession,
    principal: MaybePrincipal,
    direction: DirectionQuery = Direction.BOTH,
    depth: DepthQuery = 5,
) -> LineageGraph:
    """Return the upstream and/or downstream graph of a dataset version."""
    return views.dataset_graph(
        session, principal=principal, dataset_id=dataset_id, direction=direction, depth=depth
    )


@router.get("/datasets/{dataset_id}/columns/{column}", response_model=LineageGraph)
def column_lineage(
    dataset_id: uuid.UUID,
    column: ColumnName,
    session: DbSession,
    principal: MaybePrincipal,
    direction: DirectionQuery = Direction.BOTH,
    depth: DepthQuery = 5,
) -> LineageGraph:
    """Return the graph of the columns one column comes from and flows into."""
    return views.column_graph(
        session,
        principal=principal,
        dataset_id=dataset_id,
        column=column,
        direction=direction,
        depth=depth,
    )


@router.get("/resources/{resource_id}", response_model=LineageGraph)
def resource_lineage(
    resource_id: uuid.UUID,
    session: DbSession,
    principal: MaybePrincipal,
    direction: DirectionQuery = Direction.BOTH,
    depth: DepthQuery = 5,
) -> LineageGraph:
    """Return the graph around every dataset version of a resource."""
    return views.resource_graph(
        session, principal=principal, resource_id=resource_id, direction=direction, depth=depth
    )


@router.get("/runs/{run_id}", response_model=RunRead)
def get_run(run_id: uuid.UUID, session: DbSession, principal: MaybePrincipal) -> RunRead:
    """Return a transformation run: inputs, outputs, parameters and column edges."""
    return views.get_run(session, principal=principal, run_id=run_id)


@router.get("/runs/{run_id}/openlineage")
def get_run_openlineage(
    run_id: uuid.UUID, session: DbSession, principal: MaybePrincipal
) -> dict[str, Any]:
    """Return a run as an OpenLineage RunEvent."""
    run = views.get_run(session, principal=principal, run_id=run_id)
    return openlineage.to_run_event(run, namespace=get_settings().base_url.rstrip("/"))
