"""Generalization hierarchies: each value with its coarser classes, level by level, up to ``*``.

A hierarchy is a table with one row per original value (level 0) and one column per level; the
last level is usually ``*`` (suppressed). Rows must nest: two values sharing a class at one level
share it at every higher level. Internally every level is an integer code per leaf, so that
generalizing a column is one ``numpy`` lookup.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt

from govhub.core.errors import InvalidInput
from govhub.identity.codes import DivisionLevel
from govhub.privacy.generalize import age_band, date_to_month, date_to_year, division_at

SUPPRESSED = "*"

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Hierarchy:
    """A generalization hierarchy over the values of one attribute."""

    name: str
    rows: tuple[tuple[str, ...], ...]
    leaves: tuple[str, ...] = field(init=False)
    leaf_index: dict[str, int] = field(init=False, repr=False)
    codes: tuple[IntArray, ...] = field(init=False, repr=False)
    labels: tuple[tuple[str, ...], ...] = field(init=False, repr=False)
    leaf_counts: tuple[IntArray, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.rows:
            raise InvalidInput(f"hierarchy {self.name!r} has no values", field=self.name)
        width = len(self.rows[0])
        if width < 1 or any(len(row) != width for row in self.rows):
            raise InvalidInput(
                f"hierarchy {self.name!r} rows must all have the same number of levels",
                field=self.name,
            )
        leaves = tuple(row[0] for row in self.rows)
        if len(set(leaves)) != len(leaves):
            raise InvalidInput(f"hierarchy {self.name!r} lists a value twice", field=self.name)
        codes: list[IntArray] = []
        labels: list[tuple[str, ...]] = []
        for level in range(width):
            names: dict[str, int] = {}
            column = np.fromiter(
                (names.setdefault(row[level], len(names)) for row in self.rows),
                dtype=np.int64,
                count=len(self.rows),
            )
            codes.append(column)
            labels.append(tuple(names))
        for level in range(1, width):
            # nesting: every class at level-1 maps to exactly one class at `level`
            pairs = np.unique(np.stack([codes[level - 1], codes[level]]), axis=1)
            if pairs.shape[1] != len(labels[level - 1]):
                raise InvalidInput(
                    f"hierarchy {self.name!r} does not nest at level {level}", field=self.name
                )
        object.__setattr__(self, "leaves", leaves)
        object.__setattr__(self, "leaf_index", {v: i for i, v in enumerate(leaves)})
        object.__setattr__(self, "codes", tuple(codes))
        object.__setattr__(self, "labels", tuple(labels))
        object.__setattr__(
            self,
            "leaf_counts",
            tuple(np.bincount(c, minlength=len(lab)) for c, lab in zip(codes, labels, strict=True)),
        )

    @property
    def height(self) -> int:
        """Return the number of levels, level 0 (the values themselves) included."""
        return len(self.codes)

    def cardinality(self, level: int) -> int:
        """Return the number of distinct classes at `level`."""
        return len(self.labels[level])

    def encode(self, values: Iterable[object]) -> IntArray:
        """Return the leaf index of every value; a value the hierarchy lacks is InvalidInput."""
        index = self.leaf_index
        out: list[int] = []
        for value in values:
            key = "" if value is None else str(value)
            position = index.get(key)
            if position is None:
                raise InvalidInput(
                    f"value of {self.name!r} is missing from its hierarchy", field=self.name
                )
            out.append(position)
        return np.asarray(out, dtype=np.int64)

    def mapping(self, source: int, target: int) -> IntArray:
        """Return the array mapping a class code at level `source` to its class at `target`."""
        if not 0 <= source <= target < self.height:
            raise InvalidInput(f"levels {source}->{target} are outside {self.name!r}")
        out = np.zeros(self.cardinality(source), dtype=np.int64)
        out[self.codes[source]] = self.codes[target]
        return out

    def generalize(self, leaf_codes: IntArray, level: int) -> list[str]:
        """Return the labels at `level` of the given leaf codes."""
        names = self.labels[level]
        return [names[c] for c in self.codes[level][leaf_codes].tolist()]

    def loss(self, level: int) -> npt.NDArray[np.float64]:
        """Return per leaf the loss of its class at `level`: (leaves in class - 1)/(leaves - 1)."""
        total = len(self.leaves)
        if total <= 1:
            return np.zeros(total, dtype=np.float64)
        sizes = self.leaf_counts[level][self.codes[level]]
        return np.asarray((sizes - 1) / (total - 1), dtype=np.float64)


def from_rows(name: str, rows: Iterable[Sequence[str]]) -> Hierarchy:
    """Build a hierarchy from rows ``value, level1, ..., levelN``."""
    return Hierarchy(name, tuple(tuple(str(v) for v in row) for row in rows))


def load_csv(path: str | Path, name: str | None = None, *, delimiter: str = ";") -> Hierarchy:
    """Load an ARX-style hierarchy CSV (``value;level1;...;*`` per line, no header)."""
    file = Path(path)
    with file.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle, delimiter=delimiter) if row]
    return from_rows(name or file.stem, rows)


def suppression(name: str, values: Iterable[object]) -> Hierarchy:
    """Build the two-level hierarchy: the value, then ``*``."""
    return from_rows(name, [(v, SUPPRESSED) for v in _distinct(values)])


def ages(name: str, values: Iterable[int], widths: Sequence[int] = (5, 10, 20)) -> Hierarchy:
    """Build age -> bands of each width (each a multiple of the previous) -> ``*``."""
    _check_widths(widths)
    rows = []
    for age in sorted({int(v) for v in values}):
        if age < 0:
            raise InvalidInput("an age cannot be negative", field=name)
        rows.append((str(age), *(age_band(age, w) for w in widths), SUPPRESSED))
    return from_rows(name, rows)


def intervals(name: str, values: Iterable[float], widths: Sequence[float]) -> Hierarchy:
    """Build number -> ``[low, high)`` ranges of each width (nested multiples) -> ``*``."""
    _check_widths(widths)
    rows = []
    for value in sorted({float(v) for v in values}):
        bands = []
        for w in widths:
            low = np.floor(value / w) * w
            bands.append(f"[{_num(low)}, {_num(low + w)})")
        rows.append((_num(value), *bands, SUPPRESSED))
    return from_rows(name, rows)


DIVISION_LEVELS = (
    DivisionLevel.TOWNSHIP,
    DivisionLevel.COUNTY,
    DivisionLevel.CITY,
    DivisionLevel.PROVINCE,
)


def divisions(name: str, codes: Iterable[str]) -> Hierarchy:
    """Build division code -> township -> county -> city -> province (GB/T 2260) -> ``*``."""
    rows = []
    for code in _distinct(codes):
        try:
            rows.append((code, *(division_at(code, lv) for lv in DIVISION_LEVELS), SUPPRESSED))
        except ValueError as exc:
            raise InvalidInput(f"{name!r} holds a malformed division code", field=name) from exc
    return from_rows(name, rows)


def dates(name: str, values: Iterable[date]) -> Hierarchy:
    """Build date -> ``YYYY-MM`` -> ``YYYY`` -> ``*``."""
    days = sorted(set(values))
    return from_rows(
        name, [(d.isoformat(), date_to_month(d), date_to_year(d), SUPPRESSED) for d in days]
    )


def _distinct(values: Iterable[object]) -> list[str]:
    return sorted({"" if v is None else str(v) for v in values})


def _check_widths(widths: Sequence[float]) -> None:
    if not widths or any(w <= 0 for w in widths):
        raise InvalidInput("band widths must be positive")
    for small, large in itertools.pairwise(widths):
        if large <= small or (large / small) != int(large / small):
            raise InvalidInput("each band width must be a multiple of the previous one")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
