"""What a caller may see of the lineage graph: walks shaped as nodes and edges, and runs.

A dataset is shown when its resource is open or within the caller's catalog scope; a source
when its department is within scope. Anything else on the path appears as an opaque
`restricted` node (no title, no id, no column names), so a graph never leaks what lies beyond
the caller's scope. A start (dataset, resource, run) outside that answers `NotFound`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import NotFound
from govhub.data.catalog import scope
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import DatasetVersion, OpeningType, Resource
from govhub.data.lineage import graph
from govhub.data.lineage.layout import lay_out
from govhub.data.lineage.models import (
    EntityKind,
    LineageColumnEdge,
    LineageEntity,
    LineageLink,
    LineageRun,
    LinkRole,
)
from govhub.data.lineage.schemas import (
    EdgeKind,
    LineageEdge,
    LineageGraph,
    LineageNode,
    NodeKind,
    RunColumnEdge,
    RunEntity,
    RunRead,
)
from govhub.identity.models import Department
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal

NO_DATASET = "no such dataset version"
NO_RUN = "no such lineage run"
NO_COLUMN = "no such column"


@dataclass
class Seen:
    """An entity with what is needed to decide and show it."""

    entity: LineageEntity
    dataset: DatasetVersion | None
    resource: Resource | None
    visible: bool


class Opaque:
    """Hands out ids for restricted nodes that say nothing about what they hide."""

    def __init__(self) -> None:
        self._ids: dict[object, str] = {}

    def __call__(self, key: object) -> str:
        """Return the opaque id of `key`."""
        return self._ids.setdefault(key, f"restricted-{len(self._ids) + 1}")


def dataset_visible(principal: Principal | None, resource: Resource) -> bool:
    """Tell whether the caller may see a dataset of `resource` in lineage."""
    return resource.opening_type is OpeningType.OPEN or scope.sees_full(principal, resource)


def _covers(principal: Principal | None, division_code: str | None) -> bool:
    return (
        principal is not None
        and principal.can(Permission.CATALOG_READ)
        and principal.covers(division_code)
    )


def look_up(
    session: Session, principal: Principal | None, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Seen]:
    """Return the entities of `ids` with whether the caller may see each."""
    wanted = list(set(ids))
    seen: dict[uuid.UUID, Seen] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(LineageEntity, DatasetVersion, Resource, Department.division_code)
            .outerjoin(DatasetVersion, DatasetVersion.id == LineageEntity.dataset_id)
            .outerjoin(Resource, Resource.id == DatasetVersion.resource_id)
            .outerjoin(Department, Department.id == LineageEntity.department_id)
            .where(LineageEntity.id.in_(wanted[start : start + 500]))
        ).all()
        for entity, dataset, resource, division in rows:
            visible = (
                dataset_visible(principal, resource)
                if resource is not None
                else _covers(principal, division)
            )
            seen[entity.id] = Seen(entity, dataset, resource, visible)
    return seen


def _label(item: Seen) -> str:
    if item.resource is not None and item.dataset is not None:
        return f"{item.resource.title} v{item.dataset.version}"
    return item.entity.name or item.entity.locator


def _entity_node(item: Seen, depth: int, opaque: Opaque) -> LineageNode:
    if not item.visible:
        return LineageNode(
            id=opaque(item.entity.id),
            kind=NodeKind.RESTRICTED,
            label="",
            restricted=True,
            depth=depth,
        )
    entity, dataset = item.entity, item.dataset
    details: dict[str, object] = {}
    if dataset is not None and item.resource is not None:
        details = {
            "title_en": item.resource.title_en,
            "row_count": dataset.row_count,
            "digest": dataset.digest,
        }
    else:
        details = {"locator": entity.locator, "format": entity.format}
    return LineageNode(
        id=str(entity.id),
        kind=NodeKind(entity.kind.value),
        label=_label(item),
        depth=depth,
        dataset_id=entity.dataset_id,
        resource_id=dataset.resource_id if dataset is not None else None,
        version=dataset.version if dataset is not None else None,
        details=details,
    )


def _root_dataset(session: Session, principal: Principal | None, dataset_id: uuid.UUID) -> Seen:
    dataset = session.get(DatasetVersion, dataset_id)
    resource = session.get(Resource, dataset.resource_id) if dataset is not None else None
    if dataset is None or resource is None or not dataset_visible(principal, resource):
        raise NotFound(NO_DATASET)
    entity = session.get(LineageEntity, dataset_id)
    if entity is None:  # a version loaded before lineage was recorded: a lone node
        entity = LineageEntity(
            id=dataset.id,
            kind=EntityKind.DATASET,
            dataset_id=dataset.id,
            locator=str(dataset.id),
            department_id=resource.department_id,
        )
    return Seen(entity, dataset, resource, True)


def _graph(
    session: Session,
    principal: Principal | None,
    *,
    seeds: list[uuid.UUID],
    root: str,
    direction: graph.Direction,
    depth: int,
    extra: dict[uuid.UUID, Seen] | None = None,
) -> LineageGraph:
    walk = graph.walk_entities(session, seeds, direction=direction, depth=depth)
    seen = {**(extra or {}), **look_up(session, principal, walk.depths)}
    runs = {
        run.id: run
        for run in session.scalars(select(LineageRun).where(LineageRun.id.in_(list(walk.runs))))
    }
    opaque = Opaque()
    nodes = {}
    for entity_id, distance in walk.depths.items():
        if entity_id in seen:
            node = _entity_node(seen[entity_id], distance, opaque)
            nodes[entity_id] = node
    edges: list[LineageEdge] = []
    run_nodes: list[LineageNode] = []
    divisions: dict[uuid.UUID | None, str | None] = {}
    for run_id, (used, generated) in walk.runs.items():
        run = runs[run_id]
        if run.department_id not in divisions:
            divisions[run.department_id] = _division(session, run.department_id)
        shown = any(seen[g].visible for g in generated if g in seen) or _covers(
            principal, divisions[run.department_id]
        )
        node_id = str(run_id) if shown else opaque(run_id)
        depth_hint = min((walk.depths[g] for g in generated), default=0)
        run_nodes.append(
            LineageNode(
                id=node_id,
                kind=NodeKind.RUN if shown else NodeKind.RESTRICTED,
                label=run.kind.value if shown else "",
                restricted=not shown,
                depth=depth_hint,
                run_kind=run.kind.value if shown else None,
            )
        )
        edges += [
            LineageEdge(
                source=nodes[u].id,
                target=node_id,
                kind=EdgeKind.USED,
                run_id=run_id if shown else None,
            )
            for u in sorted(used)
            if u in nodes
        ]
        edges += [
            LineageEdge(
                source=node_id,
                target=nodes[g].id,
                kind=EdgeKind.GENERATED,
                run_id=run_id if shown else None,
            )
            for g in sorted(generated)
            if g in nodes
        ]
    every = list(nodes.values()) + run_nodes
    lay_out(every, edges)
    every.sort(key=lambda n: (n.layer, n.order))
    return LineageGraph(
        root=root,
        direction=direction.value,
        depth=depth,
        nodes=every,
        edges=edges,
        truncated=walk.truncated,
    )


def _division(session: Session, department_id: uuid.UUID | None) -> str | None:
    if department_id is None:
        return None
    return session.scalar(select(Department.division_code).where(Department.id == department_id))


def dataset_graph(
    session: Session,
    *,
    principal: Principal | None,
    dataset_id: uuid.UUID,
    direction: graph.Direction,
    depth: int,
) -> LineageGraph:
    """Return the lineage around a dataset version the caller may see."""
    root = _root_dataset(session, principal, dataset_id)
    return _graph(
        session,
        principal,
        seeds=[dataset_id],
        root=str(dataset_id),
        direction=direction,
        depth=depth,
        extra={dataset_id: root},
    )


def resource_graph(
    session: Session,
    *,
    principal: Principal | None,
    resource_id: uuid.UUID,
    direction: graph.Direction,
    depth: int,
) -> LineageGraph:
    """Return the lineage around every dataset version of a resource the caller may see."""
    resource = catalog_service.get_resource(session, principal=principal, resource_id=resource_id)
    seeds = list(
        session.scalars(select(DatasetVersion.id).where(DatasetVersion.resource_id == resource.id))
    )
    return _graph(
        session, principal, seeds=seeds, root=str(resource.id), direction=direction, depth=depth
    )


def column_graph(
    session: Session,
    *,
    principal: Principal | None,
    dataset_id: uuid.UUID,
    column: str,
    direction: graph.Direction,
    depth: int,
) -> LineageGraph:
    """Return the lineage of one column of a dataset version the caller may see."""
    root = _root_dataset(session, principal, dataset_id)
    if root.dataset is None or column not in {str(c.get("name")) for c in root.dataset.schema}:
        raise NotFound(NO_COLUMN)
    walk = graph.walk_columns(session, (dataset_id, column), direction=direction, depth=depth)
    seen = {dataset_id: root, **look_up(session, principal, {e for e, _ in walk.depths})}
    opaque = Opaque()
    nodes: dict[graph.ColumnKey, LineageNode] = {}
    for (entity_id, name), distance in walk.depths.items():
        item = seen[entity_id]
        if not item.visible:
            node = LineageNode(
                id=opaque(entity_id),
                kind=NodeKind.RESTRICTED,
                label="",
                restricted=True,
                depth=distance,
            )
        else:
            owner = _entity_node(item, distance, opaque)
            node = LineageNode(
                id=f"{entity_id}:{name}",
                kind=NodeKind.COLUMN,
                label=name,
                depth=distance,
                column=name,
                dataset_id=owner.dataset_id,
                resource_id=owner.resource_id,
                version=owner.version,
                details={"entity": owner.label, "entity_kind": owner.kind.value},
            )
        if node.restricted and any(n.id == node.id for n in nodes.values()):
            node = next(n for n in nodes.values() if n.id == node.id)
        nodes[(entity_id, name)] = node
    edges: dict[tuple[str, str], LineageEdge] = {}
    for step in walk.edges:
        source, target = nodes[step.source], nodes[step.target]
        hidden = source.restricted or target.restricted
        edges.setdefault(
            (source.id, target.id),
            LineageEdge(
                source=source.id,
                target=target.id,
                kind=EdgeKind.DERIVED,
                run_id=None if hidden else step.run_id,
                expression="" if hidden else step.expression,
            ),
        )
    unique = list({n.id: n for n in nodes.values()}.values())
    lay_out(unique, list(edges.values()))
    unique.sort(key=lambda n: (n.layer, n.order))
    return LineageGraph(
        root=f"{dataset_id}:{column}",
        direction=direction.value,
        depth=depth,
        nodes=unique,
        edges=list(edges.values()),
        truncated=walk.truncated,
    )


def _run_entity(item: Seen, opaque: Opaque) -> RunEntity:
    node = _entity_node(item, 0, opaque)
    return RunEntity(
        id=node.id,
        kind=node.kind,
        label=node.label,
        restricted=node.restricted,
        dataset_id=node.dataset_id,
        resource_id=node.resource_id,
        version=node.version,
        digest=None
        if node.restricted
        else (item.dataset.digest if item.dataset else item.entity.locator),
        format=None if node.restricted else item.entity.format or None,
    )


def get_run(session: Session, *, principal: Principal | None, run_id: uuid.UUID) -> RunRead:
    """Return a run whose output (or department) the caller may see, with its column edges."""
    run = session.get(LineageRun, run_id)
    if run is None:
        raise NotFound(NO_RUN)
    links = session.execute(
        select(LineageLink.role, LineageLink.entity_id).where(LineageLink.run_id == run_id)
    ).all()
    seen = look_up(session, principal, [entity_id for _, entity_id in links])
    outputs_seen = any(seen[e].visible for role, e in links if role is LinkRole.GENERATED)
    if not (outputs_seen or _covers(principal, _division(session, run.department_id))):
        raise NotFound(NO_RUN)
    opaque = Opaque()
    entities = {e: _run_entity(item, opaque) for e, item in seen.items()}
    columns = [
        RunColumnEdge(
            output_entity=entities[c.output_entity_id].id,
            output_column=c.output_column,
            input_entity=entities[c.input_entity_id].id,
            input_column=c.input_column,
            expression=c.expression,
        )
        for c in session.scalars(
            select(LineageColumnEdge)
            .where(LineageColumnEdge.run_id == run_id)
            .order_by(LineageColumnEdge.id)
        )
        if seen[c.output_entity_id].visible and seen[c.input_entity_id].visible
    ]
    return RunRead(
        id=run.id,
        kind=run.kind.value,
        parameters=run.parameters,
        actor=run.actor,
        department_id=run.department_id,
        created_at=run.created_at,
        inputs=[entities[e] for role, e in links if role is LinkRole.USED],
        outputs=[entities[e] for role, e in links if role is LinkRole.GENERATED],
        columns=columns,
    )
