"""Encode a table for de-identification: quasi-identifiers as hierarchy leaf codes, sensitive
attributes as value codes, each an integer ``numpy`` array."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from govhub.core.errors import InvalidInput
from govhub.privacy.anonymity.hierarchies import Hierarchy

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Sensitive:
    """One sensitive attribute: a code per record, its values in order, their overall counts."""

    name: str
    codes: IntArray
    values: tuple[str, ...]
    overall: npt.NDArray[np.float64]


@dataclass(frozen=True)
class Encoded:
    """A table ready for the lattice search."""

    table: pa.Table
    quasi_identifiers: tuple[str, ...]
    hierarchies: tuple[Hierarchy, ...]
    leaves: IntArray  # records x quasi-identifiers, leaf codes
    sensitive: Mapping[str, Sensitive]

    @property
    def size(self) -> int:
        """Return the number of records."""
        return int(self.leaves.shape[0])


def value_key(value: object) -> str:
    """Return the string by which a cell value is looked up in a hierarchy."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def as_table(data: Any) -> pa.Table:
    """Return `data` (a pyarrow Table or a pandas DataFrame) as a pyarrow Table."""
    if isinstance(data, pa.Table):
        return data
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise InvalidInput("the data must be a pyarrow Table or a pandas DataFrame")


def encode(
    data: Any, quasi_identifiers: Mapping[str, Hierarchy], sensitive: Sequence[str] = ()
) -> Encoded:
    """Encode the quasi-identifiers and sensitive attributes of `data`, checking every value."""
    table = as_table(data)
    if table.num_rows == 0:
        raise InvalidInput("the table is empty: there is nothing to release")
    if not quasi_identifiers:
        raise InvalidInput("choose at least one quasi-identifier")
    for name in [*quasi_identifiers, *sensitive]:
        if name not in table.column_names:
            raise InvalidInput(f"the table has no column {name!r}", field=name)
    both = set(quasi_identifiers) & set(sensitive)
    if both:
        name = sorted(both)[0]
        raise InvalidInput(f"{name!r} cannot be both quasi-identifying and sensitive", field=name)
    columns = []
    for name, hierarchy in quasi_identifiers.items():
        values, indices = _dictionary(table.column(name))
        lookup = hierarchy.encode(values)
        columns.append(lookup[indices])
    leaves = np.stack(columns, axis=1).astype(np.int64)
    encoded_sensitive: dict[str, Sensitive] = {}
    for name in dict.fromkeys(sensitive):
        values, indices = _dictionary(table.column(name))
        order = sorted(range(len(values)), key=lambda i: _order_key(values[i]))
        rank = np.empty(len(values), dtype=np.int64)
        rank[order] = np.arange(len(values))
        codes = rank[indices]
        encoded_sensitive[name] = Sensitive(
            name,
            codes,
            tuple(values[i] for i in order),
            np.bincount(codes, minlength=len(values)).astype(np.float64),
        )
    return Encoded(
        table,
        tuple(quasi_identifiers),
        tuple(quasi_identifiers.values()),
        leaves,
        encoded_sensitive,
    )


def _dictionary(column: pa.ChunkedArray) -> tuple[list[str], IntArray]:
    """Return the distinct value keys of a column and each record's index into them."""
    combined = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    encoded = combined.dictionary_encode()
    values = [value_key(v) for v in encoded.dictionary.to_pylist()]
    indices = encoded.indices.fill_null(len(values)).to_numpy(zero_copy_only=False)
    if encoded.indices.null_count:
        values.append("")
    # two dictionary entries may share a key (1 and 1.0): merge them
    distinct = list(dict.fromkeys(values))
    position = {v: i for i, v in enumerate(distinct)}
    remap = np.asarray([position[v] for v in values], dtype=np.int64)
    return distinct, remap[indices.astype(np.int64)]


def _order_key(value: str) -> tuple[int, float, str]:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)
