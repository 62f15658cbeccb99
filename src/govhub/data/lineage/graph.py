"""Graph walks over lineage: upstream and downstream of entities or columns, to a depth.

Each walk is one recursive CTE that runs unchanged on SQLite and PostgreSQL. Its rows are
(node, depth) pairs joined with `UNION`, so a node met again at the same depth adds nothing and
the depth bound ends every walk, cycles included; each node keeps the smallest depth it was met at.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    cast,
    func,
    literal,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, aliased

from govhub.data.lineage.models import LineageColumnEdge, LineageEntity, LineageLink, LinkRole

MAX_DEPTH = 50
MAX_NODES = 500


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


def _entity_cte(seeds: list[uuid.UUID], up: bool, depth: int) -> Select[uuid.UUID, int]:
    """Return `SELECT entity_id, depth` of every entity within `depth` runs of the seeds."""
    near, far = aliased(LineageLink), aliased(LineageLink)
    near_role, far_role = (
        (LinkRole.GENERATED, LinkRole.USED) if up else (LinkRole.USED, LinkRole.GENERATED)
    )
    seed = select(
        LineageEntity.id.label("entity_id"), literal_column("0", Integer).label("depth")
    ).where(LineageEntity.id.in_(seeds))
    walk = seed.cte("lineage_walk", recursive=True)
    step = (
        select(far.entity_id, walk.c.depth + 1)
        .select_from(walk)
        .join(near, and_(near.entity_id == walk.c.entity_id, near.role == near_role))
        .join(far, and_(far.run_id == near.run_id, far.role == far_role))
        .where(walk.c.depth < depth)
    )
    walk = walk.union(step)
    return (
        select(walk.c.entity_id, func.min(walk.c.depth).label("depth"))
        .group_by(walk.c.entity_id)
        .order_by(func.min(walk.c.depth), walk.c.entity_id)
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
        rows = list(session.execute(_entity_cte(seeds, up, depth).limit(max_nodes + 1)).all())
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
        rows.extend(
            session.execute(
                select(LineageLink.run_id, LineageLink.role, LineageLink.entity_id).where(
                    LineageLink.entity_id.in_(chunk)
                )
            ).all()
        )
    runs: dict[uuid.UUID, tuple[set[uuid.UUID], set[uuid.UUID]]] = {}
    for run_id, role, entity_id in rows:
        used, generated = runs.setdefault(run_id, (set(), set()))
        (used if role is LinkRole.USED else generated).add(entity_id)
    # A run belongs to the graph when it links an input and an output that were both met.
    walk.runs = {run_id: sides for run_id, sides in runs.items() if sides[0] and sides[1]}


def _column_cte(seed: ColumnKey, up: bool, depth: int) -> Select[uuid.UUID, str, int]:
    edge = LineageColumnEdge
    near_e, near_c, far_e, far_c = (
        (edge.output_entity_id, edge.output_column, edge.input_entity_id, edge.input_column)
        if up
        else (edge.input_entity_id, edge.input_column, edge.output_entity_id, edge.output_column)
    )
    start = select(
        literal(seed[0]).label("entity_id"),
        cast(literal(seed[1]), String(200)).label("column_name"),
        literal_column("0", Integer).label("depth"),
    )
    walk = start.cte("lineage_column_walk", recursive=True)
    step = (
        select(far_e, far_c, walk.c.depth + 1)
        .select_from(walk)
        .join(edge, and_(near_e == walk.c.entity_id, near_c == walk.c.column_name))
        .where(walk.c.depth < depth)
    )
    walk = walk.union(step)
    return (
        select(walk.c.entity_id, walk.c.column_name, func.min(walk.c.depth))
        .group_by(walk.c.entity_id, walk.c.column_name)
        .order_by(func.min(walk.c.depth), walk.c.entity_id, walk.c.column_name)
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
        rows = list(session.execute(_column_cte(seed, up, depth).limit(max_nodes + 1)).all())
        if len(rows) > max_nodes:
            result.truncated = True
            rows = rows[:max_nodes]
        for entity_id, column, distance in rows:
            key = (entity_id, column)
            signed = -int(distance) if up else int(distance)
            if key not in result.depths or abs(signed) < abs(result.depths[key]):
                result.depths[key] = signed
    keys = list(result.depths)
    found: dict[int, ColumnStep] = {}
    for start in range(0, len(keys), 250):
        chunk = keys[start : start + 250]
        edge = LineageColumnEdge
        found_rows = session.scalars(
            select(edge).where(tuple_(edge.output_entity_id, edge.output_column).in_(chunk))
        )
        for row in found_rows:
            source = (row.input_entity_id, row.input_column)
            if source in result.depths:
                found[row.id] = ColumnStep(
                    run_id=row.run_id,
                    source=source,
                    target=(row.output_entity_id, row.output_column),
                    expression=row.expression,
                )
    result.edges = [found[key] for key in sorted(found)]
    return result
