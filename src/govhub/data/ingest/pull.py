"""Read a table of a registered database source as record batches, safely.

Every connection is made for one pull and thrown away (no pool), given a connect timeout,
switched to read-only transactions and a statement timeout before anything is read, and read
with a server-side cursor (`stream_results` + `yield_per`) so memory stays bounded by one
batch. Driver messages are never passed on: they may name hosts or users; the answer says
what went wrong in GovHub's words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import Column, Connection, MetaData, Table, create_engine, select, text
from sqlalchemy.exc import DBAPIError, NoSuchTableError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from govhub.core.errors import InvalidInput
from govhub.data.ingest.models import DataSource
from govhub.data.ingest.rows import RowBatcher
from govhub.data.ingest.settings import IngestSettings
from govhub.data.ingest.sources import connect_url
from govhub.data.lineage.models import EntityKind
from govhub.data.lineage.service import Source


@dataclass(frozen=True)
class TableRef:
    """A table of a source and the columns to read (all when empty)."""

    table: str
    columns: tuple[str, ...] = ()


def lineage_source(source: DataSource, table: str) -> Source:
    """Return the lineage node of a pulled table: the data source (id and name) and the table,
    never its URL or credentials."""
    return Source(
        EntityKind.DATABASE,
        f"datasource:{source.id}#{table}"[:1000],
        f"{source.name} · {table}"[:300],
        source.dialect[:40],
    )


def _set_read_only(conn: Connection, settings: IngestSettings) -> None:
    """Make every later transaction of this connection read-only and time-limited."""
    seconds = settings.pull_statement_timeout_seconds
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        conn.execute(
            text("SELECT set_config('statement_timeout', :ms, false)"), {"ms": str(seconds * 1000)}
        )
    elif dialect in ("mysql", "mariadb"):
        conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        if getattr(conn.dialect, "is_mariadb", False):
            conn.execute(text("SET SESSION max_statement_time = :s"), {"s": seconds})
        else:
            conn.execute(text("SET SESSION max_execution_time = :ms"), {"ms": seconds * 1000})
    else:  # sqlite (development and test only)
        conn.exec_driver_sql("PRAGMA query_only = ON")
    conn.commit()


@contextmanager
def read_only_connection(source: DataSource, settings: IngestSettings) -> Iterator[Connection]:
    """Open a one-off, read-only, time-limited connection to a source."""
    backend = source.dialect
    connect_args: dict[str, object] = {}
    if backend in ("postgresql", "mysql", "mariadb"):
        connect_args["connect_timeout"] = settings.pull_connect_timeout_seconds
    engine = create_engine(connect_url(source), poolclass=NullPool, connect_args=connect_args)
    try:
        try:
            conn = engine.connect()
        except (DBAPIError, SQLAlchemyError):
            raise InvalidInput(
                f"could not connect to data source {source.name}: unreachable, refused, or "
                "wrong credentials",
                field="source_id",
            ) from None
        with conn:
            _set_read_only(conn, settings)
            yield conn
    finally:
        engine.dispose()


def _table(conn: Connection, ref: TableRef) -> tuple[Table, list[Column[object]]]:
    schema, _, name = ref.table.rpartition(".")
    try:
        table = Table(name, MetaData(), schema=schema or None, autoload_with=conn)
    except NoSuchTableError:
        raise InvalidInput(f"the source has no table {ref.table}", field="table") from None
    except SQLAlchemyError:
        raise InvalidInput(f"the table {ref.table} cannot be read", field="table") from None
    if not ref.columns:
        return table, list(table.columns)
    missing = [c for c in ref.columns if c not in table.columns]
    if missing:
        raise InvalidInput(f"the table has no column {missing[0]}", field="columns")
    if len(set(ref.columns)) != len(ref.columns):
        raise InvalidInput("a column is named twice", field="columns")
    return table, [table.columns[c] for c in ref.columns]


def probe(source: DataSource, ref: TableRef, settings: IngestSettings) -> list[str]:
    """Check that the source answers and holds the table and columns; return the columns."""
    with read_only_connection(source, settings) as conn:
        _, columns = _table(conn, ref)
        return [c.name for c in columns]


def read_table(
    source: DataSource,
    ref: TableRef,
    *,
    settings: IngestSettings,
    warnings: list[str],
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Yield the rows of a source table as record batches of one schema, streamed."""
    with read_only_connection(source, settings) as conn:
        table, columns = _table(conn, ref)
        names = [c.name for c in columns]
        batcher = RowBatcher(names, batch_rows=settings.batch_rows, warnings=warnings)
        query = select(*columns).select_from(table)
        streaming = conn.execution_options(stream_results=True, yield_per=settings.pull_batch_rows)
        line = 0
        try:
            result = streaming.execute(query)
            for partition in result.partitions():
                for row in partition:
                    line += 1
                    batch = batcher.add(list(row), line)
                    if batch is not None:
                        yield batch
                if on_rows is not None:
                    on_rows(len(partition))
        except OperationalError:
            raise InvalidInput(
                f"reading {ref.table} failed: the source went away or the query timed out",
                field="table",
            ) from None
        except DBAPIError:
            raise InvalidInput(f"the source refused to read {ref.table}", field="table") from None
        yield from batcher.finish()
    warnings.append(f"pulled {line} rows of {ref.table} from data source {source.name}")
