"""Generalization: replace a precise value with the coarser class it belongs to.

Ages become bands, division codes climb to a higher level of GB/T 2260, dates keep their month
or year. Coarse classes are what k-anonymous releases and privacy-preserving extracts are built on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from govhub.identity.codes import DivisionLevel, division_level, division_parent_code

LEVEL_ORDER = list(DivisionLevel)


def age_band(age: int, width: int = 10) -> str:
    """Return the band of an age, e.g. ``30-39`` for width 10."""
    if age < 0:
        raise ValueError("an age cannot be negative")
    low = age // width * width
    return f"{low}-{low + width - 1}"


def age_on(birth: date, today: date) -> int:
    """Return the age in whole years on `today` of someone born on `birth`."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def division_at(code: str, level: DivisionLevel) -> str:
    """Return the code of the division at `level` containing `code` (itself if coarser)."""
    current = division_level(code)
    if current is None:
        raise ValueError("malformed division code")
    while LEVEL_ORDER.index(current) > LEVEL_ORDER.index(level):
        parent = division_parent_code(code)
        if parent is None:
            break
        code, current = parent, division_level(parent) or current
    return code


def date_to_month(value: date) -> str:
    """Return ``YYYY-MM`` of a date."""
    return f"{value.year:04d}-{value.month:02d}"


def date_to_year(value: date) -> str:
    """Return ``YYYY`` of a date."""
    return f"{value.year:04d}"


def age_band_array(
    birth_dates: pa.Array | pa.ChunkedArray, today: date, width: int = 10
) -> pa.ChunkedArray:
    """Turn a date column of births into age bands on `today`, keeping nulls."""
    births = _chunked(birth_dates)
    if not pa.types.is_date(births.type):
        births = pc.cast(births, pa.date32())
    years = pc.subtract(pa.scalar(today.year), pc.year(births))
    not_yet = pc.or_(
        pc.greater(pc.month(births), today.month),
        pc.and_(pc.equal(pc.month(births), today.month), pc.greater(pc.day(births), today.day)),
    )
    ages = pc.subtract(years, pc.cast(not_yet, pa.int64()))
    low = pc.multiply(pc.divide(ages, width), width)
    high = pc.add(low, width - 1)
    return _chunked(
        pc.binary_join_element_wise(pc.cast(low, pa.string()), pc.cast(high, pa.string()), "-")
    )


def division_array(codes: pa.Array | pa.ChunkedArray, level: DivisionLevel) -> pa.ChunkedArray:
    """Climb every division code of a column to `level`; malformed codes become null."""

    def climb(code: str) -> str | None:
        try:
            return division_at(code, level)
        except ValueError:
            return None

    return map_distinct(codes, climb)


def date_array(values: pa.Array | pa.ChunkedArray, *, to: str) -> pa.ChunkedArray:
    """Generalize a date column to ``month`` (YYYY-MM) or ``year`` (YYYY)."""
    formats = {"month": "%Y-%m", "year": "%Y"}
    if to not in formats:
        raise ValueError("dates generalize to 'month' or 'year'")
    column = _chunked(values)
    if not pa.types.is_date(column.type) and not pa.types.is_timestamp(column.type):
        column = pc.cast(column, pa.date32())
    if pa.types.is_date(column.type):
        column = pc.cast(column, pa.timestamp("s"))
    return _chunked(pc.strftime(column, format=formats[to]))


def map_distinct(
    values: pa.Array | pa.ChunkedArray, function: Callable[[str], str | None]
) -> pa.ChunkedArray:
    """Apply a Python function once per distinct string of a column, keeping nulls."""
    column = _chunked(values)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    chunks = []
    for chunk in column.chunks:
        encoded = chunk.dictionary_encode()
        mapped = pa.array([function(v) for v in encoded.dictionary.to_pylist()], pa.string())
        chunks.append(pc.take(mapped, encoded.indices))
    return pa.chunked_array(chunks, pa.string())


def _chunked(values: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    return values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])
