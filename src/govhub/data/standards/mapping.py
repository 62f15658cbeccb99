"""Suggest data elements for the columns of a table from their names and sample values.

Two kinds of evidence, each a number in [0, 1]:

* the **name**: the column's normalised name equals a synonym of the element (Chinese, pinyin
  initials such as `sfzh`, or English such as `id_number`) → 0.9; one contains the other → 0.6;
* the **values**: the share of non-empty samples passing the element's check, scaled by how
  specific the check is (`value_weight`: a valid ID number is unmistakable, six digits are not).

They combine as independent evidence, `1 - (1 - name) * (1 - values)`, so agreement of both
gives the highest confidence. Pure: the caller supplies the elements and their checks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from govhub.data.standards.validators import Check, failing_indices

EXACT_NAME = 0.9
PARTIAL_NAME = 0.6
MIN_CONFIDENCE = 0.3
MIN_PASS_SHARE = 0.8
TOP = 3

_SEPARATORS = re.compile(r"[\s_\-./()（）]+")


@dataclass(frozen=True, slots=True)
class ElementProfile:
    """What the suggester knows of one element."""

    code: str
    names: tuple[str, ...]
    check: Check | None
    value_weight: float


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One candidate element for a column, with the evidence behind it."""

    element_code: str
    confidence: float
    name_score: float
    value_score: float


def normalize_name(name: str) -> str:
    """Lower-case a column name and drop separators (`ID_Number` → `idnumber`)."""
    return _SEPARATORS.sub("", name.strip().lower())


def name_score(column: str, names: Sequence[str]) -> float:
    """Score how well a column name matches any of an element's names."""
    key = normalize_name(column)
    if not key:
        return 0.0
    best = 0.0
    for name in names:
        candidate = normalize_name(name)
        if not candidate:
            continue
        if candidate == key:
            return EXACT_NAME
        shorter = min(len(candidate), len(key))
        # Containment counts only for names long enough not to match by accident.
        long_enough = (shorter >= 2 and not candidate.isascii()) or shorter >= 4
        if long_enough and (candidate in key or key in candidate):
            best = PARTIAL_NAME
    return best


def value_score(samples: Sequence[object], check: Check | None, weight: float) -> float:
    """Score how well the sample values fit an element's check."""
    if check is None:
        return 0.0
    present = [s for s in samples if s is not None and s != ""]
    if not present:
        return 0.0
    share = 1 - len(failing_indices(present, check)) / len(present)
    return round(share * weight, 4) if share >= MIN_PASS_SHARE else 0.0


def suggest(
    column: str, samples: Sequence[object], elements: Sequence[ElementProfile]
) -> list[Suggestion]:
    """Return up to three candidate elements for one column, most confident first."""
    found: list[Suggestion] = []
    for element in elements:
        by_name = name_score(column, element.names)
        by_value = value_score(samples, element.check, element.value_weight)
        confidence = round(1 - (1 - by_name) * (1 - by_value), 4)
        if confidence >= MIN_CONFIDENCE:
            found.append(Suggestion(element.code, confidence, by_name, by_value))
    found.sort(key=lambda s: (-s.confidence, s.element_code))
    return found[:TOP]
