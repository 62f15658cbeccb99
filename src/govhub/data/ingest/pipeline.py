"""The streaming pipeline: any supported file to one local Parquet file, batch by batch."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from govhub.data.ingest.errors import BadFile
from govhub.data.ingest.readers import Format, Progress, detect_format, read_batches
from govhub.data.ingest.settings import IngestSettings


@dataclass
class LoadLog:
    """What a load did: the format read, rows read and written, and warnings."""

    source: str
    format: str
    source_bytes: int
    rows_read: int = 0
    rows_written: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the log as plain JSON-ready data."""
        return {
            "source": self.source,
            "format": self.format,
            "source_bytes": self.source_bytes,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "warnings": list(self.warnings),
        }


@dataclass
class Converted:
    """A finished local Parquet file and its facts."""

    path: Path
    digest: str
    row_count: int
    schema: list[dict[str, Any]]
    log: LoadLog


def field_type(arrow_type: pa.DataType) -> str:
    """Return the catalog field type of an Arrow type."""
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "decimal"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "datetime"
    return "string"


def describe_schema(schema: pa.Schema) -> list[dict[str, Any]]:
    """Return a schema as JSON: name, Arrow type and catalog field type of every column."""
    return [{"name": f.name, "arrow_type": str(f.type), "type": field_type(f.type)} for f in schema]


def file_digest(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def convert(
    source: Path,
    *,
    filename: str,
    settings: IngestSettings,
    workdir: Path | None = None,
    progress: Progress | None = None,
    fmt: Format | None = None,
) -> Converted:
    """Convert a file to a temporary Parquet file; on any failure the temporary file is gone."""
    size = source.stat().st_size
    if size > settings.max_file_bytes:
        raise BadFile(
            "too_large", f"the file has {size} bytes, over the limit of {settings.max_file_bytes}"
        )
    if size == 0:
        raise BadFile("empty", "the file is empty")
    fmt = fmt or detect_format(source, filename)
    log = LoadLog(source=Path(filename).name, format=fmt.value, source_bytes=size)
    batches = read_batches(source, fmt, settings=settings, warnings=log.warnings, progress=progress)
    return convert_batches(batches, log=log, settings=settings, workdir=workdir)


def convert_batches(
    batches: Iterator[pa.RecordBatch],
    *,
    log: LoadLog,
    settings: IngestSettings,
    workdir: Path | None = None,
) -> Converted:
    """Write record batches of one schema to a temporary Parquet file (gone on any failure)."""
    fd, name = tempfile.mkstemp(suffix=".parquet", prefix="ingest-", dir=workdir)
    os.close(fd)
    target = Path(name)
    try:
        schema = _write(batches, target, settings=settings, log=log)
        if log.rows_written == 0:
            raise BadFile("empty", "the source has a header but no rows")
        return Converted(
            path=target,
            digest=file_digest(target),
            row_count=log.rows_written,
            schema=describe_schema(schema),
            log=log,
        )
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _write(
    batches: Iterator[pa.RecordBatch], target: Path, *, settings: IngestSettings, log: LoadLog
) -> pa.Schema:
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    try:
        for batch in batches:
            log.rows_read += batch.num_rows
            if writer is None:
                schema = batch.schema
                writer = pq.ParquetWriter(target, schema, compression="zstd")
            elif not batch.schema.equals(schema):
                raise BadFile(
                    "type_changed",
                    f"the columns changed after row {log.rows_read - batch.num_rows}",
                    line=log.rows_read - batch.num_rows + 1,
                )
            pending.append(batch)
            pending_rows += batch.num_rows
            if pending_rows >= settings.row_group_rows:
                writer.write_table(pa.Table.from_batches(pending))
                log.rows_written += pending_rows
                pending, pending_rows = [], 0
        if writer is not None and pending:
            writer.write_table(pa.Table.from_batches(pending))
            log.rows_written += pending_rows
    finally:
        if writer is not None:
            writer.close()
    if schema is None:
        raise BadFile("empty", "the file holds no rows")
    return schema
