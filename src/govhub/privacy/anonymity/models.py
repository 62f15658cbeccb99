"""Privacy criteria as ARX defines them, evaluated for all equivalence classes at once.

Every criterion answers, per equivalence class, whether the class satisfies it; classes that do
not are suppressed, and a transformation is acceptable when at most the configured share of
records is suppressed. Sensitive-attribute criteria see each class as a histogram of the
attribute's values (one row per class, one column per value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from govhub.core.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class KAnonymity:
    """Every class holds at least `k` records."""

    k: int

    def __post_init__(self) -> None:
        if self.k < 1:
            raise InvalidInput("k must be at least 1", field="k")

    @property
    def attribute(self) -> None:
        """Return None: k-anonymity concerns no sensitive attribute."""
        return None

    def monotonic(self, suppression: float) -> bool:
        """Return True: the records in too-small classes never grow under generalization."""
        return True

    def check(
        self, sizes: FloatArray, histogram: FloatArray | None, overall: FloatArray | None
    ) -> BoolArray:
        """Return per class whether it holds at least k records."""
        return np.asarray(sizes >= self.k)

    def describe(self) -> dict[str, object]:
        """Return the criterion as JSON-ready parameters."""
        return {"criterion": "k-anonymity", "k": self.k}


@dataclass(frozen=True)
class DistinctLDiversity:
    """Every class holds at least `l` distinct values of the sensitive attribute."""

    attribute: str
    l: int  # noqa: E741 - the literature's name

    def __post_init__(self) -> None:
        if self.l < 1:
            raise InvalidInput("l must be at least 1", field="l")

    def monotonic(self, suppression: float) -> bool:
        """Return True: merging a diverse class with any class stays diverse."""
        return True

    def check(
        self, sizes: FloatArray, histogram: FloatArray | None, overall: FloatArray | None
    ) -> BoolArray:
        """Return per class whether it has at least l distinct sensitive values."""
        histogram = _required(histogram)
        return np.asarray((histogram > 0).sum(axis=1) >= self.l)

    def describe(self) -> dict[str, object]:
        """Return the criterion as JSON-ready parameters."""
        return {"criterion": "distinct-l-diversity", "attribute": self.attribute, "l": self.l}


@dataclass(frozen=True)
class RecursiveCLDiversity:
    """Recursive (c,l)-diversity: r1 < c * (r_l + ... + r_m) over the sorted value counts."""

    attribute: str
    c: float
    l: int  # noqa: E741

    def __post_init__(self) -> None:
        if self.l < 2 or self.c <= 0:
            raise InvalidInput("recursive (c,l)-diversity needs c > 0 and l >= 2", field="l")

    def monotonic(self, suppression: float) -> bool:
        """Return True only without suppression (a merged class may fail)."""
        return suppression == 0

    def check(
        self, sizes: FloatArray, histogram: FloatArray | None, overall: FloatArray | None
    ) -> BoolArray:
        """Return per class whether its most frequent value is rare enough."""
        histogram = _required(histogram)
        ranked = -np.sort(-histogram, axis=1)
        if ranked.shape[1] < self.l:
            return np.zeros(len(sizes), dtype=np.bool_)
        tail = ranked[:, self.l - 1 :].sum(axis=1)
        return np.asarray(ranked[:, 0] < self.c * tail)

    def describe(self) -> dict[str, object]:
        """Return the criterion as JSON-ready parameters."""
        return {
            "criterion": "recursive-(c,l)-diversity",
            "attribute": self.attribute,
            "c": self.c,
            "l": self.l,
        }


@dataclass(frozen=True)
class EntropyLDiversity:
    """The entropy of the sensitive values of every class is at least log(l)."""

    attribute: str
    l: float  # noqa: E741

    def __post_init__(self) -> None:
        if self.l < 1:
            raise InvalidInput("l must be at least 1", field="l")

    def monotonic(self, suppression: float) -> bool:
        """Return True only without suppression."""
        return suppression == 0

    def check(
        self, sizes: FloatArray, histogram: FloatArray | None, overall: FloatArray | None
    ) -> BoolArray:
        """Return per class whether its entropy reaches log(l)."""
        histogram = _required(histogram)
        p = histogram / np.maximum(histogram.sum(axis=1, keepdims=True), 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(p > 0, -p * np.log(p), 0.0)
        return np.asarray(terms.sum(axis=1) >= math.log(self.l) - 1e-12)

    def describe(self) -> dict[str, object]:
        """Return the criterion as JSON-ready parameters."""
        return {"criterion": "entropy-l-diversity", "attribute": self.attribute, "l": self.l}


@dataclass(frozen=True)
class TCloseness:
    """The Earth Mover's Distance from each class to the whole table is at most `t`.

    ``equal`` distance (categorical values) is half the L1 distance; ``ordered`` distance
    (ordinal or numeric values, in the attribute's order) is the mean absolute cumulative
    difference, divided by m - 1 for m values.
    """

    attribute: str
    t: float
    distance: Literal["equal", "ordered"] = "equal"

    def __post_init__(self) -> None:
        if not 0 <= self.t <= 1:
            raise InvalidInput("t must lie between 0 and 1", field="t")
        if self.distance not in ("equal", "ordered"):
            raise InvalidInput("distance is 'equal' or 'ordered'", field="distance")

    def monotonic(self, suppression: float) -> bool:
        """Return True only without suppression."""
        return suppression == 0

    def distances(self, histogram: FloatArray, overall: FloatArray) -> FloatArray:
        """Return the EMD of every class histogram to the overall distribution."""
        p = histogram / np.maximum(histogram.sum(axis=1, keepdims=True), 1)
        q = overall / max(float(overall.sum()), 1.0)
        if self.distance == "equal":
            return np.asarray(0.5 * np.abs(p - q).sum(axis=1))
        m = histogram.shape[1]
        if m <= 1:
            return np.zeros(len(histogram))
        return np.asarray(np.abs(np.cumsum(p - q, axis=1)).sum(axis=1) / (m - 1))

    def check(
        self, sizes: FloatArray, histogram: FloatArray | None, overall: FloatArray | None
    ) -> BoolArray:
        """Return per class whether its distance to the overall distribution is at most t."""
        distances = self.distances(_required(histogram), _required(overall))
        return np.asarray(distances <= self.t + 1e-12)

    def describe(self) -> dict[str, object]:
        """Return the criterion as JSON-ready parameters."""
        return {
            "criterion": "t-closeness",
            "attribute": self.attribute,
            "t": self.t,
            "distance": self.distance,
        }


def _required(values: FloatArray | None) -> FloatArray:
    """Return the histogram a sensitive-attribute criterion needs, or refuse."""
    if values is None:
        raise InvalidInput("this criterion needs the values of a sensitive attribute")
    return values


Criterion = KAnonymity | DistinctLDiversity | RecursiveCLDiversity | EntropyLDiversity | TCloseness

Metric = Literal["loss", "precision"]
