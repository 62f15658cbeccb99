"""Scores per GB/T 36344 dimension, the weighted total and the five-level grade.

* A dimension's score is its checks' pass rate: 100 × (1 − Σ failed / Σ evaluated) over the
  checks of that dimension (100 when they evaluated nothing). Dimensions without checks are not
  scored and leave the total (their weight is shared out among the scored ones).
* Timeliness compares the age of the resource's latest dataset version with its declared
  update period: 100 while age ≤ period, then falling linearly to 0 at three periods.
* Accessibility is 100 when the version's stored object is present and readable as Parquet,
  else 0.
* Weights: normativity 20, completeness 20, accuracy 15, consistency 15, uniqueness 10,
  timeliness 10, accessibility 10.
* Grades on the weighted total: A ≥ 95, B ≥ 85, C ≥ 70, D ≥ 60, E below 60.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Protocol

from govhub.data.quality.rules import Dimension

WEIGHTS: dict[str, float] = {
    Dimension.NORMATIVITY: 20,
    Dimension.COMPLETENESS: 20,
    Dimension.ACCURACY: 15,
    Dimension.CONSISTENCY: 15,
    Dimension.UNIQUENESS: 10,
    Dimension.TIMELINESS: 10,
    Dimension.ACCESSIBILITY: 10,
}
GRADES: tuple[tuple[float, str], ...] = ((95, "A"), (85, "B"), (70, "C"), (60, "D"), (0, "E"))

PERIODS: dict[str, timedelta] = {
    "real_time": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "monthly": timedelta(days=31),
    "quarterly": timedelta(days=92),
    "annual": timedelta(days=366),
}


class Counted(Protocol):
    """Anything with a dimension and failing/evaluated counts (a check result)."""

    dimension: str
    failed: int
    evaluated: int


def dimension_scores(results: Iterable[Counted]) -> dict[str, float]:
    """Return 0..100 per dimension that has checks."""
    failed: dict[str, int] = {}
    evaluated: dict[str, int] = {}
    for result in results:
        failed[result.dimension] = failed.get(result.dimension, 0) + result.failed
        evaluated[result.dimension] = evaluated.get(result.dimension, 0) + result.evaluated
    return {
        dim: round(100.0 * (1 - failed[dim] / evaluated[dim]), 2) if evaluated[dim] else 100.0
        for dim in failed
    }


def total_score(scores: Mapping[str, float]) -> float:
    """Return the weighted total of the scored dimensions (100 when none is scored)."""
    weights = {dim: WEIGHTS.get(dim, 0) for dim in scores}
    weight = sum(weights.values())
    if not weight:
        return 100.0
    return round(sum(scores[dim] * w for dim, w in weights.items()) / weight, 2)


def grade_of(total: float) -> str:
    """Return the five-level grade (A..E) of a total score."""
    return next(grade for floor, grade in GRADES if total >= floor)


def timeliness_score(age: timedelta, frequency: str) -> float | None:
    """Return the timeliness score for data `age` old (None when no period is declared)."""
    period = PERIODS.get(frequency)
    if period is None:
        return None
    if age <= period:
        return 100.0
    late = (age - period) / (2 * period)
    return round(max(0.0, 100.0 * (1 - late)), 2)
