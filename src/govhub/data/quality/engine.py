"""Run compiled checks over the Parquet files of one dataset version.

The columnar path (the default, `columnar`): every check whose condition it can evaluate exactly
as DuckDB would, and key uniqueness, read the columns they need once (Arrow's Parquet reader
into its jemalloc pool, each column on its own and the largest first, or DuckDB when a file's
types differ from DuckDB's) and run as whole-column passes on two threads, each as soon as its
columns are read: Arrow kernels, RE2 patterns, the check-character validators of `vectorized`
(compiled kernels, `kernels`), fingerprinted keys. Sample rows of failing checks are then taken
by position: from the columns in memory, batch by batch, and for the other columns in one
filtered read per file, the columns split between two cursors. DuckDB connects on a thread of
its own meanwhile: the column types come from the Parquet footers where they tell DuckDB's types
exactly, and a reference's keys are looked up when its check first runs.

The SQL path takes the rest (and everything with `native=False`, the portable form a
distributed engine runs): one aggregate scan computes every row check at once (`count_if` of
each failure condition, reference look-ups included as semi-joins); key uniqueness adds one
grouping query (its duplicated keys, few, kept in a temporary table) and each agreement with an
authoritative dataset a join; then, only for checks that failed, a sample query fetches a few
failing rows, stopping as soon as it has them. The queries are sqlglot trees rendered for
DuckDB; the same trees transpile to Spark or Trino (`tree.sql("trino")`), which is how the
checks move to a distributed engine (an Ibis backend over the same SQL) when data outgrows one
machine. Both paths give the same counts and samples (tests compare them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from threading import Lock
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from sqlglot import exp

from govhub.core.errors import InvalidInput
from govhub.data.quality import columnar, scoring, vectorized
from govhub.data.quality.checks import DATASET, Check, col, compile_checks, not_null, ref_table
from govhub.data.quality.elements import BUILTIN_SPECS, ElementSpec
from govhub.data.quality.rules import RuleSet

DIALECT = "duckdb"


@dataclass
class CheckResult:
    """The outcome of one check: how many rows it evaluated and how many failed."""

    name: str
    dimension: str
    failed: int
    evaluated: int
    samples: list[dict[str, object]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {
            "name": self.name,
            "dimension": self.dimension,
            "failed": self.failed,
            "evaluated": self.evaluated,
            "columns": self.columns,
            "error": self.error,
            "samples": self.samples,
        }


@dataclass
class Assessment:
    """The outcome of assessing one dataset version against a rule set."""

    row_count: int
    checks: list[CheckResult]
    scores: dict[str, float]
    grade: str
    total: float
    seconds: float = 0.0

    def failures(self) -> dict[str, int]:
        """Return the failing row count of every check by name."""
        return {check.name: check.failed for check in self.checks}

    def rescore(self, extra: Mapping[str, float]) -> None:
        """Add platform-measured dimension scores (timeliness, accessibility) and regrade."""
        self.scores = {**scoring.dimension_scores(self.checks), **extra}
        self.total = scoring.total_score(self.scores)
        self.grade = scoring.grade_of(self.total)


def _json_value(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _one_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    rows = con.execute(sql).fetchall()
    return tuple(rows[0]) if rows else (0, 0)


def _rows(con: duckdb.DuckDBPyConnection, query: exp.Expr) -> list[dict[str, object]]:
    table = con.sql(query.sql(DIALECT)).to_arrow_table()
    return [{k: _json_value(v) for k, v in row.items()} for row in table.to_pylist()]


def _row_sample_query(check: Check, size: int) -> exp.Select:
    assert check.fail is not None  # noqa: S101 - row checks carry a condition
    return exp.select("*").from_(DATASET).where(check.fail.copy()).limit(size)


def _aggregate(con: duckdb.DuckDBPyConnection, checks: Sequence[Check]) -> list[int]:
    """Count failing and evaluated rows of row checks in one scan: [rows, f1, e1, f2, e2...]."""
    columns: list[exp.Expr] = [exp.Count(this=exp.Star())]
    for check in checks:
        assert check.fail is not None  # noqa: S101
        columns.append(exp.CountIf(this=check.fail.copy()))
        columns.append(
            exp.CountIf(this=check.scope.copy()) if check.scope is not None
            else exp.Count(this=exp.Star())
        )  # fmt: skip
    query = exp.select(*columns).from_(DATASET)
    row = _one_row(con, query.sql(DIALECT))
    return [int(v or 0) for v in row]


def _run_row_checks(
    con: duckdb.DuckDBPyConnection, checks: Sequence[Check]
) -> tuple[int | None, dict[str, tuple[int, int, str | None]]]:
    """Run row checks in one pass; if that fails, isolate the checks that cannot run."""
    try:
        counts = _aggregate(con, checks)
    except duckdb.Error:
        if len(checks) <= 1:
            return None, {c.name: (0, 0, "the check cannot run on this data") for c in checks}
        out: dict[str, tuple[int, int, str | None]] = {}
        rows: int | None = None
        for check in checks:
            n, part = _run_row_checks(con, [check])
            rows = rows if n is None else n
            out.update(part)
        return rows, out
    results: dict[str, tuple[int, int, str | None]] = {
        check.name: (counts[1 + 2 * i], counts[2 + 2 * i], None) for i, check in enumerate(checks)
    }
    return counts[0], results


_DUPLICATES = "duplicate_keys"
_CHOSEN = "duplicate_keys_shown"
_ROWS = "govhub_rows"


def _unique(
    con: duckdb.DuckDBPyConnection, check: Check, size: int
) -> tuple[int, int, list[dict[str, object]]]:
    """Count rows whose complete key occurs more than once, in one grouping pass.

    The groups of duplicated keys (few) are kept in a temporary table: their sizes give the
    failing rows, and the first `size` of them, joined back, the samples."""
    keys = [col(k) for k in check.columns]
    complete = exp.and_(*[not_null(k) for k in keys])
    dup = (
        exp.select(*[k.copy() for k in keys], exp.alias_(exp.Count(this=exp.Star()), _ROWS))
        .from_(DATASET).where(complete).group_by(*[k.copy() for k in keys])
        .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
    )  # fmt: skip
    create = exp.Create(
        this=exp.to_table(_DUPLICATES),
        kind="TABLE",
        expression=dup,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        exists=False,
    )
    con.execute(f"DROP TABLE IF EXISTS {_DUPLICATES}")
    con.execute(create.sql(DIALECT))
    failed_rows = exp.select(exp.Sum(this=col(_ROWS))).from_(_DUPLICATES)
    failed = int(_one_row(con, failed_rows.sql(DIALECT))[0] or 0)
    evaluated = int(
        _one_row(
            con, exp.select(exp.Count(this=exp.Star())).from_(DATASET).where(complete).sql(DIALECT)
        )[0]
        or 0
    )
    samples: list[dict[str, object]] = []
    if failed and size:
        samples = _duplicate_samples(con, check.columns, size)
    return failed, evaluated, samples


def _semi(table: str, alias: str, other: exp.Expr, columns: Sequence[str]) -> exp.Select:
    """Return `SELECT alias.* FROM table alias SEMI JOIN other d ON the key columns`."""
    on = exp.and_(*[exp.EQ(this=col(k, alias), expression=col(k, "d")) for k in columns])
    return (
        exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(alias)))
        .from_(exp.alias_(exp.to_table(table), alias))
        .join(other, on=on, join_type="semi")
    )


@contextmanager
def _one_thread(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the statements inside on one DuckDB thread, so rows come in file order.

    Sample queries stop early (LIMIT, no ORDER BY); in parallel, a join or a subquery in them
    may meet the rows out of file order, and the samples would change from run to run."""
    threads = int(_one_row(con, "SELECT current_setting('threads')")[0])
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        con.execute(f"SET threads = {threads}")


def _duplicate_samples(
    con: duckdb.DuckDBPyConnection, columns: Sequence[str], size: int
) -> list[dict[str, object]]:
    """Return up to `size` rows of the first duplicated keys met in the file, key by key.

    Both passes stop early: the first finds keys reading the key columns only, the second
    stops once it has read every row of the chosen keys."""
    with _one_thread(con):
        return _first_duplicates(con, columns, size)


def _first_duplicates(
    con: duckdb.DuckDBPyConnection, columns: Sequence[str], size: int
) -> list[dict[str, object]]:
    keys = [col(k) for k in columns]
    met = _semi(DATASET, "t", exp.alias_(exp.to_table(_DUPLICATES), "d"), columns).limit(size)
    chosen = exp.select(*[col(k) for k in columns]).distinct().from_(met.subquery("m"))
    con.execute(f"DROP TABLE IF EXISTS {_CHOSEN}")
    con.execute(
        exp.Create(
            this=exp.to_table(_CHOSEN),
            kind="TABLE",
            expression=chosen,
            properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        ).sql(DIALECT)
    )
    total = exp.select(exp.Sum(this=col(_ROWS, "g"))).from_(
        _semi(_DUPLICATES, "g", exp.alias_(exp.to_table(_CHOSEN), "d"), columns).subquery("g")
    )
    wanted = int(_one_row(con, total.sql(DIALECT))[0] or 0)
    rows = _rows(con, _semi(DATASET, "t", exp.alias_(exp.to_table(_CHOSEN), "d"), columns)
                 .limit(wanted))  # fmt: skip
    rows.sort(key=_key_order([k.name for k in keys]))
    return rows[:size]


def _agreement(
    con: duckdb.DuckDBPyConnection, check: Check, size: int
) -> tuple[int, int, list[dict[str, object]]]:
    spec = check.agreement
    assert spec is not None  # noqa: S101
    ref = ref_table(spec.dataset)
    on = exp.EQ(
        this=exp.cast(col(spec.key, "d"), "VARCHAR"),
        expression=exp.cast(col(spec.ref_key or spec.key, "r"), "VARCHAR"),
    )
    same = exp.NullSafeEQ(
        this=exp.cast(col(spec.field, "d"), "VARCHAR"),
        expression=exp.cast(col(spec.ref_field or spec.field, "r"), "VARCHAR"),
    )
    joined = exp.alias_(exp.to_table(DATASET), "d")
    counts = (
        exp.select(exp.Count(this=exp.Star()), exp.CountIf(this=exp.Not(this=same.copy())))
        .from_(joined).join(exp.alias_(exp.to_table(ref), "r"), on=on)
    )  # fmt: skip
    row = _one_row(con, counts.sql(DIALECT))
    evaluated, failed = int(row[0] or 0), int(row[1] or 0)
    samples: list[dict[str, object]] = []
    if failed and size:
        query = (
            exp.select(
                exp.Column(this=exp.Star(), table=exp.to_identifier("d")),
                exp.alias_(col(spec.ref_field or spec.field, "r"), "reference_value"),
            )
            .from_(joined.copy()).join(exp.alias_(exp.to_table(ref), "r"), on=on)
            .where(exp.Not(this=same)).limit(size)
        )  # fmt: skip
        samples = _rows(con, query)
    return failed, evaluated, samples


def _open(
    paths: Sequence[Path], references: Mapping[str, Sequence[Path]]
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    try:
        con.read_parquet([str(p) for p in paths]).create_view(DATASET)
        for name, files in references.items():
            if files:
                con.read_parquet([str(p) for p in files]).create_view(ref_table(name))
    except duckdb.Error:
        con.close()
        raise InvalidInput("a Parquet file of the dataset cannot be read", field="paths") from None
    return con


class _Opening:
    """The DuckDB connection of one assessment, opened on a thread of its own: connecting takes
    about 25 ms, which the columnar path meanwhile spends planning from the files' footers and
    reading columns. `get` waits for it (and raises what opening raised)."""

    def __init__(self, paths: Sequence[Path], references: Mapping[str, Sequence[Path]]) -> None:
        self._pool = ThreadPoolExecutor(1)
        self._future = self._pool.submit(_open, paths, references)

    def get(self) -> duckdb.DuckDBPyConnection:
        """Return the open connection."""
        return self._future.result()

    def close(self) -> None:
        """Close the connection (once it is open) and the thread that opened it."""
        self._pool.shutdown()
        if self._future.exception() is None:
            self._future.result().close()


# The Parquet column types whose DuckDB type, and Arrow type in DuckDB's answers, follow from
# the Arrow type alone (a test compares each with DuckDB's own reading of a file).
_DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    pa.bool_(): "BOOLEAN",
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.uint8(): "UTINYINT",
    pa.uint16(): "USMALLINT",
    pa.uint32(): "UINTEGER",
    pa.uint64(): "UBIGINT",
    pa.float32(): "FLOAT",
    pa.float64(): "DOUBLE",
    pa.date32(): "DATE",
}


def _footer_schema(paths: Sequence[Path]) -> tuple[dict[str, str], pa.Schema] | None:
    """Return the columns' DuckDB types and the Arrow schema of DuckDB's answers, read from the
    files' footers alone, or None where only DuckDB can tell: files of different schemas,
    names equal but for case, another type, or a footer that does not read."""
    try:
        found = [pq.read_schema(p) for p in paths]
    except (pa.ArrowException, OSError):
        return None
    first = found[0]
    if any(not other.equals(first) for other in found[1:]):
        return None
    if len({name.casefold() for name in first.names}) != len(first.names):
        return None
    types: dict[str, str] = {}
    fields: list[pa.Field] = []
    for field_ in first:
        kind = field_.type.value_type if pa.types.is_dictionary(field_.type) else field_.type
        kind = pa.string() if kind == pa.large_string() else kind
        if kind not in _DUCKDB_TYPES:
            return None
        types[field_.name] = _DUCKDB_TYPES[kind]
        fields.append(pa.field(field_.name, kind))
    return types, pa.schema(fields)


def _duckdb_schema(con: duckdb.DuckDBPyConnection, table: str) -> tuple[dict[str, str], pa.Schema]:
    """Return a table's DuckDB types and the Arrow schema of DuckDB's answers, from DuckDB."""
    rel = con.table(table)
    types = {name: str(kind) for name, kind in zip(rel.columns, rel.types, strict=True)}
    empty = con.sql(exp.select("*").from_(table).limit(0).sql(DIALECT)).to_arrow_table()
    return types, empty.schema


_BATCH_ROWS = 1 << 20
_WORKERS = 2


@dataclass
class _Columnar:
    """What the columnar pass found: the row count (None: no pass) and, per check it ran,
    (failed, evaluated, the positions of its sample rows)."""

    rows: int | None
    found: dict[str, tuple[int, int, list[int]]] = field(default_factory=dict)
    table: pa.Table | None = None  # the columns it read, every row


def _subquery(opening: _Opening) -> columnar.Subquery:
    """Return a function answering a one-column subquery (a reference's keys) with DuckDB, when
    a check first runs: on a cursor of its own, as checks run on several threads."""

    def run(query: exp.Expr) -> pa.Array:
        cursor = opening.get().cursor()
        try:
            table = cursor.sql(query.sql(DIALECT)).to_arrow_table()
        except duckdb.Error:
            raise columnar.NotExact("the subquery does not run") from None
        finally:
            cursor.close()
        if table.num_columns != 1:
            raise columnar.NotExact("a subquery of several columns")
        return table.column(0).combine_chunks()

    return run


@dataclass
class _Plans:
    """The checks the columnar path runs: planned row checks (with the columns each reads), key
    checks, the columns they read and the dataset's Arrow schema as DuckDB reads it."""

    rows: dict[str, tuple[columnar.Node, columnar.Node | None]]
    uses: dict[str, set[str]]
    keyed: list[Check]
    needed: set[str]
    schema: pa.Schema

    def encodable(self) -> set[str]:
        """Return the text columns that only checks of that column alone read (no key): those
        can be read dictionary-encoded and checked once per distinct value."""
        keys = {k for check in self.keyed for k in check.columns}
        alone = {next(iter(u)) for u in self.uses.values() if len(u) == 1}
        shared = {c for u in self.uses.values() if len(u) > 1 for c in u}
        return {
            c
            for c in alone - shared - keys
            if pa.types.is_string(self.schema.field(c).type)
            or pa.types.is_large_string(self.schema.field(c).type)
        }


def _plans(schema: pa.Schema, subquery: columnar.Subquery, checks: Sequence[Check]) -> _Plans:
    """Plan the checks the columnar path runs over a dataset of `schema` (as DuckDB reads it)."""
    planner = columnar.Planner(schema, subquery)
    plans: dict[str, tuple[columnar.Node, columnar.Node | None]] = {}
    uses: dict[str, set[str]] = {}
    keyed: list[Check] = []
    needed: set[str] = set()
    for check in checks:
        if check.error is not None:
            continue
        if check.kind == "unique" and all(k in schema.names for k in check.columns):
            keyed.append(check)
            needed.update(check.columns)
        if check.kind != "row" or check.fail is None:
            continue
        try:
            fail = planner.plan(check.fail)
            scope = None if check.scope is None else planner.plan(check.scope)
            used = planner.columns(check.fail) | (
                planner.columns(check.scope) if check.scope is not None else set()
            )
        except columnar.Unsupported:
            continue
        plans[check.name] = (fail, scope)
        uses[check.name] = used
        needed.update(used)
    return _Plans(plans, uses, keyed, needed, schema)


def _read_duckdb(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> pa.Table:
    """Read the named columns of the dataset as Arrow with DuckDB, the columns split among
    _WORKERS cursors of the connection reading at once (DuckDB reads a Parquet row group with
    one thread)."""
    groups = [list(names[i::_WORKERS]) for i in range(min(_WORKERS, len(names)))]

    def read(group: list[str]) -> pa.Table:
        cursor = con.cursor()
        try:
            query = exp.select(*[col(n) for n in group]).from_(DATASET)
            return cursor.sql(query.sql(DIALECT)).to_arrow_table(_BATCH_ROWS)
        finally:
            cursor.close()

    with ThreadPoolExecutor(len(groups)) as pool:
        parts = list(pool.map(read, groups))
    table = parts[0]
    for part in parts[1:]:
        for name, column in zip(part.column_names, part.columns, strict=True):
            table = table.append_column(name, column)
    return table


_STREAM_BYTES = 1 << 20  # the buffer a file is read through, page by page
_DICTIONARY_BYTES = 4  # at most this many bytes a value, uncompressed: dictionary indices


def _column_chunks(files: Sequence[pq.ParquetFile]) -> dict[str, list[Any]]:
    """Return each column's chunks (Parquet metadata) in every row group of `files`."""
    chunks: dict[str, list[Any]] = {}
    for file in files:
        for g in range(file.metadata.num_row_groups):
            group = file.metadata.row_group(g)
            for i in range(group.num_columns):
                chunk = group.column(i)
                chunks.setdefault(chunk.path_in_schema, []).append(chunk)
    return chunks


def _stored_sizes(chunks: Mapping[str, list[Any]]) -> dict[str, int]:
    """Return each column's uncompressed size, summed over its chunks."""
    return {name: sum(c.total_uncompressed_size for c in found) for name, found in chunks.items()}


def _dictionary_encoded(chunks: Mapping[str, list[Any]], names: Iterable[str]) -> list[str]:
    """Return the named columns whose every chunk is dictionary-encoded throughout: a
    dictionary page, and data pages too small for anything but indices (a writer that gives up
    on a dictionary writes the rest of the values plain, several bytes each)."""
    return [
        name
        for name in names
        if all(
            c.has_dictionary_page and c.total_uncompressed_size <= _DICTIONARY_BYTES * c.num_values
            for c in chunks.get(name, [])
        )
    ]


class _Reads:
    """The columns of one assessment being read, each on its own and the largest first, so
    that a check starts as soon as the columns it reads are in memory while the others are
    still being read. `column` waits for one."""

    def __init__(self, futures: Mapping[str, Future[pa.Table]], opening: _Opening) -> None:
        self._futures = futures  # in the order the reads start
        self._order = {name: at for at, name in enumerate(futures)}
        self._opening = opening
        self._lock = Lock()
        self._again: dict[str, pa.ChunkedArray] = {}

    def column(self, name: str) -> pa.ChunkedArray:
        """Return every value of a column (read again with DuckDB if Arrow's read failed)."""
        try:
            return self._futures[name].result().column(name)
        except (pa.ArrowException, OSError):
            with self._lock:
                if name not in self._again:
                    self._again[name] = _read_duckdb(self._opening.get(), [name]).column(0)
                return self._again[name]

    def ready(self, names: Iterable[str]) -> int:
        """Return how many columns start reading before the last of `names` does."""
        return max((self._order[name] for name in names), default=0)

    def first(self) -> list[str]:
        """Return the name of the column read first, in a list."""
        return [next(iter(self._futures))]

    def table(self, names: Iterable[str]) -> pa.Table:
        """Return the named columns as one table."""
        return pa.table({name: self.column(name) for name in names})

    def close(self) -> None:
        """Wait for every read (a failed one is left to the garbage collector)."""
        wait(list(self._futures.values()))


def _read(
    opening: _Opening, paths: Sequence[Path], names: Sequence[str], planned: _Plans
) -> _Reads:
    """Start reading the named columns of the dataset (its files end to end) as Arrow.

    Arrow's Parquet reader (its dataset scanner: batch by batch, fewer and smaller allocations
    than one read of each whole row group) decodes straight into Arrow buffers, with none of the
    conversion of DuckDB's vectors to Arrow, each column by a read of its own, _WORKERS at a
    time and the largest first. It is used when every file gives each column exactly the Arrow
    type DuckDB gives it, so the planned checks see the values DuckDB would. A column that only
    checks of its own read, stored dictionary-encoded, stays so (`columnar.tally` checks each
    distinct value once). Each file is read through a buffered stream: pre-buffering (made for
    remote stores) loads each column chunk whole into fresh memory first, which at 10^7 rows
    cost about 9% more CPU. Otherwise DuckDB reads them all at once."""
    wanted = pa.schema([planned.schema.field(n) for n in names])
    pool = ThreadPoolExecutor(_WORKERS)
    try:
        files = [pq.ParquetFile(p) for p in paths]
        if all(_types_match(file.schema_arrow, wanted) for file in files):
            chunks = _column_chunks(files)
            encoded = _dictionary_encoded(chunks, sorted(planned.encodable() & set(names)))
            options = ds.ParquetReadOptions(dictionary_columns=encoded)
            stream = ds.ParquetFragmentScanOptions(
                pre_buffer=False, use_buffered_stream=True, buffer_size=_STREAM_BYTES
            )
            fileformat = ds.ParquetFileFormat(
                read_options=options, default_fragment_scan_options=stream
            )
            dataset = ds.dataset([str(p) for p in paths], format=fileformat)
            size = _stored_sizes(chunks)
            futures = {
                name: pool.submit(dataset.to_table, columns=[name], memory_pool=_read_pool())
                for name in sorted(names, key=lambda n: (-size.get(n, 0), n))
            }
            return _Reads(futures, opening)
    except (pa.ArrowException, OSError):
        pass
    finally:
        pool.shutdown(wait=False)
    every = Future[pa.Table]()
    every.set_result(_read_duckdb(opening.get(), names))
    return _Reads(dict.fromkeys(names, every), opening)


def _read_pool() -> pa.MemoryPool:
    """Return the memory pool the columns are read into: jemalloc where Arrow has it, else the
    C library's allocator.

    Arrow's default pool, mimalloc, asks the kernel for transparent huge pages; where the
    kernel compacts memory to find them on a fault (THP defrag "madvise", the usual default),
    the fresh memory of the read cost 0.2-0.5 s of system time in a new process, more than
    the read itself. jemalloc takes ordinary pages."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc
        return pa.system_memory_pool()


def _types_match(found: pa.Schema, wanted: pa.Schema) -> bool:
    """Tell whether a file's Arrow schema has every wanted column, of the wanted type, once."""
    for field_ in wanted:
        index = found.get_field_index(field_.name)  # -1: absent or more than once
        if index < 0 or found.field(index).type != field_.type:
            return False
    return True


def _evaluate(
    fail: columnar.Node,
    scope: columnar.Node | None,
    columns: pa.Table,
    used: Iterable[str],
    size: int,
) -> tuple[int, int, list[int]] | None:
    """Run one planned row check over every batch of `columns` (the columns it reads, `used`,
    or another for the row count alone): (failed, evaluated, sample positions), or None when
    Arrow cannot run it exactly (an RE2 pattern it refuses, NaN in a comparison)."""
    failed = evaluated = start = 0
    positions: list[int] = []
    try:
        for batch in columns.to_batches():
            values = {name: batch[name] for name in used}
            more = columnar.tally(fail, scope, values, batch.num_rows, size - len(positions))
            failed += more[0]
            evaluated += more[1]
            positions += [start + int(p) for p in more[2]]
            start += batch.num_rows
    except (pa.ArrowException, columnar.NotExact):
        return None
    return failed, evaluated, positions


def _duplicates(table: pa.Table, check: Check, size: int) -> tuple[int, int, list[int]] | None:
    try:
        repeated = columnar.duplicates(table, check.columns)
    except (columnar.Unsupported, pa.ArrowException):
        return None
    sample = repeated.sample(size).tolist() if size else []
    return len(repeated.positions), repeated.evaluated, sample


def _run_columnar(
    opening: _Opening,
    paths: Sequence[Path],
    schema: pa.Schema,
    checks: Sequence[Check],
    size: int,
) -> _Columnar:
    """Read the columns of every check the columnar path supports once and run those checks,
    _WORKERS at a time, each as soon as its columns are read. A check whose evaluation fails
    is left to the SQL path."""
    planned = _plans(schema, _subquery(opening), checks)
    plans, keyed, needed = planned.rows, planned.keyed, planned.needed
    if not plans and not keyed:
        return _Columnar(None)
    if not needed:  # conditions on constants alone: only the row count is needed
        count = exp.select(exp.Count(this=exp.Star())).from_(DATASET)
        rows = int(_one_row(opening.get(), count.sql(DIALECT))[0] or 0)
        constant = pa.table({"rows": pa.nulls(rows)})
        found = _Columnar(rows)
        found.found = {
            name: outcome
            for name, (fail, scope) in plans.items()
            if (outcome := _evaluate(fail, scope, constant, (), size)) is not None
        }
        return found
    reads = _read(opening, paths, sorted(needed), planned)
    keys = {check.name: check for check in keyed}
    reading = {name: check.columns for name, check in keys.items()} | planned.uses

    def run(name: str) -> tuple[int, int, list[int]] | None:
        used = sorted(reading[name])
        if name in keys:
            return _duplicates(reads.table(used), keys[name], size)
        return _evaluate(*plans[name], reads.table(used or reads.first()), used, size)

    # In the order their columns are read, so that no check waits while another could run; of
    # those ready at the same time, key checks (the longest) first.
    order = sorted(reading, key=lambda name: (reads.ready(reading[name]), name not in keys))
    try:
        with ThreadPoolExecutor(_WORKERS) as pool:
            outcomes = dict(zip(order, pool.map(run, order), strict=True))
        table = reads.table(sorted(needed))
    finally:
        reads.close()
    found = _Columnar(table.num_rows, table=table)
    found.found = {name: outcome for name, outcome in outcomes.items() if outcome is not None}
    return found


_ROW_NUMBER = "file_row_number"


def _rows_at(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    positions: Iterable[int],
    read: pa.Table | None = None,
) -> dict[int, dict[str, object]]:
    """Return the rows at the given positions of the dataset (its files end to end).

    The columns in `read` (every row of some columns, already in memory) are taken from it; the
    others are read from each file once, filtered on DuckDB's `file_row_number`, which its
    Parquet reader applies before it decodes the other columns."""
    wanted = sorted(set(positions))
    if not wanted:
        return {}
    names = con.table(DATASET).columns
    if _ROW_NUMBER in {c.casefold() for c in names}:
        return _rows_in_range(con, wanted)
    kept = [] if read is None else [n for n in names if n in read.column_names]
    other = [n for n in names if n not in kept]
    parts: list[list[dict[str, Any]]] = []
    if kept and read is not None:
        parts.append(columnar.take_rows(read.select(kept), wanted).to_pylist())
    if other:
        parts.append(_read_rows(con, paths, wanted, other))
    found = [
        {name: _json_value(merged[name]) for name in names}
        for merged in (
            {k: v for part in row for k, v in part.items()} for row in zip(*parts, strict=True)
        )
    ]
    return dict(zip(wanted, found, strict=True))


def _read_rows(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], wanted: Sequence[int], names: list[str]
) -> list[dict[str, Any]]:
    """Read the named columns of the rows at sorted positions `wanted`, file by file: one query
    per file that holds some, its positions' range and list as parameters (the range lets the
    Parquet reader skip the pages before and after), the columns split among _WORKERS cursors
    reading at once (DuckDB reads a Parquet row group with one thread)."""
    spans: list[tuple[str, list[int]]] = []
    start = 0
    for index, path in enumerate(paths):
        if index + 1 < len(paths):
            metadata = "SELECT num_rows FROM parquet_file_metadata(?)"
            size = int(con.execute(metadata, [str(path)]).fetchall()[0][0])
        else:  # the last file holds every position left
            size = wanted[-1] + 1 - start
        local = [p - start for p in wanted if start <= p < start + size]
        start += size
        if local:
            spans.append((str(path), local))

    def read(group: list[str]) -> list[dict[str, Any]]:
        columns = ", ".join(col(n).sql(DIALECT) for n in group)
        query = (
            f"SELECT {columns} FROM read_parquet($path, file_row_number = true)"  # noqa: S608 - quoted names
            f" WHERE {_ROW_NUMBER} BETWEEN $low AND $high AND list_contains($rows, {_ROW_NUMBER})"
            f" ORDER BY {_ROW_NUMBER}"
        )
        cursor = con.cursor()
        try:
            rows: list[dict[str, Any]] = []
            for path, local in spans:
                params = {"path": path, "low": local[0], "high": local[-1], "rows": local}
                rows += cursor.sql(query, params=params).to_arrow_table().to_pylist()
            return rows
        finally:
            cursor.close()

    groups = [names[i::_WORKERS] for i in range(min(_WORKERS, len(names)))]
    with ThreadPoolExecutor(len(groups)) as pool:
        parts = list(pool.map(read, groups))
    return [{k: v for part in row for k, v in part.items()} for row in zip(*parts, strict=True)]


def _rows_in_range(
    con: duckdb.DuckDBPyConnection, wanted: Sequence[int]
) -> dict[int, dict[str, object]]:
    """Return the rows at sorted positions `wanted`, read from the first to the last."""
    low = wanted[0]
    query = exp.select("*").from_(DATASET).limit(wanted[-1] - low + 1).offset(low)
    table = con.sql(query.sql(DIALECT)).to_arrow_table()
    picked = table.take(pa.array([p - low for p in wanted], pa.int64())).to_pylist()
    rows = [{k: _json_value(v) for k, v in row.items()} for row in picked]
    return dict(zip(wanted, rows, strict=True))


def _key_order(columns: Sequence[str]) -> Callable[[dict[str, object]], tuple[str, ...]]:
    return lambda row: tuple(str(row[k]) for k in columns)


def _result(
    con: duckdb.DuckDBPyConnection,
    check: Check,
    rows: int,
    counts: Mapping[str, tuple[int, int, str | None]],
    fast: _Columnar,
    size: int,
) -> CheckResult:
    """Return the result of one check (a columnar one without its samples yet)."""
    result = CheckResult(check.name, str(check.dimension), 0, 0, columns=list(check.columns))
    if check.error is not None:
        result.failed = result.evaluated = rows
        result.error = check.error
    elif check.name in fast.found:
        result.failed, result.evaluated, _ = fast.found[check.name]
    elif check.kind == "row":
        result.failed, result.evaluated, result.error = counts[check.name]
        if result.error is not None:
            result.failed = result.evaluated = rows
        elif result.failed and size:
            with _one_thread(con):
                result.samples = _rows(con, _row_sample_query(check, size))
    elif check.kind == "unique":
        result.failed, result.evaluated, result.samples = _unique(con, check, size)
    elif check.kind == "agreement":
        result.failed, result.evaluated, result.samples = _agreement(con, check, size)
    else:
        expected = check.extra["expected"]
        result.failed, result.evaluated = max(0, expected - rows), expected
    return result


def _add_samples(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    checks: Sequence[Check],
    results: Sequence[CheckResult],
    fast: _Columnar,
    size: int,
) -> None:
    """Fetch the sample rows of every columnar check at once, by position."""
    wanted = {name: positions for name, (_, _, positions) in fast.found.items() if positions}
    found = _rows_at(
        con, paths, [p for positions in wanted.values() for p in positions], fast.table
    )
    for check, result in zip(checks, results, strict=True):
        if check.name not in wanted:
            continue
        result.samples = [found[p] for p in wanted[check.name]]
        if check.kind == "unique":
            # As the SQL path: every row of the keys of the first duplicates met, by key.
            result.samples = sorted(result.samples, key=_key_order(check.columns))[:size]


def assess_files(
    paths: Sequence[Path],
    rules: RuleSet,
    references: Mapping[str, Sequence[Path]] | None = None,
    sample_size: int = 20,
    elements: Mapping[str, ElementSpec] | None = None,
    *,
    native: bool = True,
) -> Assessment:
    """Assess the Parquet files of one dataset version against `rules`.

    `native`: use the columnar path and the vectorized validators (the default); False runs
    the portable SQL form of every check, as a distributed engine would."""
    started = time.perf_counter()
    if not paths:
        raise InvalidInput("a dataset version needs at least one Parquet file", field="paths")
    references = {name: files for name, files in (references or {}).items() if files}
    opening = _Opening(paths, references)
    try:
        dataset = _footer_schema(paths) or _duckdb_schema(opening.get(), DATASET)
        schemas = {
            name: (_footer_schema(files) or _duckdb_schema(opening.get(), ref_table(name)))[0]
            for name, files in references.items()
        }
        checks = compile_checks(
            rules, dataset[0], schemas, {**BUILTIN_SPECS, **(elements or {})}, native=native
        )
        fast = (
            _run_columnar(opening, paths, dataset[1], checks, sample_size)
            if native
            else _Columnar(None)
        )
        con = opening.get()
        row_checks = [
            c for c in checks if c.kind == "row" and c.error is None and c.name not in fast.found
        ]
        if native and row_checks:  # the SQL path may call the vectorized validators
            vectorized.register(con)
        rows, counts = _run_row_checks(con, row_checks) if row_checks else (None, {})
        rows = fast.rows if fast.rows is not None else rows
        if rows is None:
            count = exp.select(exp.Count(this=exp.Star())).from_(DATASET)
            rows = int(_one_row(con, count.sql(DIALECT))[0] or 0)
        results = [_result(con, check, rows, counts, fast, sample_size) for check in checks]
        _add_samples(con, paths, checks, results, fast, sample_size)
    finally:
        opening.close()
    scores = scoring.dimension_scores(results)
    total = scoring.total_score(scores)
    return Assessment(
        row_count=rows,
        checks=results,
        scores=scores,
        grade=scoring.grade_of(total),
        total=total,
        seconds=round(time.perf_counter() - started, 4),
    )
