"""Write a stream of Arrow tables as CSV, NDJSON or Parquet, and digest what was written."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring as _encode_string
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from govhub.data.exchange.schemas import ExportFormat
from govhub.data.ingest.pipeline import file_digest
from govhub.ledger.recording import canonical_json

MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.NDJSON: "application/x-ndjson",
    ExportFormat.PARQUET: "application/vnd.apache.parquet",
}


# Stored (Arrow) types of plain values, by kind: DuckDB's `to_json` writes them exactly as
# `canonical_rows` does, and `value_rows` encodes DuckDB's Python values of them.
PLAIN_KINDS: dict[str, str] = {
    "string": "text",
    "large_string": "text",
    "string_view": "text",
    "bool": "boolean",
    "null": "null",
    "date32[day]": "date",
    "date64[ms]": "date",
    **{f"{sign}int{bits}": "integer" for sign in ("", "u") for bits in (8, 16, 32, 64)},
}
_ENCODERS: dict[str, Callable[[Any], str]] = {
    "text": _encode_string,
    "integer": repr,
    "boolean": lambda value: "true" if value else "false",
    "date": lambda value: '"' + value.isoformat() + '"',
    "null": lambda _: "null",
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


def _token(value: Any) -> str:
    """Return one JSON value exactly as `json.dumps` writes it in canonical form."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return _encode_string(value)
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int or type(value) is float:  # floats here are finite (`_json_value`)
        return repr(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _tokens(column: pa.ChunkedArray) -> Iterable[str]:
    """Return a column's values as canonical JSON tokens (the values `json_rows` gives)."""
    kind = column.type
    if pa.types.is_date(kind):  # Arrow writes dates as ISO text, as `date.isoformat` does
        column, kind = column.cast(pa.string()), pa.string()
    values = column.to_pylist()
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        encode = _encode_string
    elif pa.types.is_integer(kind):
        encode = repr
    else:
        return [_token(_json_value(v)) for v in values]
    if column.null_count:
        return [encode(v) if v is not None else "null" for v in values]
    return map(encode, values)


def canonical_rows(table: pa.Table) -> bytes:
    """Return `ledger.canonical_json(json_rows(table))` (sorted keys, no spaces, UTF-8), made
    column by column: each value is encoded once."""
    names = table.column_names
    if not names or len(set(names)) != len(names):
        return canonical_json(json_rows(table))
    return _joined_rows(names, lambda i: _tokens(table.column(i)))


def value_rows(
    names: Sequence[str], kinds: Sequence[str], columns: Sequence[Sequence[Any]]
) -> bytes:
    """Return `canonical_rows` of a page read as Python values, column by column, each of a
    plain kind (`PLAIN_KINDS`): a column's values are encoded by one function."""

    def tokens(i: int) -> list[str]:
        encode = _ENCODERS[kinds[i]]
        return [encode(v) if v is not None else "null" for v in columns[i]]

    return _joined_rows(names, tokens)


def _joined_rows(names: Sequence[str], tokens: Callable[[int], Iterable[str]]) -> bytes:
    """Join the rows of columns given as JSON tokens (`tokens(i)` for column i), keys sorted:
    each row is one `%` of a template such as '{"a":%s,"b":%s}'."""
    order = sorted(range(len(names)), key=names.__getitem__)
    keys = (_encode_string(names[i]).replace("%", "%%") + ":%s" for i in order)
    template = "{" + ",".join(keys) + "}"
    columns = [tokens(i) for i in order]
    return ("[" + ",".join(map(template.__mod__, zip(*columns, strict=True))) + "]").encode()


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
