"""Mondrian multidimensional local recoding (LeFevre, DeWitt and Ramakrishnan, 2006).

Full-domain generalization recodes every value of an attribute to the same level; local
recoding instead cuts the records, top-down, into boxes of at least k records and generalizes
each box only as far as its own records need. Each quasi-identifier is ordered: numerically
when all its values are numbers (a box then covers a range of them), else in the order of its
hierarchy's rows (a box then covers the set of values it holds). A box is cut on the attribute
it spans most widely (normalized), at the median; a cut is allowed when both halves satisfy
every criterion (k, l-diversity, t-closeness on the halves' sensitive values). Boxes that no
allowed cut divides are the equivalence classes. Nothing is suppressed.

The loss is ARX's Loss metric applied to the boxes: per record and attribute, the number of
hierarchy values the box covers, minus one, over the number of values minus one; averaged.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from govhub.core.errors import InvalidInput
from govhub.privacy.anonymity.dataset import Encoded, encode
from govhub.privacy.anonymity.hierarchies import SUPPRESSED, Hierarchy
from govhub.privacy.anonymity.models import Criterion, KAnonymity
from govhub.privacy.anonymity.release import Release, ReleaseReport
from govhub.privacy.anonymity.risk import assess

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class _Axis:
    """One quasi-identifier as Mondrian sees it: a rank per record, and how to label a box."""

    name: str
    ranks: IntArray  # per record: position of its value in the attribute's order
    ordered: tuple[str, ...]  # the hierarchy's values in that order
    numeric: bool

    @property
    def size(self) -> int:
        return len(self.ordered)

    def covered(self, ranks: IntArray) -> int:
        """Return how many values a box with these ranks covers."""
        if self.numeric:
            return int(ranks.max() - ranks.min()) + 1
        return int(np.count_nonzero(np.bincount(ranks, minlength=self.size)))

    def label(self, ranks: IntArray) -> str:
        """Return the generalized value of a box."""
        low, high = int(ranks.min()), int(ranks.max())
        if low == high:
            return self.ordered[low]
        if self.numeric:
            if low == 0 and high == self.size - 1:
                return SUPPRESSED
            return f"[{self.ordered[low]}, {self.ordered[high]}]"
        distinct = np.unique(ranks)
        if distinct.size == self.size:
            return SUPPRESSED
        return "{" + ",".join(self.ordered[int(r)] for r in distinct) + "}"


@dataclass(frozen=True)
class Partitioning:
    """The equivalence classes Mondrian found (record indices each) and their loss."""

    classes: list[IntArray]
    loss: float
    seconds: float


def _axes(encoded: Encoded) -> list[_Axis]:
    out = []
    for a, (name, hierarchy) in enumerate(
        zip(encoded.quasi_identifiers, encoded.hierarchies, strict=True)
    ):
        leaves = hierarchy.leaves
        numbers = []
        for value in leaves:
            try:
                numbers.append(float(value))
            except ValueError:
                break
        numeric = len(numbers) == len(leaves)
        order = sorted(range(len(leaves)), key=lambda i: numbers[i]) if numeric else None
        order = order if order is not None else list(range(len(leaves)))
        rank = np.empty(len(leaves), dtype=np.int64)
        rank[order] = np.arange(len(leaves))
        out.append(
            _Axis(name, rank[encoded.leaves[:, a]], tuple(leaves[i] for i in order), numeric)
        )
    return out


def _allowed(encoded: Encoded, criteria: Sequence[Criterion], rows: IntArray) -> bool:
    sizes = np.asarray([float(len(rows))])
    for criterion in criteria:
        histogram = overall = None
        if criterion.attribute is not None:
            sensitive = encoded.sensitive[criterion.attribute]
            counts = np.bincount(sensitive.codes[rows], minlength=len(sensitive.values))
            histogram = counts.astype(np.float64)[None, :]
            overall = sensitive.overall
        if not bool(criterion.check(sizes, histogram, overall)[0]):
            return False
    return True


def _check_criteria(encoded: Encoded, criteria: Sequence[Criterion]) -> None:
    if not any(isinstance(c, KAnonymity) for c in criteria):
        raise InvalidInput("local recoding needs a k-anonymity criterion", field="k")
    for criterion in criteria:
        if criterion.attribute is not None and criterion.attribute not in encoded.sensitive:
            raise InvalidInput(
                f"{criterion.attribute!r} is not a sensitive attribute of the table",
                field=criterion.attribute,
            )


def partition(encoded: Encoded, criteria: Sequence[Criterion]) -> Partitioning:
    """Cut the records into Mondrian boxes that each satisfy every criterion."""
    _check_criteria(encoded, criteria)
    started = time.perf_counter()
    axes = _axes(encoded)
    everyone = np.arange(encoded.size, dtype=np.int64)
    if not _allowed(encoded, criteria, everyone):
        raise InvalidInput("even the whole table does not satisfy the criteria")
    done: list[IntArray] = []
    pending = [everyone]
    while pending:
        rows = pending.pop()
        widths = []
        for a, axis in enumerate(axes):
            if axis.size > 1:
                widths.append(((axis.covered(axis.ranks[rows]) - 1) / (axis.size - 1), a))
        widths.sort(reverse=True)
        for _, a in (w for w in widths if w[0] > 0):
            cut = _cut(encoded, criteria, rows, axes[a].ranks[rows])
            if cut is not None:
                pending.extend(cut)
                break
        else:
            done.append(rows)
    total = 0.0
    for rows in done:
        for axis in axes:
            if axis.size > 1:
                total += len(rows) * (axis.covered(axis.ranks[rows]) - 1) / (axis.size - 1)
    loss = total / (encoded.size * len(axes))
    return Partitioning(done, loss, time.perf_counter() - started)


def _cut(
    encoded: Encoded, criteria: Sequence[Criterion], rows: IntArray, ranks: IntArray
) -> tuple[IntArray, IntArray] | None:
    """Return the two halves of a median cut on `ranks`, or None when no cut is allowed."""
    median = int(np.sort(ranks)[len(ranks) // 2])
    for left_mask in (ranks < median, ranks <= median):
        left, right = rows[left_mask], rows[~left_mask]
        if len(left) == 0 or len(right) == 0:
            continue
        if _allowed(encoded, criteria, left) and _allowed(encoded, criteria, right):
            return left, right
    return None


def anonymize_local(
    data: Any,
    quasi_identifiers: Mapping[str, Hierarchy],
    criteria: Sequence[Criterion],
    *,
    risk_threshold: float = 0.2,
) -> Release:
    """Recode `data` locally with Mondrian so that it satisfies `criteria`, and report on it."""
    if not criteria:
        raise InvalidInput("choose at least one privacy criterion")
    sensitive = [c.attribute for c in criteria if c.attribute is not None]
    encoded = encode(data, quasi_identifiers, sensitive)
    found = partition(encoded, criteria)
    axes = _axes(encoded)
    table = encoded.table
    for axis in axes:
        values = np.empty(encoded.size, dtype=object)
        for rows in found.classes:
            values[rows] = axis.label(axis.ranks[rows])
        column = pa.array(values.tolist(), pa.string())
        table = table.set_column(table.column_names.index(axis.name), axis.name, column)
    sizes = np.asarray([len(rows) for rows in found.classes], dtype=np.float64)
    risk = assess(sizes, threshold=risk_threshold)
    report = ReleaseReport(
        records=encoded.size,
        released=encoded.size,
        suppressed=0,
        suppression_limit=0.0,
        levels={},
        level_labels=dict.fromkeys(encoded.quasi_identifiers, "local recoding"),
        criteria=[c.describe() for c in criteria],
        metric="loss",
        loss=found.loss,
        precision=found.loss,
        discernibility=float((sizes**2).sum()),
        average_class_size=float(sizes.mean()),
        classes=len(found.classes),
        risk=risk,
        search={"algorithm": "mondrian", "seconds": round(found.seconds, 6)},
    )
    return Release(table, report)
