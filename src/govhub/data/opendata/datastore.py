"""CKAN's DataStore over the published Parquet files: `datastore_search` and a sandboxed
`datastore_search_sql`.

`datastore_search` compiles its parameters into parameterized DuckDB SQL: column names are
checked against the file's schema and quoted; every value is a parameter.

`datastore_search_sql` runs a caller's SQL, so it is held in a sandbox with several locks:
the text is parsed with sqlglot and must be one read-only query (SELECT, set operations, CTEs)
whose tables are all public dataset versions, named by their resource id, and which calls no
function that reads files, the network, settings or the catalog; the SQL that runs is the one
sqlglot renders from the checked tree, not the caller's text; the tables reach DuckDB as
registered Arrow datasets, on a database opened with `enable_external_access = false` and a
locked configuration, so even a function the checks missed cannot open a file or a URL; a timer
interrupts a query past its time limit; at most a capped number of rows is returned.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import threading
import uuid
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import duckdb
import pyarrow.dataset as pads
import sqlglot
from pyarrow.fs import FSSpecHandler, PyFileSystem
from sqlglot import exp

from govhub.core.errors import Conflict
from govhub.core.storage import Storage
from govhub.data.opendata.errors import AuthorizationError, ValidationError, invalid
from govhub.privacy import vault

ID = "_id"
ROW_NUMBER = "file_row_number"
_SORT = re.compile(r'^\s*("(?:[^"]|"")+"|[^\s"]+)(?:\s+(asc|desc))?\s*$', re.IGNORECASE)
CKAN_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "int",
    "INTEGER": "int",
    "SMALLINT": "int",
    "TINYINT": "int",
    "HUGEINT": "numeric",
    "UBIGINT": "numeric",
    "UINTEGER": "int",
    "DOUBLE": "float",
    "FLOAT": "float",
    "BOOLEAN": "bool",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "JSON": "json",
}
# Functions that reach outside the query's tables: files, the network, settings, the catalog,
# extensions. Matched on the lower-cased name, as prefixes.
FORBIDDEN_FUNCTIONS = (
    "read_",
    "parquet_",
    "glob",
    "sniff_",
    "query",
    "getenv",
    "current_setting",
    "duckdb_",
    "pragma_",
    "sqlite_",
    "postgres_",
    "mysql_",
    "iceberg_",
    "delta_",
    "http",
    "s3",
    "load",
    "install",
    "attach",
    "detach",
    "copy",
    "export",
    "import",
    "checkpoint",
    "force_checkpoint",
    "json_execute",
    "sql_auto_complete",
    "which_secret",
    "enable_",
    "disable_",
    "set_",
    "shell",
    "system",
    "summary",
    "test_",
)
FORBIDDEN_NODES = tuple(
    cls
    for cls in (
        getattr(exp, name, None)
        for name in (
            "Insert",
            "Update",
            "Delete",
            "Merge",
            "Create",
            "Drop",
            "Alter",
            "Command",
            "Pragma",
            "Set",
            "Copy",
            "Attach",
            "Detach",
            "Use",
            "Into",
            "Describe",
            "TruncateTable",
            "Transaction",
            "Commit",
            "Rollback",
            "LoadData",
            "Install",
        )
    )
    if isinstance(cls, type)
)


def quote(name: str) -> str:
    """Quote a column name as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


# --- engines ---------------------------------------------------------------------------------


class _Engines(threading.local):
    """Process-wide DuckDB databases (opening one costs more than a query); a cursor per thread.

    `plain` reads Parquet files for `datastore_search`, whose SQL is ours. `sandbox` runs
    callers' SQL: no external access, locked configuration, a memory limit.
    """

    lock = threading.Lock()
    plain_root: duckdb.DuckDBPyConnection | None = None
    registered: set[int] = set()  # noqa: RUF012 - shared on purpose, guarded by `lock`

    def __init__(self) -> None:
        self.plain: duckdb.DuckDBPyConnection | None = None

    def plain_cursor(self) -> duckdb.DuckDBPyConnection:
        with _Engines.lock:
            if _Engines.plain_root is None:
                _Engines.plain_root = duckdb.connect()
            if self.plain is None:
                self.plain = _Engines.plain_root.cursor()
        return self.plain


_engines = _Engines()


_sandbox_lock = threading.Lock()
_sandbox_root: list[duckdb.DuckDBPyConnection] = []


def sandbox_connection() -> duckdb.DuckDBPyConnection:
    """Return a fresh cursor of the locked-down sandbox database (its own registered tables)."""
    with _sandbox_lock:
        if not _sandbox_root:
            _sandbox_root.append(
                duckdb.connect(
                    config={
                        "enable_external_access": False,
                        "autoinstall_known_extensions": False,
                        "autoload_known_extensions": False,
                        "memory_limit": "512MB",
                        "threads": 2,
                        "lock_configuration": True,
                    }
                )
            )
        return _sandbox_root[0].cursor()


def open_source(storage: Storage, key: str) -> vault.Source:
    """Return what DuckDB reads the version at `key` from (decrypted in memory if sealed);
    hold it while reading its path."""
    source = vault.open_dataset(key, storage)
    if source.filesystem is not None:
        con = _engines.plain_cursor()
        with _Engines.lock:
            if id(source.filesystem) not in _Engines.registered:
                con.register_filesystem(source.filesystem)
                _Engines.registered.add(id(source.filesystem))
    return source


def arrow_dataset(storage: Storage, key: str) -> pads.Dataset:
    """Return the version at `key` as an Arrow dataset (read lazily; decrypted if sealed)."""
    source = vault.open_dataset(key, storage)
    if source.filesystem is None:
        dataset = pads.dataset(source.path, format="parquet")
        if source.pin is not None:  # decrypted in memory: kept while the dataset lives
            weakref.finalize(dataset, _keep, source)
        return dataset
    filesystem: Any = source.filesystem
    fs = PyFileSystem(FSSpecHandler(filesystem))
    return pads.dataset(filesystem._strip_protocol(source.path), format="parquet", filesystem=fs)


def _keep(_: object) -> None:
    """Do nothing: as a finalizer's argument, an object lives as long as what it watches."""


@lru_cache(maxsize=512)
def _columns(path: str) -> tuple[tuple[str, str], ...]:
    con = _engines.plain_cursor()
    rows = con.execute("DESCRIBE SELECT * FROM read_parquet($path)", {"path": path}).fetchall()
    return tuple((str(r[0]), str(r[1])) for r in rows)


def ckan_type(duckdb_type: str) -> str:
    """Return CKAN's DataStore type of a DuckDB column type."""
    if duckdb_type.startswith("DECIMAL"):
        return "numeric"
    if duckdb_type.startswith("TIMESTAMP"):
        return "timestamp"
    return CKAN_TYPES.get(duckdb_type, "text")


def json_value(value: Any) -> Any:
    """Return a database value as JSON can carry it (exact decimals as text)."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


# --- datastore_search ------------------------------------------------------------------------


@dataclass
class SearchRequest:
    """The parsed parameters of `datastore_search`."""

    filters: dict[str, Any]
    q: str | dict[str, str] | None
    limit: int
    offset: int
    fields: list[str] | None
    sort: list[str]
    include_total: bool = True


def _sort_terms(sort: Sequence[str], known: dict[str, str]) -> list[str]:
    terms: list[str] = []
    for part in sort:
        match = _SORT.match(part)
        if match is None:
            raise invalid("sort", f"cannot read the sort {part[:60]!r}")
        name = match[1]
        if name.startswith('"'):
            name = name[1:-1].replace('""', '"')
        if name != ID and name not in known:
            raise invalid("sort", f'field "{name[:60]}" not in resource')
        direction = (match[2] or "asc").upper()
        terms.append(f"{quote(ROW_NUMBER) if name == ID else quote(name)} {direction}")
    return terms


def _cast(column_type: str) -> str:
    return column_type if re.fullmatch(r"[A-Z0-9_(), ]+", column_type) else "VARCHAR"


class _Params(dict[str, Any]):
    """Named parameters of one statement."""

    def bind(self, value: Any) -> str:
        """Add a parameter and return its placeholder."""
        name = f"p{len(self)}"
        self[name] = value
        return f"${name}"


def _filter_sql(filters: dict[str, Any], known: dict[str, str], params: _Params) -> list[str]:
    where: list[str] = []
    for name, value in filters.items():
        if name != ID and name not in known:
            raise invalid("filters", f'field "{name[:60]}" not in resource')
        values = value if isinstance(value, list) else [value]
        if not values or len(values) > 100:
            raise invalid("filters", f"give one to a hundred values for {name[:60]}")
        if any(isinstance(v, dict | list) for v in values):
            raise invalid("filters", f"the values of {name[:60]} must be plain values")
        if name == ID:
            values = [int(v) - 1 if str(v).lstrip("-").isdigit() else None for v in values]
        column = quote(ROW_NUMBER) if name == ID else quote(name)
        cast = "BIGINT" if name == ID else _cast(known[name])
        texts = [params.bind(None if v is None else str(v)) for v in values]
        where.append(f"{column} IN ({', '.join(f'TRY_CAST({t} AS {cast})' for t in texts)})")
    return where


def _q_sql(q: str | dict[str, str] | None, known: dict[str, str], params: _Params) -> list[str]:
    if isinstance(q, dict):
        where: list[str] = []
        for name, text in q.items():
            if name not in known:
                raise invalid("q", f'field "{name[:60]}" not in resource')
            pattern = params.bind(_pattern(str(text)))
            where.append(f"CAST({quote(name)} AS VARCHAR) ILIKE {pattern} ESCAPE '\\'")
        return where
    if not q:
        return []
    pattern = params.bind(_pattern(q))
    texts = [n for n, t in known.items() if t == "VARCHAR"]
    if not texts:
        return ["FALSE"]
    return ["(" + " OR ".join(f"{quote(n)} ILIKE {pattern} ESCAPE '\\'" for n in texts) + ")"]


def search(storage: Storage, key: str, request: SearchRequest, *, row_count: int) -> dict[str, Any]:
    """Search one dataset version's rows; return CKAN's `datastore_search` result parts."""
    held = open_source(storage, key)  # held until the query has run
    path = held.path
    known = dict(_columns(path))
    wanted = request.fields if request.fields else [ID, *known]
    for name in wanted:
        if name != ID and name not in known:
            raise invalid("fields", f'field "{name[:60]}" not in resource')
    params = _Params(path=path)
    where = _filter_sql(request.filters, known, params) + _q_sql(request.q, known, params)
    # Without a sort, rows come in file order (`_id`): DuckDB keeps insertion order by default,
    # so the scan stops at the page's last row instead of sorting every match.
    order = _sort_terms(request.sort, known)
    select = ", ".join(
        f"{quote(ROW_NUMBER)} + 1 AS {quote(ID)}" if n == ID else quote(n) for n in wanted
    )
    # Column names are checked against the file's schema and quoted; values are parameters.
    source = "read_parquet($path, file_row_number = true) AS t"
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    page = f"LIMIT {int(request.limit)} OFFSET {int(request.offset)}"
    sorting = f" ORDER BY {', '.join(order)}" if order else ""
    con = _engines.plain_cursor()
    try:
        rows = con.execute(
            f"SELECT {select} FROM {source}{condition}{sorting} {page}",  # noqa: S608
            dict(params),
        ).fetchall()
        total: int | None = None
        if request.include_total:
            total = row_count
            if where:
                counted = con.execute(
                    f"SELECT count(*) FROM {source}{condition}",  # noqa: S608
                    dict(params),
                ).fetchone()
                total = int(counted[0]) if counted else 0
    except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
        raise invalid("filters", "a value does not fit its field's type") from exc
    types = {ID: "int", **{n: ckan_type(t) for n, t in known.items()}}
    return {
        "fields": [{"id": n, "type": types[n]} for n in wanted],
        "records": [{n: json_value(v) for n, v in zip(wanted, row, strict=True)} for row in rows],
        "total": total,
    }


def _pattern(text: str) -> str:
    escaped = text[:200].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- datastore_search_sql --------------------------------------------------------------------


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def check_sql(sql: str, *, max_length: int = 8000) -> tuple[exp.Query, list[str]]:
    """Check that `sql` is one read-only query; return its tree and the table names it reads."""
    if len(sql) > max_length:
        raise invalid("sql", f"the query is longer than {max_length} characters")
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise invalid("sql", f"the query does not parse: {str(exc)[:200]}") from None
    if len(statements) != 1:
        raise invalid("query", "Query is not a single statement.")
    tree = statements[0]
    if not isinstance(tree, exp.Query) or any(
        isinstance(node, FORBIDDEN_NODES) for node in tree.walk()
    ):
        raise invalid("query", "Only a read-only SELECT query may be run")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    tables: list[str] = []
    for node in tree.walk():
        if isinstance(node, exp.Func):
            name = _function_name(node)
            if name.startswith(FORBIDDEN_FUNCTIONS):
                raise AuthorizationError(f"the function {name[:40]} may not be used")
        if isinstance(node, exp.Table):
            if not isinstance(node.this, exp.Identifier) or node.args.get("db"):
                raise AuthorizationError("only datastore tables, named by resource id, are read")
            name = node.name
            if name in ctes:
                continue
            tables.append(name)
    return tree, list(dict.fromkeys(tables))


@dataclass
class SqlResult:
    """The rows of a sandboxed query."""

    fields: list[dict[str, str]]
    records: list[dict[str, Any]]
    truncated: bool


def run_sql(
    tree: exp.Query,
    datasets: dict[str, Callable[[], pads.Dataset]],
    *,
    timeout: float,
    max_rows: int,
) -> SqlResult:
    """Run a checked query in the sandbox over the given tables; interrupt it past `timeout`."""
    con = sandbox_connection()
    timer = threading.Timer(timeout, con.interrupt)
    try:
        for name, load in datasets.items():
            con.register(name, load())
        timer.start()
        cursor = con.execute(tree.sql(dialect="duckdb"))
        names = [d[0] for d in cursor.description or []]
        types = [ckan_type(str(d[1])) for d in cursor.description or []]
        rows = cursor.fetchmany(max_rows + 1)
    except duckdb.InterruptException:
        raise invalid("query", "Query took too long") from None
    except duckdb.PermissionException:
        raise AuthorizationError("the query reaches outside the datastore") from None
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0][:300]
        raise ValidationError({"query": [message]}) from None
    finally:
        timer.cancel()
        con.close()
    fields = [{"id": n, "type": t} for n, t in zip(names, types, strict=True)]
    records = [
        {n: json_value(v) for n, v in zip(names, row, strict=True)} for row in rows[:max_rows]
    ]
    return SqlResult(fields, records, truncated=len(rows) > max_rows)


EXCEL_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header


def export(source: str, target: str, fmt: str) -> None:
    """Write the Parquet file at `source` to `target` as CSV, JSON (an array), Parquet or xlsx."""
    con = _engines.plain_cursor()
    if fmt == "xlsx":
        _export_xlsx(con, source, target)
        return
    option = {"csv": "FORMAT csv, HEADER true", "json": "FORMAT json, ARRAY true"}.get(
        fmt, "FORMAT parquet"
    )
    con.execute(
        f"COPY (SELECT * FROM read_parquet($source)) TO '{_literal(target)}' ({option})",  # noqa: S608
        {"source": source},
    )


def _export_xlsx(con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    """Stream the rows into a write-only workbook (one sheet; Excel's row limit applies)."""
    import openpyxl  # noqa: PLC0415 - only this format needs it

    count = con.execute("SELECT count(*) FROM read_parquet($source)", {"source": source})
    total = int(count.fetchone()[0])  # type: ignore[index]
    if total > EXCEL_MAX_ROWS:
        raise Conflict(
            f"{total:,} rows do not fit one Excel sheet ({EXCEL_MAX_ROWS:,}); "
            "download CSV or Parquet"
        )
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("data")
    reader = con.execute("SELECT * FROM read_parquet($source)", {"source": source})
    sheet.append([column[0] for column in reader.description or []])
    while batch := reader.fetchmany(10_000):
        for row in batch:
            sheet.append([_cell(value) for value in row])
    book.save(target)


def _cell(value: Any) -> Any:
    """Return a value openpyxl writes: decimals as text, time zones dropped to UTC."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _literal(text: str) -> str:
    return text.replace("'", "''")
