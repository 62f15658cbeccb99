"""Exchange service: answer a consuming system's query or export within its grant.

The order of checks matters for what leaks: a caller without an active grant for a resource
learns nothing about it (404, or 403 naming only its own expired or revoked grant); a caller
with one is told precisely which of its fields or conditions the grant does not cover.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govhub.core.ratelimit import SlidingWindow
from govhub.core.storage import FsspecStorage, LocalStorage, Storage, get_storage
from govhub.data.catalog.models import DatasetVersion
from govhub.data.exchange.schemas import ExportRequest, QueryRequest, QueryResult
from govhub.data.exchange.settings import get_exchange_settings
from govhub.data.exchange.sql import Statement, select_sql
from govhub.data.exchange.writers import jsonable, write_batches
from govhub.data.sharing.models import Grant
from govhub.data.sharing.schemas import Condition
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.privacy import policy as privacy
from govhub.privacy.masking import MaskStyle
from govhub.privacy.pseudonyms import pseudonym_key

NO_GRANT = "no active grant for this resource"
request_limiter = SlidingWindow("exchange requests")
export_limiter = SlidingWindow("exports")


@dataclass(frozen=True, slots=True)
class Plan:
    """What one call may read: the grant, the dataset file, columns and all conditions."""

    grant: Grant
    dataset: DatasetVersion
    columns: list[str]
    present: list[str]
    conditions: list[Condition]
    policies: dict[str, privacy.FieldPolicy]


def consumer_grants(session: Session, *, principal: Principal) -> Sequence[Grant]:
    """List the active grants of the calling system."""
    if principal.client_id is None:
        return []
    now = utcnow()
    return session.scalars(
        select(Grant)
        .where(
            Grant.client_id == principal.client_id,
            Grant.revoked_at.is_(None),
            Grant.expires_at > now,
        )
        .order_by(Grant.granted_at)
    ).all()


def active_grant(session: Session, *, principal: Principal, resource_id: uuid.UUID) -> Grant:
    """Return the calling system's active grant for a resource."""
    if principal.client_id is None:
        raise NotFound(NO_GRANT)
    grants = session.scalars(
        select(Grant)
        .where(Grant.client_id == principal.client_id, Grant.resource_id == resource_id)
        .order_by(Grant.granted_at.desc())
    ).all()
    now = utcnow()
    for grant in grants:
        if grant.is_active(now):
            return grant
    if grants:
        ended = "was revoked" if grants[0].revoked_at is not None else "has expired"
        raise PermissionDenied(f"your grant for this resource {ended}")
    raise NotFound(NO_GRANT)


def plan(
    session: Session,
    *,
    principal: Principal,
    resource_id: uuid.UUID,
    fields: Sequence[str] | None,
    where: Sequence[Condition],
    order_fields: Sequence[str] = (),
) -> Plan:
    """Check a call against the grant and return what it may read."""
    grant = active_grant(session, principal=principal, resource_id=resource_id)
    columns = list(dict.fromkeys(fields)) if fields else list(grant.fields)
    outside = [c for c in columns if c not in grant.fields]
    if outside:
        raise PermissionDenied(f"fields outside your grant: {', '.join(outside)}")
    protected = {name for name, p in grant.field_policies.items() if p["treatment"] != "clear"}
    used = [c.field for c in where] + list(order_fields)
    hidden = sorted({f for f in used if f not in grant.fields or f in protected})
    if hidden:
        raise PermissionDenied(
            f"only granted fields in clear text can filter or sort: {', '.join(hidden)}"
        )
    dataset = session.scalar(
        select(DatasetVersion)
        .where(DatasetVersion.resource_id == resource_id)
        .order_by(DatasetVersion.version.desc())
        .limit(1)
    )
    if dataset is None:
        raise NotFound("the resource has no published data yet")
    present = [f["name"] for f in dataset.schema]
    grant_conditions = [Condition.model_validate(c) for c in grant.row_filter]
    missing = sorted({c.field for c in grant_conditions} - set(present))
    if missing:  # fail closed: never widen a grant because the data changed shape
        raise Conflict("the data no longer has a field the grant filters on; ask the owner")
    policies = {
        name: privacy.FieldPolicy(
            privacy.Treatment(p["treatment"]),
            mask_style=MaskStyle(p.get("mask_style", "full")),
            generalization=privacy.Generalization(p["generalization"])
            if "generalization" in p
            else None,
            legal_basis=p.get("legal_basis", ""),
        )
        for name, p in grant.field_policies.items()
        if name in columns
    }
    return Plan(grant, dataset, columns, present, [*grant_conditions, *where], policies)


@contextmanager
def _duckdb(storage: Storage, key: str) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    con = duckdb.connect()
    try:
        if isinstance(storage, LocalStorage):
            path = str(storage.local_path(key))
        else:
            if not isinstance(storage, FsspecStorage):  # pragma: no cover - two backends exist
                raise TypeError("unknown storage backend")
            con.register_filesystem(storage.fs)
            path = storage.url(key)
        yield con, path
    finally:
        con.close()


def _transform(table: pa.Table, plan: Plan) -> pa.Table:
    key = pseudonym_key(f"grant:{plan.grant.id}")
    return privacy.apply(table, plan.policies, pseudonym_key=key)


def _run(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> duckdb.DuckDBPyRelation:
    try:
        return con.sql(sql, params=params)
    except (duckdb.ConversionException, duckdb.BinderException) as exc:
        raise InvalidInput("a condition's value does not fit its field's type") from exc


def query(
    session: Session, *, principal: Principal, resource_id: uuid.UUID, request: QueryRequest
) -> QueryResult:
    """Return one page of granted rows, transformed by the grant, and ledger it."""
    settings = get_exchange_settings()
    if request.limit > settings.max_page_rows:
        raise InvalidInput(f"a page holds at most {settings.max_page_rows} rows", field="limit")
    request_limiter.hit(
        principal.client_id or principal.username, limit=settings.requests_per_minute
    )
    p = plan(
        session,
        principal=principal,
        resource_id=resource_id,
        fields=request.fields,
        where=request.where,
        order_fields=[o.field for o in request.order_by],
    )
    statement = Statement()
    sql = select_sql(
        statement,
        columns=p.columns,
        present=p.present,
        conditions=p.conditions,
        order=request.order_by,
        limit=request.limit + 1,
        offset=request.offset,
    )
    with _duckdb(get_storage(), p.dataset.storage_key) as (con, path):
        try:
            table = _run(con, sql, {"path": path, **statement.params}).to_arrow_table()
        except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
            raise InvalidInput("a condition's value does not fit its field's type") from exc
    more = table.num_rows > request.limit
    rows = [jsonable(r) for r in _transform(table.slice(0, request.limit), p).to_pylist()]
    digest = hashlib.sha256(_canonical(rows)).hexdigest()
    _ledger(
        session, principal, p, rows=len(rows), digest=digest, call=request.model_dump(mode="json")
    )
    return QueryResult(
        resource_id=resource_id,
        version=p.dataset.version,
        fields=p.columns,
        rows=rows,
        offset=request.offset,
        limit=request.limit,
        next_offset=request.offset + request.limit if more else None,
        digest=digest,
    )


@dataclass(frozen=True, slots=True)
class Export:
    """A finished export file, ledgered before any byte of it is sent."""

    path: Path
    rows: int
    digest: str
    version: int


def export(
    session: Session,
    *,
    principal: Principal,
    resource_id: uuid.UUID,
    request: ExportRequest,
    spool: Path,
) -> Export:
    """Write all granted rows, transformed, to a file under `spool`; ledger it with its digest."""
    settings = get_exchange_settings()
    export_limiter.hit(
        principal.client_id or principal.username, limit=settings.exports_per_hour, window=3600
    )
    p = plan(
        session,
        principal=principal,
        resource_id=resource_id,
        fields=request.fields,
        where=request.where,
    )
    statement = Statement()
    sql = select_sql(statement, columns=p.columns, present=p.present, conditions=p.conditions)
    spool.mkdir(parents=True, exist_ok=True)
    target = spool / f"{uuid.uuid4().hex}.{request.format.value}"
    with _duckdb(get_storage(), p.dataset.storage_key) as (con, path):
        reader = _run(con, sql, {"path": path, **statement.params}).to_arrow_reader(
            settings.export_batch_rows
        )
        schema = _transform(reader.schema.empty_table(), p).schema
        batches = (_transform(pa.Table.from_batches([b]), p) for b in reader)
        try:
            rows, digest = write_batches(batches, target, request.format, schema)
        except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
            target.unlink(missing_ok=True)
            raise InvalidInput("a condition's value does not fit its field's type") from exc
    call = request.model_dump(mode="json")
    _ledger(session, principal, p, rows=rows, digest=digest, call=call)
    return Export(target, rows, digest, p.dataset.version)


def _ledger(
    session: Session, principal: Principal, p: Plan, *, rows: int, digest: str, call: Any
) -> None:
    ledger.record(
        session,
        kind=EntryKind.DATA_ACCESS,
        actor=ledger.actor_of(principal),
        subject=f"grant:{p.grant.id}",
        department_id=p.grant.resource.department_id,
        payload={
            "consumer": principal.client_id,
            "resource": str(p.grant.resource_id),
            "version": p.dataset.version,
            "fields": p.columns,
            "rows": rows,
            "purpose": p.grant.purpose,
            "call": call,
            "response_sha256": digest,
        },
    )


def _canonical(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
