"""Graph walks over lineage: upstream and downstream of entities or columns, to a depth.

Each walk is one recursive CTE that runs unchanged on SQLite and PostgreSQL. Its rows are
(node, depth) pairs joined with `UNION`, so a node met again at the same depth adds nothing and
the depth bound ends every walk, cycles included; each node keeps the smallest depth it was met at.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from sqlalchemy import (
    Integer,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session, aliased

from govhub.data.lineage.models import LineageColumnEdge, LineageEntity, LineageLink, LinkRole

MAX_DEPTH = 50
MAX_NODES = 500


_LINKS_OF = select(LineageLink.run_id, LineageLink.role, LineageLink.entity_id).where(
    LineageLink.entity_id.in_(bindparam("ids", expanding=True))
)
# Edges into the entities met (an index prefix); the columns are filtered in Python.
_EDGES_INTO = select(LineageColumnEdge).where(
    LineageColumnEdge.output_entity_id.in_(bindparam("ids", expanding=True))
)


class Direction(StrEnum):
    """Which way to walk from the start."""

    UP = "up"
    DOWN = "down"
    BOTH = "both"


@dataclass
class EntityWalk:
    """Entities met (with their signed distance: negative upstream) and the runs between them."""

    depths: dict[uuid.UUID, int] = field(default_factory=dict)
    # run id -> (used entity ids, generated entity ids), restricted to entities met
    runs: dict[uuid.UUID, tuple[set[uuid.UUID], set[uuid.UUID]]] = field(default_factory=dict)
    truncated: bool = False


ColumnKey = tuple[uuid.UUID, str]


@dataclass(frozen=True)
class ColumnStep:
    """One column edge met on a walk."""

    run_id: uuid.UUID
    source: ColumnKey
    target: ColumnKey
    expression: str


@dataclass
class ColumnWalk:
    """Columns met (with their signed distance) and the column edges between them."""

    depths: dict[ColumnKey, int] = field(default_factory=dict)
    edges: list[ColumnStep] = field(default_factory=list)
    truncated: bool = False


@lru_cache(maxsize=2)
def _entity_cte(up: bool) -> Select[uuid.UUID, int]:
    """Return `SELECT entity_id, depth` of every entity within `:max_depth` runs of `:seeds`
    (built once per direction; the walk's values are bound parameters)."""
    near, far = aliased(LineageLink), aliased(LineageLink)
    near_role, far_role = (
        (LinkRole.GENERATED, LinkRole.USED) if up else (LinkRole.USED, LinkRole.GENERATED)
    )
    seed = select(
        LineageEntity.id.label("entity_id"), literal_column("0", Integer).label("depth")
    ).where(LineageEntity.id.in_(bindparam("seeds", expanding=True)))
    walk = seed.cte("lineage_walk", recursive=True)
    step = (
        select(far.entity_id, walk.c.depth + 1)
        .select_from(walk)
        .join(near, and_(near.entity_id == walk.c.entity_id, near.role == near_role))
        .join(far, and_(far.run_id == near.run_id, far.role == far_role))
        .where(walk.c.depth < bindparam("max_depth", type_=Integer))
    )
    walk = walk.union(step)
    return (
        select(walk.c.entity_id, func.min(walk.c.depth).label("depth"))
        .group_by(walk.c.entity_id)
        .order_by(func.min(walk.c.depth), walk.c.entity_id)
        .limit(bindparam("max_rows", type_=Integer))
    )


def walk_entities(
    session: Session,
    seeds: list[uuid.UUID],
    *,
    direction: Direction,
    depth: int,
    max_nodes: int = MAX_NODES,
) -> EntityWalk:
    """Walk from the seed entities up, down or both ways, to `depth` runs away."""
    result = EntityWalk(depths=dict.fromkeys(seeds, 0))
    for up in _sides(direction):
        params = {"seeds": seeds, "max_depth": depth, "max_rows": max_nodes + 1}
        rows = list(session.execute(_entity_cte(up), params).all())
        if len(rows) > max_nodes:
            result.truncated = True
            rows = rows[:max_nodes]
        for entity_id, distance in rows:
            signed = -int(distance) if up else int(distance)
            if entity_id not in result.depths or abs(signed) < abs(result.depths[entity_id]):
                result.depths[entity_id] = signed
    _attach_runs(session, result)
    return result


def _sides(direction: Direction) -> list[bool]:
    return {Direction.UP: [True], Direction.DOWN: [False], Direction.BOTH: [True, False]}[direction]


def _attach_runs(session: Session, walk: EntityWalk) -> None:
    """Fill `walk.runs` with the runs that used and generated entities of the walk."""
    ids = list(walk.depths)
    rows: list[tuple[uuid.UUID, LinkRole, uuid.UUID]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows.extend(session.execute(_LINKS_OF, {"ids": chunk}).all())
    runs: dict[uuid.UUID, tuple[set[uuid.UUID], set[uuid.UUID]]] = {}
    for run_id, role, entity_id in rows:
        used, generated = runs.setdefault(run_id, (set(), set()))
        (used if role is LinkRole.USED else generated).add(entity_id)
    # A run belongs to the graph when it links an input and an output that were both met.
    walk.runs = {run_id: sides for run_id, sides in runs.items() if sides[0] and sides[1]}


@lru_cache(maxsize=2)
def _column_cte(up: bool) -> Select[uuid.UUID, str, int]:
    """Return `SELECT entity_id, column_name, depth` of every column within `:max_depth` edges
    of (`:seed_entity`, `:seed_column`)."""
    edge = LineageColumnEdge
    near_e, near_c, far_e, far_c = (
        (edge.output_entity_id, edge.output_column, edge.input_entity_id, edge.input_column)
        if up
        else (edge.input_entity_id, edge.input_column, edge.output_entity_id, edge.output_column)
    )
    start = select(
        cast(bindparam("seed_entity", type_=Uuid()), Uuid()).label("entity_id"),
        cast(bindparam("seed_column", type_=String(200)), String(200)).label("column_name"),
        literal_column("0", Integer).label("depth"),
    )
    walk = start.cte("lineage_column_walk", recursive=True)
    step = (
        select(far_e, far_c, walk.c.depth + 1)
        .select_from(walk)
        .join(edge, and_(near_e == walk.c.entity_id, near_c == walk.c.column_name))
        .where(walk.c.depth < bindparam("max_depth", type_=Integer))
    )
    walk = walk.union(step)
    return (
        select(walk.c.entity_id, walk.c.column_name, func.min(walk.c.depth))
        .group_by(walk.c.entity_id, walk.c.column_name)
        .order_by(func.min(walk.c.depth), walk.c.entity_id, walk.c.column_name)
        .limit(bindparam("max_rows", type_=Integer))
    )


def walk_columns(
    session: Session,
    seed: ColumnKey,
    *,
    direction: Direction,
    depth: int,
    max_nodes: int = MAX_NODES,
) -> ColumnWalk:
    """Walk the column edges from one column up, down or both ways, to `depth` steps."""
    result = ColumnWalk(depths={seed: 0})
    for up in _sides(direction):
        params = {
            "seed_entity": seed[0],
            "seed_column": seed[1],
            "max_depth": depth,
            "max_rows": max_nodes + 1,
        }
        rows = list(session.execute(_column_cte(up), params).all())
        if len(rows) > max_nodes:
            result.truncated = True
            rows = rows[:max_nodes]
        for entity_id, column, distance in rows:
            key = (entity_id, column)
            signed = -int(distance) if up else int(distance)
            if key not in result.depths or abs(signed) < abs(result.depths[key]):
                result.depths[key] = signed
    entities = sorted({entity_id for entity_id, _ in result.depths})
    found: dict[int, ColumnStep] = {}
    for start in range(0, len(entities), 500):
        for row in session.scalars(_EDGES_INTO, {"ids": entities[start : start + 500]}):
            source = (row.input_entity_id, row.input_column)
            target = (row.output_entity_id, row.output_column)
            if source in result.depths and target in result.depths:
                found[row.id] = ColumnStep(
                    run_id=row.run_id, source=source, target=target, expression=row.expression
                )
    result.edges = [found[key] for key in sorted(found)]
    return result
