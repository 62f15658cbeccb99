"""Write a stream of Arrow tables as CSV, NDJSON or Parquet, and digest what was written."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from govhub.data.exchange.schemas import ExportFormat
from govhub.data.ingest.pipeline import file_digest

MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.NDJSON: "application/x-ndjson",
    ExportFormat.PARQUET: "application/vnd.apache.parquet",
}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity
    return value


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    """Turn a row's dates, decimals, bytes and non-finite floats into JSON values."""
    return {key: _json_value(value) for key, value in row.items()}


def _plain(kind: pa.DataType) -> bool:
    """Tell whether a column of this type converts to JSON values as `to_pylist` gives them."""
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_null(kind)
    )


def json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Return the table's rows, each made `jsonable`: the same as `jsonable` over `to_pylist`,
    converted column by column rather than value by value."""
    if not table.column_names:
        return [{} for _ in range(table.num_rows)]
    columns = []
    for column in table.columns:
        values = column.to_pylist()
        columns.append(values if _plain(column.type) else [_json_value(v) for v in values])
    names = table.column_names
    return [dict(zip(names, cells, strict=True)) for cells in zip(*columns, strict=True)]


def write_batches(
    tables: Iterable[pa.Table], target: Path, fmt: ExportFormat, schema: pa.Schema
) -> tuple[int, str]:
    """Write every table to `target` in `fmt`; return the row count and the file's SHA-256.

    `schema` is the shape of the tables, used when there are none (an empty export still
    has its header or Parquet schema).
    """
    rows = 0
    with _Writer(target, fmt, schema) as write:
        for table in tables:
            write(table)
            rows += table.num_rows
    return rows, file_digest(target)


class _Writer:
    """A context manager giving a `write(table)` function for one output format."""

    def __init__(self, target: Path, fmt: ExportFormat, schema: pa.Schema) -> None:
        self.target, self.fmt, self.schema = target, fmt, schema

    def __enter__(self) -> Callable[[pa.Table], None]:
        if self.fmt is ExportFormat.PARQUET:
            self._parquet = pq.ParquetWriter(self.target, self.schema, compression="zstd")
            return lambda table: self._parquet.write_table(table.cast(self.schema))
        if self.fmt is ExportFormat.CSV:
            self._csv = pacsv.CSVWriter(str(self.target), self.schema)
            return lambda table: self._csv.write_table(table.cast(self.schema))
        self._file = self.target.open("w", encoding="utf-8")
        return self._write_ndjson

    def _write_ndjson(self, table: pa.Table) -> None:
        lines = (json.dumps(jsonable(r), ensure_ascii=False) for r in table.to_pylist())
        self._file.writelines(f"{line}\n" for line in lines)

    def __exit__(self, *_: object) -> None:
        if self.fmt is ExportFormat.PARQUET:
            self._parquet.close()
        elif self.fmt is ExportFormat.CSV:
            self._csv.close()
        else:
            self._file.close()
