"""Batches from Python rows (xlsx, JSON): the first batch sets the types, later ones must fit."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from govhub.data.ingest.errors import BadFile

_SCALARS = (str, int, float, bool, decimal.Decimal, dt.date, dt.time)


class RowBatcher:
    """Collect rows of known columns and turn them into record batches of one schema."""

    def __init__(self, columns: list[str], *, batch_rows: int, warnings: list[str]) -> None:
        self.columns = columns
        self.batch_rows = batch_rows
        self.warnings = warnings
        self.schema: pa.Schema | None = None
        self._values: list[list[Any]] = [[] for _ in columns]
        self._lines: list[int] = []
        self._coerced = 0

    def add(self, values: list[Any], line: int) -> pa.RecordBatch | None:
        """Add one row (values in column order); return a batch when one is full."""
        for column, value in zip(self._values, values, strict=True):
            column.append(value)
        self._lines.append(line)
        return self.flush() if len(self._lines) >= self.batch_rows else None

    def flush(self) -> pa.RecordBatch | None:
        """Return the rows collected so far as a batch (None when there are none)."""
        if not self._lines:
            return None
        schema = self.schema
        if schema is None:
            arrays = self._infer()
        else:
            arrays = [self._fit(schema, i) for i in range(len(self.columns))]
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        self._values = [[] for _ in self.columns]
        self._lines = []
        return batch

    def finish(self) -> Iterator[pa.RecordBatch]:
        """Yield the last partial batch and note any values turned into text."""
        batch = self.flush()
        if batch is not None:
            yield batch
        if self._coerced:
            self.warnings.append(f"{self._coerced} non-text values in text columns kept as text")

    def _infer(self) -> list[pa.Array]:
        arrays: list[pa.Array] = []
        for index, name in enumerate(self.columns):
            try:
                array = pa.array(self._values[index], from_pandas=False)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                array = pa.array(self._texts(index), type=pa.string())
                self.warnings.append(f"column {name!r} mixes types; kept as text")
            if pa.types.is_null(array.type):
                array = array.cast(pa.string())
            arrays.append(array)
        self.schema = pa.schema(
            [pa.field(n, a.type) for n, a in zip(self.columns, arrays, strict=True)]
        )
        return arrays

    def _texts(self, index: int) -> list[str | None]:
        out: list[str | None] = []
        for value in self._values[index]:
            if value is None or isinstance(value, str):
                out.append(value)
            else:
                self._coerced += 1
                out.append(str(value))
        return out

    def _fit(self, schema: pa.Schema, index: int) -> pa.Array:
        target = schema.field(index).type
        if pa.types.is_string(target):
            return pa.array(self._texts(index), type=target)
        try:
            return pa.array(self._values[index], type=target, from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
        for value, line in zip(self._values[index], self._lines, strict=True):
            try:
                pa.array([value], type=target)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                shown = str(value)[:40] if isinstance(value, _SCALARS) else type(value).__name__
                raise BadFile(
                    "type_changed",
                    f"column {self.columns[index]!r} held {target} values, then {shown!r}",
                    line=line,
                    column=self.columns[index],
                ) from None
        raise BadFile(  # pragma: no cover - every value fits one by one but not together
            "type_changed", f"column {self.columns[index]!r} changed type"
        )
