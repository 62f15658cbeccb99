"""API schemas of lineage: a graph of nodes and edges, laid out left to right, and runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class NodeKind(StrEnum):
    """What a node of a lineage graph stands for (`restricted`: not the caller's to see)."""

    DATASET = "dataset"
    FILE = "file"
    DATABASE = "database"
    API = "api"
    RUN = "run"
    COLUMN = "column"
    RESTRICTED = "restricted"


class EdgeKind(StrEnum):
    """PROV relations drawn as edges, and column derivations."""

    USED = "used"
    GENERATED = "generated"
    DERIVED = "derived"


class LineageNode(BaseModel):
    """A node with its position: `layer` counts columns left to right, `order` rows."""

    id: str
    kind: NodeKind
    label: str
    restricted: bool = False
    depth: int = 0
    layer: int = 0
    order: int = 0
    dataset_id: uuid.UUID | None = None
    resource_id: uuid.UUID | None = None
    version: int | None = None
    column: str | None = None
    run_kind: str | None = None
    details: dict[str, Any] = {}


class LineageEdge(BaseModel):
    """An edge from `source` to `target` (data flows that way)."""

    source: str
    target: str
    kind: EdgeKind
    run_id: uuid.UUID | None = None
    expression: str = ""


class LineageGraph(BaseModel):
    """The upstream and/or downstream graph around a start node."""

    root: str
    direction: str
    depth: int
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    truncated: bool = False


class RunEntity(BaseModel):
    """An input or output of a run as the caller may see it."""

    id: str
    kind: NodeKind
    label: str
    restricted: bool = False
    dataset_id: uuid.UUID | None = None
    resource_id: uuid.UUID | None = None
    version: int | None = None
    digest: str | None = None
    format: str | None = None


class RunColumnEdge(BaseModel):
    """Output column <- input column of one run."""

    output_entity: str
    output_column: str
    input_entity: str
    input_column: str
    expression: str = ""


class RunRead(BaseModel):
    """A transformation run: kind, parameters, actor, time, inputs, outputs and column edges."""

    id: uuid.UUID
    kind: str
    parameters: dict[str, Any]
    actor: str
    department_id: uuid.UUID | None
    created_at: datetime
    inputs: list[RunEntity]
    outputs: list[RunEntity]
    columns: list[RunColumnEdge]
