"""Exchange service: answer a consuming system's query or export within its grant.

The order of checks matters for what leaks: a caller without an active grant for a resource
learns nothing about it (404, or 403 naming only its own expired or revoked grant); a caller
with one is told precisely which of its fields or conditions the grant does not cover.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

import duckdb
import pyarrow as pa
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govhub.core.ratelimit import SlidingWindow
from govhub.core.storage import Storage, get_storage
from govhub.data.catalog.models import DatasetVersion
from govhub.data.exchange.cache import DatasetView, GrantView, grants
from govhub.data.exchange.schemas import ExportRequest, QueryRequest
from govhub.data.exchange.settings import get_exchange_settings
from govhub.data.exchange.sql import (
    Statement,
    copy_sql,
    json_rows_sql,
    policy_sql,
    select_sql,
)
from govhub.data.exchange.writers import (
    PLAIN_KINDS,
    canonical_rows,
    value_rows,
    write_batches,
)
from govhub.data.ingest.pipeline import file_digest
from govhub.data.sharing.models import AccessKind, Grant, GrantAccess
from govhub.data.sharing.schemas import Condition
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.privacy import policy as privacy
from govhub.privacy import vault
from govhub.privacy.masking import MaskStyle, mask
from govhub.privacy.pseudonyms import pseudonym_key

NO_GRANT = "no active grant for this resource"
TYPE_MISMATCH = "a condition's value does not fit its field's type"
T = TypeVar("T")
# A Core insert without RETURNING, compiled once: the usage row needs no ORM object.
_INSERT_ACCESS = insert(cast(Table, GrantAccess.__table__)).inline()
request_limiter = SlidingWindow("exchange requests")
export_limiter = SlidingWindow("exports")


@dataclass(frozen=True, slots=True)
class Plan:
    """What one call may read, as plain values: it outlives the transaction that made it."""

    grant_id: uuid.UUID
    resource_id: uuid.UUID
    owner_id: uuid.UUID
    purpose: str
    storage_key: str
    version: int
    columns: list[str]
    present: list[str]
    conditions: list[Condition]
    policies: dict[str, privacy.FieldPolicy]  # the transforms of the columns read
    expressions: dict[str, str]  # those DuckDB can apply, as SQL (used by exports)
    pseudonym_key: bytes | None  # the grant's key, when one of `policies` pseudonymizes
    kinds: tuple[str, ...] | None  # each column's plain kind; None: some column has none

    def python_policies(self) -> dict[str, privacy.FieldPolicy]:
        """Return the transforms an export applies in Python (those without SQL)."""
        return {n: p for n, p in self.policies.items() if n not in self.expressions}


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


def grant_view(
    session: Session, *, principal: Principal, resource_id: uuid.UUID, ttl: float
) -> GrantView:
    """Return the calling system's active grant for a resource with its latest dataset.

    Served from the process cache when fresh for `ttl` seconds (see
    `govhub.data.exchange.cache`); otherwise read from the database, where every refusal is
    decided.
    """
    client_id = principal.client_id
    if client_id is not None:
        cached = grants.get((client_id, resource_id), ttl=ttl)
        if cached is not None and cached.is_active(utcnow()):
            return cached
    since = grants.generation
    grant = active_grant(session, principal=principal, resource_id=resource_id)
    dataset = session.scalar(
        select(DatasetVersion)
        .where(DatasetVersion.resource_id == resource_id)
        .order_by(DatasetVersion.version.desc())
        .limit(1)
    )
    policies = {name: _field_policy(p) for name, p in grant.field_policies.items()}
    compiled = {name: policy_sql(name, policy) for name, policy in policies.items()}
    view = GrantView(
        grant_id=grant.id,
        resource_id=grant.resource_id,
        owner_id=grant.resource.department_id,
        purpose=grant.purpose,
        fields=tuple(grant.fields),
        protected=frozenset(
            name for name, p in grant.field_policies.items() if p["treatment"] != "clear"
        ),
        expires_at=grant.expires_at,
        conditions=tuple(Condition.model_validate(c) for c in grant.row_filter),
        policies=policies,
        compiled=compiled,
        pseudonym_key=pseudonym_key(f"grant:{grant.id}")
        if any(p.treatment is privacy.Treatment.PSEUDONYMIZE for p in policies.values())
        else None,
        dataset=None
        if dataset is None
        else DatasetView(
            dataset.storage_key,
            dataset.version,
            tuple(f["name"] for f in dataset.schema),
            {
                f["name"]: PLAIN_KINDS[f["arrow_type"]]
                for f in dataset.schema
                if f["arrow_type"] in PLAIN_KINDS
            },
        ),
    )
    if client_id is not None:
        grants.put((client_id, resource_id), view, since=since, ttl=ttl)
    return view


def _field_policy(p: dict[str, str]) -> privacy.FieldPolicy:
    return privacy.FieldPolicy(
        privacy.Treatment(p["treatment"]),
        mask_style=MaskStyle(p.get("mask_style", "full")),
        generalization=privacy.Generalization(p["generalization"])
        if "generalization" in p
        else None,
        legal_basis=p.get("legal_basis", ""),
    )


def plan(
    session: Session,
    *,
    principal: Principal,
    resource_id: uuid.UUID,
    fields: Sequence[str] | None,
    where: Sequence[Condition],
    order_fields: Sequence[str] = (),
    cache_seconds: float,
) -> Plan:
    """Check a call against the grant (cached for `cache_seconds`) and return what it may read."""
    grant = grant_view(session, principal=principal, resource_id=resource_id, ttl=cache_seconds)
    columns = list(dict.fromkeys(fields)) if fields else list(grant.fields)
    outside = [c for c in columns if c not in grant.fields]
    if outside:
        raise PermissionDenied(f"fields outside your grant: {', '.join(outside)}")
    used = [c.field for c in where] + list(order_fields)
    hidden = sorted({f for f in used if f not in grant.fields or f in grant.protected})
    if hidden:
        raise PermissionDenied(
            f"only granted fields in clear text can filter or sort: {', '.join(hidden)}"
        )
    dataset = grant.dataset
    if dataset is None:
        raise NotFound("the resource has no published data yet")
    present = list(dataset.present)
    missing = sorted({c.field for c in grant.conditions} - set(present))
    if missing:  # fail closed: never widen a grant because the data changed shape
        raise Conflict("the data no longer has a field the grant filters on; ask the owner")
    policies = {
        name: policy
        for name, policy in grant.policies.items()
        if name in columns and name in present and policy.treatment is not privacy.Treatment.CLEAR
    }
    expressions = {n: sql for n in policies if (sql := grant.compiled[n]) is not None}
    # A column the data lacks is read as NULL.
    kinds = [dataset.kinds.get(c) if c in present else "null" for c in columns]
    return Plan(
        grant_id=grant.grant_id,
        resource_id=grant.resource_id,
        owner_id=grant.owner_id,
        purpose=grant.purpose,
        storage_key=dataset.storage_key,
        version=dataset.version,
        columns=columns,
        present=present,
        conditions=[*grant.conditions, *where],
        policies=policies,
        expressions=expressions,
        pseudonym_key=grant.pseudonym_key,
        kinds=None if None in kinds else tuple(k for k in kinds if k is not None),
    )


class _Engine(threading.local):
    """One in-memory DuckDB database per process; each thread reads through its own cursor.

    Opening a DuckDB database costs tens of milliseconds, more than a filtered page itself,
    so it is opened once; cursors are cheap and keep threads from sharing a connection.
    Parquet footers are kept in memory once read (about 1 ms of every page's 3 ms of fixed
    cost): versions are immutable, decrypted ones are read at paths never reused, and DuckDB
    checks a file's modification time before reusing what it kept.
    """

    root: duckdb.DuckDBPyConnection | None = None
    root_lock = threading.Lock()
    registered: ClassVar[set[int]] = set()

    def __init__(self) -> None:
        self.cursor: duckdb.DuckDBPyConnection | None = None

    def get(self) -> duckdb.DuckDBPyConnection:
        with _Engine.root_lock:
            if _Engine.root is None:
                _Engine.root = duckdb.connect()
                _Engine.root.execute("SET GLOBAL parquet_metadata_cache = true")
            if self.cursor is None:
                self.cursor = _Engine.root.cursor()
        return self.cursor


_engine = _Engine()


class _PageSlots:
    """How many page queries run at once; the others wait their turn.

    DuckDB already spreads one query over every core, so forty threads each running a scan
    only make them contend for the cores and the memory bus: throughput falls and every call
    slows. A few at a time (one per CPU by default) keeps the cores busy and the queue fair.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.size = -1
        self.semaphore = threading.BoundedSemaphore(1)

    def get(self) -> threading.BoundedSemaphore:
        """Return the semaphore sized by `GOVHUB_EXCHANGE_PAGE_QUERIES` (0: one per CPU)."""
        size = get_exchange_settings().page_queries or os.cpu_count() or 1
        if size != self.size:
            with self.lock:
                if size != self.size:
                    self.semaphore, self.size = threading.BoundedSemaphore(size), size
        return self.semaphore


_page_slots = _PageSlots()


def _source(con: duckdb.DuckDBPyConnection, storage: Storage, key: str) -> vault.Source:
    """Return what DuckDB reads the version at `key` from (decrypted in memory if sealed);
    the caller holds it while reading its path."""
    source = vault.open_dataset(key, storage)
    if source.filesystem is not None:
        with _Engine.root_lock:
            if id(source.filesystem) not in _Engine.registered:
                con.register_filesystem(source.filesystem)
                _Engine.registered.add(id(source.filesystem))
    return source


def _transform(
    table: pa.Table, policies: dict[str, privacy.FieldPolicy], key: bytes | None
) -> pa.Table:
    return privacy.apply(table, policies, pseudonym_key=key) if policies else table


def _run(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> duckdb.DuckDBPyRelation:
    try:
        return con.sql(sql, params=params)
    except (duckdb.ConversionException, duckdb.BinderException) as exc:
        raise InvalidInput(TYPE_MISMATCH) from exc


# A page is read through a DB-API result on purpose, see `_fetch`.
warnings.filterwarnings(
    "ignore", message="Arrow output on a DB-API result", category=UserWarning, module=__name__
)


_TYPE_ERRORS = (duckdb.ConversionException, duckdb.BinderException, duckdb.InvalidInputException)


def _fetch(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: dict[str, Any],
    fetch: Callable[[duckdb.DuckDBPyConnection], T],
) -> T:
    """Execute a page's SELECT once and `fetch` its result; a value that does not fit its
    field's type is a 422.

    A relation (`con.sql`) binds the statement to describe it and binds it again to run it,
    reading the file's footer twice; executing it parses and binds once. To Arrow, the
    DB-API result copies the rows once more, which for one page costs less.
    """
    try:
        return fetch(con.execute(sql, params))
    except _TYPE_ERRORS as exc:
        raise InvalidInput(TYPE_MISMATCH) from exc


def _read_page(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> pa.Table:
    """Run a page's SELECT once and return its rows as Arrow."""
    return _fetch(con, sql, params, lambda result: result.to_arrow_table())


def _read_json_rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any], columns: Sequence[str]
) -> list[str] | None:
    """Run a page's SELECT once with each row written as canonical JSON by DuckDB.

    None when a value holds a control character that DuckDB escapes with upper-case hex
    digits where `json.dumps` writes lower case (rare in practice): that page is read as
    Arrow and encoded in Python instead. A backslash followed by `u00` in the text itself
    sends a page that way too, which is merely slower.
    """
    result = _fetch(con, json_rows_sql(sql, columns), params, lambda r: r.fetchall())
    rows = [row for (row,) in result]
    return None if any("\\u00" in row for row in rows) else rows


def page_mode(p: Plan) -> str:
    """Tell how a page is read and encoded (see `fetch_page`): json, values or arrow."""
    if p.kinds is None:
        return "arrow"
    if not p.policies:
        return "json"
    kinds = dict(zip(p.columns, p.kinds, strict=True))
    masks_text = all(
        policy.treatment is privacy.Treatment.MASK and kinds[name] == "text"
        for name, policy in p.policies.items()
    )
    return "values" if masks_text else "arrow"


def _masked_columns(rows: list[tuple[Any, ...]], p: Plan) -> list[Sequence[Any]]:
    """Return a page's columns of values, the masked ones masked as `masking.mask` does."""
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) or [() for _ in p.columns]
    for index, name in enumerate(p.columns):
        policy = p.policies.get(name)
        if policy is not None:
            style = policy.mask_style
            columns[index] = [None if v is None else mask(v, style) for v in columns[index]]
    return columns


def plan_query(
    session: Session, *, principal: Principal, resource_id: uuid.UUID, request: QueryRequest
) -> Plan:
    """Check a page request against the consumer's rate, the page limit and the grant."""
    settings = get_exchange_settings()
    if request.limit > settings.max_page_rows:
        raise InvalidInput(f"a page holds at most {settings.max_page_rows} rows", field="limit")
    request_limiter.hit(_consumer(principal), limit=settings.requests_per_minute)
    return plan(
        session,
        principal=principal,
        resource_id=resource_id,
        fields=request.fields,
        where=request.where,
        order_fields=[o.field for o in request.order_by],
        cache_seconds=settings.cache_seconds,
    )


def plan_export(
    session: Session, *, principal: Principal, resource_id: uuid.UUID, request: ExportRequest
) -> Plan:
    """Check an export against the consumer's hourly quota and the grant."""
    settings = get_exchange_settings()
    export_limiter.hit(_consumer(principal), limit=settings.exports_per_hour, window=3600)
    return plan(
        session,
        principal=principal,
        resource_id=resource_id,
        fields=request.fields,
        where=request.where,
        cache_seconds=settings.cache_seconds,
    )


@dataclass(frozen=True, slots=True)
class Page:
    """One page as it leaves: the rows' canonical JSON is both what is ledgered and what is sent."""

    rows: int
    rows_json: bytes  # canonical JSON of the rows: sorted keys, no spaces, UTF-8
    digest: str  # SHA-256 of `rows_json`
    next_offset: int | None
    engine_seconds: float  # DuckDB's read, not counting the wait for a slot

    def body(self, p: Plan, request: QueryRequest) -> bytes:
        """Return the `QueryResult` document, with the rows' bytes inserted as they are."""
        head = {"resource_id": str(p.resource_id), "version": p.version, "fields": p.columns}
        tail = {
            "offset": request.offset,
            "limit": request.limit,
            "next_offset": self.next_offset,
            "digest": self.digest,
        }
        return b"".join(
            (
                _compact_json(head)[:-1],
                b',"rows":',
                self.rows_json,
                b",",
                _compact_json(tail)[1:],
            )
        )


def _compact_json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def fetch_page(p: Plan, request: QueryRequest) -> Page:
    """Read one page of a planned query from the dataset file, transformed by the grant.

    A page reads the plain query; every column of a plain kind (`Plan.kinds`), it is encoded
    the fastest way that gives `canonical_rows`' bytes:

    - nothing to transform: DuckDB writes each row's JSON, and Python joins the rows;
    - only masks on text: the rows come back as Python values, masked and encoded in Python;
    - otherwise (or when DuckDB's JSON holds a rare control character): the rows come back
      as Arrow, are transformed, and are encoded by `canonical_rows`.

    Transforms are not compiled into a page's SQL: DuckDB spends longer planning a masking
    expression (about 1 ms each here) than Python spends masking a page's values.
    """
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
    con = _engine.get()
    source = _source(con, get_storage(), p.storage_key)
    params = {"path": source.path, **statement.params}
    mode = page_mode(p)
    with _page_slots.get():
        began = time.perf_counter()
        texts = _read_json_rows(con, sql, params, p.columns) if mode == "json" else None
        if mode == "json" and texts is None:
            mode = "arrow"  # a rare control character: encoded in Python
        values = _fetch(con, sql, params, lambda r: r.fetchall()) if mode == "values" else []
        table = _read_page(con, sql, params) if mode == "arrow" else pa.table({})
        read_seconds = time.perf_counter() - began
    if texts is not None:
        more, rows = len(texts) > request.limit, texts[: request.limit]
        count, rows_json = len(rows), ("[" + ",".join(rows) + "]").encode()
    elif mode == "values":
        more, count = len(values) > request.limit, min(len(values), request.limit)
        columns = _masked_columns(values[: request.limit], p)
        rows_json = value_rows(p.columns, p.kinds or (), columns)
    else:
        more = table.num_rows > request.limit
        page = _transform(table.slice(0, request.limit), p.policies, p.pseudonym_key)
        count, rows_json = page.num_rows, canonical_rows(page)
    return Page(
        rows=count,
        rows_json=rows_json,
        digest=hashlib.sha256(rows_json).hexdigest(),
        next_offset=request.offset + request.limit if more else None,
        engine_seconds=read_seconds,
    )


@dataclass(frozen=True, slots=True)
class Export:
    """A finished export file, to be ledgered before any byte of it is sent."""

    path: Path
    rows: int
    digest: str
    version: int


def write_export(p: Plan, request: ExportRequest, spool: Path) -> Export:
    """Write every planned row, transformed, to a new file under `spool`."""
    settings = get_exchange_settings()
    statement = Statement()
    sql = select_sql(
        statement,
        columns=p.columns,
        present=p.present,
        conditions=p.conditions,
        expressions=p.expressions,
    )
    spool.mkdir(parents=True, exist_ok=True)
    target = spool / f"{uuid.uuid4().hex}.{request.format.value}"
    con = _engine.get()
    source = _source(con, get_storage(), p.storage_key)
    params = {"path": source.path, **statement.params}
    policies = p.python_policies()
    if not policies:  # everything in the engine: DuckDB writes the file, on all cores
        try:
            rows = int(_run(con, copy_sql(sql, target, request.format), params).fetchall()[0][0])
        except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
            target.unlink(missing_ok=True)
            raise InvalidInput(TYPE_MISMATCH) from exc
        return Export(target, rows, file_digest(target), p.version)
    try:
        reader = _run(con, sql, params).to_arrow_reader(settings.export_batch_rows)
        schema = _transform(reader.schema.empty_table(), policies, p.pseudonym_key).schema
        batches = (
            _transform(pa.Table.from_batches([b]), policies, p.pseudonym_key) for b in reader
        )
        rows, digest = write_batches(batches, target, request.format, schema)
    except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
        target.unlink(missing_ok=True)
        raise InvalidInput(TYPE_MISMATCH) from exc
    return Export(target, rows, digest, p.version)


def record_access(
    session: Session,
    *,
    principal: Principal,
    plan: Plan,
    kind: AccessKind,
    rows: int,
    digest: str,
    call: Any,
) -> None:
    """Ledger what left (consumer, resource, version, fields, rows, purpose, digest) and count
    it for the owner's usage view."""
    access = {"grant_id": plan.grant_id, "kind": kind, "rows": rows, "fields": plan.columns}
    session.connection().execute(_INSERT_ACCESS, {**access, "digest": digest})
    ledger.record(
        session,
        kind=EntryKind.DATA_ACCESS,
        actor=ledger.actor_of(principal),
        subject=f"grant:{plan.grant_id}",
        department_id=plan.owner_id,
        payload={
            "consumer": principal.client_id,
            "resource": str(plan.resource_id),
            "version": plan.version,
            "fields": plan.columns,
            "rows": rows,
            "purpose": plan.purpose,
            "call": call,
            "response_sha256": digest,
        },
    )


def _consumer(principal: Principal) -> str:
    return principal.client_id or principal.username
