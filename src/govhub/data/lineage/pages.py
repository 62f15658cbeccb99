"""The lineage page of a resource: its datasets' graph or one column's, drawn with ECharts."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.i18n import N_, gettext
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import DatasetVersion
from govhub.data.deps import CatalogRead
from govhub.data.lineage import views
from govhub.data.lineage.graph import MAX_DEPTH, Direction
from govhub.data.lineage.schemas import LineageGraph, LineageNode, NodeKind
from govhub.identity.deps import DbSession
from govhub.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    NodeKind.DATASET: N_("Dataset"),
    NodeKind.FILE: N_("Uploaded file"),
    NodeKind.DATABASE: N_("Database table"),
    NodeKind.API: N_("API"),
    NodeKind.RUN: N_("Transformation"),
    NodeKind.COLUMN: N_("Column"),
    NodeKind.RESTRICTED: N_("Restricted dataset"),
}
RUN_LABELS = {
    "ingest": N_("Ingest"),
    "clean": N_("Clean"),
    "join": N_("Join"),
    "aggregate": N_("Aggregate"),
    "deidentify": N_("De-identify"),
    "share_extract": N_("Shared extract"),
    "transform": N_("Transform"),
}
DIRECTION_LABELS = {
    Direction.BOTH: N_("Upstream and downstream"),
    Direction.UP: N_("Upstream"),
    Direction.DOWN: N_("Downstream"),
}


def _url(node: LineageNode, resource_id: uuid.UUID) -> str | None:
    """Where a click on the node goes (nothing for restricted nodes)."""
    if node.restricted:
        return None
    if node.kind is NodeKind.COLUMN and node.resource_id and node.column:
        return (
            f"/catalog/resources/{node.resource_id}/lineage?view=columns"
            f"&dataset={node.dataset_id}&column={quote(node.column)}"
        )
    if node.resource_id is not None and node.resource_id != resource_id:
        return f"/catalog/resources/{node.resource_id}/lineage"
    if node.kind is NodeKind.RUN:
        return f"/api/v1/lineage/runs/{node.id}"
    return None


def _chart_data(graph: LineageGraph, resource_id: uuid.UUID, locale: str) -> dict[str, Any]:
    """Return the nodes and links of the ECharts graph series, positioned by layer and order."""

    def name(node: LineageNode) -> str:
        if node.restricted:
            return gettext(locale, KIND_LABELS[NodeKind.RESTRICTED])
        if node.kind is NodeKind.RUN:
            return gettext(locale, RUN_LABELS.get(node.label, node.label))
        return node.label

    def kind(node: LineageNode) -> str:
        return gettext(locale, KIND_LABELS[node.kind])

    nodes = [
        {
            "id": n.id,
            "name": name(n),
            "category": n.kind.value,
            "kind": kind(n),
            "x": n.layer * 220,
            "y": n.order * 90,
            "url": _url(n, resource_id),
            "root": n.depth == 0 and n.kind is not NodeKind.RUN,
            "detail": n.details.get("entity", "") if n.kind is NodeKind.COLUMN else "",
        }
        for n in graph.nodes
    ]
    links = [
        {"source": e.source, "target": e.target, "expression": e.expression} for e in graph.edges
    ]
    return {"nodes": nodes, "links": links}


def _latest_dataset(session: Session, resource_id: uuid.UUID) -> DatasetVersion | None:
    return session.scalar(
        select(DatasetVersion)
        .where(DatasetVersion.resource_id == resource_id)
        .order_by(DatasetVersion.version.desc())
        .limit(1)
    )


@router.get("/catalog/resources/{resource_id}/lineage", response_class=HTMLResponse)
def lineage_page(
    request: Request,
    resource_id: uuid.UUID,
    principal: CatalogRead,
    session: DbSession,
    view: Annotated[str, Query(pattern="^(datasets|columns)$")] = "datasets",
    direction: Direction = Direction.BOTH,
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 5,
    dataset: uuid.UUID | None = None,
    column: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Draw where a resource's data comes from and where it goes, by dataset or by column."""
    resource = catalog_service.get_resource(session, principal=principal, resource_id=resource_id)
    chosen = session.get(DatasetVersion, dataset) if dataset else None
    if chosen is None or chosen.resource_id != resource.id:
        chosen = _latest_dataset(session, resource.id)
    columns = [str(c.get("name")) for c in chosen.schema] if chosen is not None else []
    if view == "columns" and chosen is not None and columns:
        column = column if column in columns else columns[0]
        graph = views.column_graph(
            session,
            principal=principal,
            dataset_id=chosen.id,
            column=column,
            direction=direction,
            depth=depth,
        )
    else:
        view = "datasets"
        graph = views.resource_graph(
            session, principal=principal, resource_id=resource.id, direction=direction, depth=depth
        )
    locale = request_locale(request)
    restricted = sum(1 for n in graph.nodes if n.restricted)
    return render(
        request,
        "lineage/graph.html",
        {
            "resource": resource,
            "graph": graph,
            "chart_json": json.dumps(_chart_data(graph, resource.id, locale), ensure_ascii=False),
            "view": view,
            "direction": direction.value,
            "depth": depth,
            "dataset": chosen,
            "columns": columns,
            "column": column,
            "restricted": restricted,
            "node_kind_labels": {k.value: v for k, v in KIND_LABELS.items()},
            "run_labels": RUN_LABELS,
            "direction_labels": {k.value: v for k, v in DIRECTION_LABELS.items()},
        },
    )
