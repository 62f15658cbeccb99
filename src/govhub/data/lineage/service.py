"""Record lineage: one call, inside the caller's transaction, for any derivation.

`record_run(session, kind=..., inputs=[...], outputs=[...], column_map=[...], actor=...)` stores
the run (a PROV activity), what it used and generated, and its column edges, then records a
`lineage_recorded` ledger event. Inputs and outputs are dataset versions (`DatasetVersion`) or
external sources built with `file_source`, `database_source` and `api_source`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from govhub.core.errors import InvalidInput
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.lineage.models import (
    ActivityKind,
    EntityKind,
    LineageColumnEdge,
    LineageEntity,
    LineageLink,
    LineageRun,
    LinkRole,
)
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger_service
from govhub.ledger.schemas import EntryKind

MAX_PARAMETER_BYTES = 16_384
MAX_NODES_PER_RUN = 1_000


@dataclass(frozen=True)
class Source:
    """An external source: an uploaded file, a database table or an API."""

    kind: EntityKind
    locator: str
    name: str
    format: str = ""


Node = DatasetVersion | Source


@dataclass(frozen=True)
class ColumnLink:
    """Output column `output` (of `into`, default the run's only output) derived from `inputs`,
    each an (input node, column) pair, by `expression` when known."""

    output: str
    inputs: Sequence[tuple[Node, str]]
    expression: str = ""
    into: Node | None = None


@dataclass
class _Resolved:
    entities: dict[int, LineageEntity] = field(default_factory=dict)


def file_source(*, name: str, digest: str, format: str = "") -> Source:
    """Return an uploaded file known by its SHA-256 digest (`sha256:<hex>` or bare hex)."""
    hexdigest = digest.removeprefix("sha256:").lower()
    if len(hexdigest) != 64 or any(c not in "0123456789abcdef" for c in hexdigest):
        raise InvalidInput("a file source needs its SHA-256 digest", field="digest")
    return Source(EntityKind.FILE, f"sha256:{hexdigest}", name[:300], format[:40])


def database_source(*, url: str, table: str) -> Source:
    """Return a database table pulled by SQLAlchemy URL; user and password are never kept."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInput("not a database URL", field="url") from exc
    clean = URL.create(
        parsed.drivername, host=parsed.host, port=parsed.port, database=parsed.database
    )
    locator = f"{clean.render_as_string(hide_password=True)}#{table}"
    return Source(EntityKind.DATABASE, locator[:1000], table[:300], clean.get_backend_name())


def api_source(*, url: str, name: str = "") -> Source:
    """Return an API endpoint; credentials, query string and fragment are dropped."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput("an API source needs an http(s) URL", field="url")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, host, parts.path, "", ""))
    return Source(EntityKind.API, clean[:1000], (name or clean)[:300], "api")


def _department_of_dataset(session: Session, dataset: DatasetVersion) -> uuid.UUID | None:
    return session.scalar(select(Resource.department_id).where(Resource.id == dataset.resource_id))


def entity_for(
    session: Session, node: Node, *, department_id: uuid.UUID | None = None
) -> LineageEntity:
    """Return the lineage entity of a dataset version or source, creating it on first use."""
    if isinstance(node, DatasetVersion):
        entity = session.get(LineageEntity, node.id)
        if entity is None:
            entity = LineageEntity(
                id=node.id,
                kind=EntityKind.DATASET,
                dataset_id=node.id,
                locator=str(node.id),
                department_id=_department_of_dataset(session, node),
            )
            session.add(entity)
        return entity
    entity = session.scalar(
        select(LineageEntity).where(
            LineageEntity.kind == node.kind,
            LineageEntity.locator == node.locator,
            LineageEntity.department_id.is_(None)
            if department_id is None
            else LineageEntity.department_id == department_id,
        )
    )
    if entity is None:
        entity = LineageEntity(
            kind=node.kind,
            locator=node.locator,
            name=node.name,
            format=node.format,
            department_id=department_id,
        )
        session.add(entity)
    return entity


def _columns_of(node: Node) -> set[str] | None:
    """Return the known column names of a node (None: unknown, anything goes)."""
    if isinstance(node, DatasetVersion):
        return {str(column.get("name")) for column in node.schema}
    return None


def _check(
    inputs: Sequence[Node],
    outputs: Sequence[Node],
    column_map: Sequence[ColumnLink],
    parameters: Mapping[str, Any],
) -> None:
    if not inputs or not outputs:
        raise InvalidInput("a run needs at least one input and one output", field="inputs")
    if len(inputs) + len(outputs) > MAX_NODES_PER_RUN:
        raise InvalidInput(f"a run links at most {MAX_NODES_PER_RUN} entities", field="inputs")
    if any(node in inputs for node in outputs):
        raise InvalidInput("a run cannot generate one of its own inputs", field="outputs")
    if len(ledger_service.canonical_json(dict(parameters))) > MAX_PARAMETER_BYTES:
        raise InvalidInput("run parameters are too large", field="parameters")
    for index, link in enumerate(column_map):
        into = link.into if link.into is not None else (outputs[0] if len(outputs) == 1 else None)
        if into is None or into not in outputs:
            raise InvalidInput("say which output a column belongs to", field=f"column_map.{index}")
        _check_column(into, link.output, f"column_map.{index}.output")
        if not link.inputs:
            raise InvalidInput("a column link needs an input", field=f"column_map.{index}")
        for node, column in link.inputs:
            if node not in inputs:
                raise InvalidInput(
                    "a column comes from a node that is not an input",
                    field=f"column_map.{index}.inputs",
                )
            _check_column(node, column, f"column_map.{index}.inputs")
        if len(link.expression) > 2000:
            raise InvalidInput("the expression is too long", field=f"column_map.{index}")


def _check_column(node: Node, column: str, where: str) -> None:
    known = _columns_of(node)
    if not column or len(column) > 200 or (known is not None and column not in known):
        raise InvalidInput(f"no column {column[:200]!r} in that dataset", field=where)


def _actor(actor: Principal | str) -> tuple[str, uuid.UUID | None, uuid.UUID | None]:
    if isinstance(actor, Principal):
        return ledger_service.actor_of(actor), actor.account_id, actor.department_id
    return actor, None, None


def record_run(
    session: Session,
    *,
    kind: ActivityKind,
    inputs: Sequence[Node],
    outputs: Sequence[Node],
    column_map: Iterable[ColumnLink] = (),
    parameters: Mapping[str, Any] | None = None,
    actor: Principal | str,
) -> LineageRun:
    """Record that a run of `kind` derived `outputs` from `inputs`, with a ledger event."""
    links = list(column_map)
    params = dict(parameters or {})
    _check(inputs, outputs, links, params)
    actor_id, account_id, department_id = _actor(actor)
    if department_id is None:
        department_id = next(
            (_department_of_dataset(session, n) for n in outputs if isinstance(n, DatasetVersion)),
            None,
        )
    run = LineageRun(
        id=uuid.uuid4(),
        kind=ActivityKind(kind),
        parameters=params,
        actor=actor_id,
        account_id=account_id,
        department_id=department_id,
    )
    session.add(run)
    resolved = _Resolved()
    for node in (*inputs, *outputs):
        if id(node) not in resolved.entities:
            resolved.entities[id(node)] = entity_for(session, node, department_id=department_id)
    session.flush()
    seen: set[tuple[LinkRole, uuid.UUID]] = set()
    for role, nodes in ((LinkRole.USED, inputs), (LinkRole.GENERATED, outputs)):
        for node in nodes:
            key = (role, resolved.entities[id(node)].id)
            if key not in seen:
                seen.add(key)
                session.add(LineageLink(run_id=run.id, role=role, entity_id=key[1]))
    for link in links:
        into = resolved.entities[id(link.into if link.into is not None else outputs[0])]
        for node, column in link.inputs:
            session.add(
                LineageColumnEdge(
                    run_id=run.id,
                    output_entity_id=into.id,
                    output_column=link.output,
                    input_entity_id=resolved.entities[id(node)].id,
                    input_column=column,
                    expression=link.expression,
                )
            )
    session.flush()
    ledger_service.record(
        session,
        kind=EntryKind.LINEAGE_RECORDED,
        actor=actor_id,
        subject=f"lineage:run:{run.id}",
        payload={
            "run_id": str(run.id),
            "kind": run.kind.value,
            "used": sorted(str(e.id) for n in inputs for e in [resolved.entities[id(n)]]),
            "generated": sorted(str(e.id) for n in outputs for e in [resolved.entities[id(n)]]),
            "parameters": params,
        },
        department_id=department_id,
    )
    return run


def record_load(
    session: Session,
    *,
    principal: Principal,
    dataset: DatasetVersion,
    filename: str,
    digest: str,
    format: str,
    source: Source | None = None,
) -> LineageRun:
    """Record an ingest: the source (by default the file, by digest) -> the dataset version,
    column by column."""
    source = source or file_source(name=filename, digest=digest, format=format)
    columns = [str(column["name"]) for column in dataset.schema]
    return record_run(
        session,
        kind=ActivityKind.INGEST,
        inputs=[source],
        outputs=[dataset],
        column_map=[ColumnLink(output=name, inputs=[(source, name)]) for name in columns],
        parameters={"format": format},
        actor=principal,
    )
