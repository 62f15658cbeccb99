"""The columns of a release: which are direct identifiers, quasi-identifiers or sensitive (as
suggested from the standards mapping and PII detection), and a generalization hierarchy for each
quasi-identifier built from its values."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from govhub.core.errors import InvalidInput
from govhub.privacy.anonymity import hierarchies
from govhub.privacy.anonymity.dataset import value_key
from govhub.privacy.anonymity.hierarchies import SUPPRESSED, Hierarchy
from govhub.privacy.detect import ELEMENT_CATEGORY, SAMPLE_ROWS, detect

# Data elements that describe a person without naming them (they identify in combination).
QUASI_ELEMENTS = frozenset({"division_code", "gender_code", "date", "postal_code"})
_QUASI_NAMES = re.compile(
    r"^(age|nl|sex|gender|xb|birth.*|csrq|zip|postcode|yb|yzbm|xzqh.*|qhdm|division.*)$", re.I
)
_SENSITIVE_NAMES = re.compile(
    r"^(disease|diagnosis|jb|jbmc|zd|income|salary|sr|occupation|zy|religion)$", re.I
)
KINDS = ("suppression", "age", "interval", "division", "date", "rows")


@dataclass(frozen=True)
class Suggestion:
    """The suggested roles of a dataset's columns."""

    direct_identifiers: list[str]
    quasi_identifiers: list[str]
    sensitive: list[str]
    kinds: dict[str, str]


def personal_columns(fields: Sequence[dict[str, Any]], table: pa.Table) -> set[str]:
    """Return the columns the catalog marks personal, maps to a personal element, or whose
    sampled values look personal."""
    found = {
        str(f["name"])
        for f in fields
        if f.get("is_personal") or f.get("element_code") in ELEMENT_CATEGORY
    }
    found |= {finding.column for finding in detect(table.slice(0, SAMPLE_ROWS))}
    return found & set(table.column_names)


def suggest(fields: Sequence[dict[str, Any]], table: pa.Table) -> Suggestion:
    """Suggest each column's role and the hierarchy kind of each quasi-identifier."""
    personal = personal_columns(fields, table)
    elements = {str(f["name"]): str(f.get("element_code") or "") for f in fields}
    quasi, sensitive, direct = [], [], []
    for name in table.column_names:
        element = elements.get(name, "")
        if name in personal and element not in QUASI_ELEMENTS:
            direct.append(name)
        elif element in QUASI_ELEMENTS or _QUASI_NAMES.match(name):
            quasi.append(name)
        elif _SENSITIVE_NAMES.match(name):
            sensitive.append(name)
    kinds = {name: default_kind(table.column(name), elements.get(name, ""), name) for name in quasi}
    return Suggestion(direct, quasi, sensitive, kinds)


def default_kind(column: pa.ChunkedArray, element: str, name: str) -> str:
    """Return the hierarchy kind that fits a column's type, element and name."""
    kind = column.type
    if element == "division_code" or re.match(r"^(xzqh.*|qhdm|division.*)$", name, re.I):
        return "division"
    if element in ("gender_code", "postal_code"):
        return "suppression"
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind) or element == "date":
        return "date"
    if pa.types.is_integer(kind) and re.match(r"^(age|nl)$", name, re.I):
        return "age"
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "interval"
    return "suppression"


def build(
    name: str, column: pa.ChunkedArray, kind: str, *, widths: Sequence[float] | None = None,
    rows: Sequence[Sequence[str]] | None = None,
) -> Hierarchy:  # fmt: skip
    """Build the hierarchy of one quasi-identifier from its values."""
    values = [v for v in column.to_pylist() if v is not None]
    has_null = column.null_count > 0
    try:
        if kind == "rows":
            if not rows:
                raise InvalidInput(f"give the rows of {name!r}'s hierarchy", field=name)
            return hierarchies.from_rows(name, rows)
        if kind == "age":
            ages = [int(w) for w in widths] if widths else [5, 10, 20]
            built = hierarchies.ages(name, [int(v) for v in values], ages)
        elif kind == "interval":
            numbers = [float(v) for v in values]
            built = hierarchies.intervals(name, numbers, widths or _widths(numbers))
        elif kind == "division":
            built = hierarchies.divisions(name, [str(v) for v in values])
        elif kind == "date":
            days = [v.date() if isinstance(v, datetime) else v for v in values]
            if not all(isinstance(d, date) for d in days):
                days = [date.fromisoformat(str(d)[:10]) for d in days]
            built = hierarchies.dates(name, days)
        elif kind == "suppression":
            built = hierarchies.suppression(name, [value_key(v) for v in values])
        else:
            raise InvalidInput(f"unknown hierarchy kind {kind!r}; use one of {KINDS}", field=name)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name!r} does not fit a {kind} hierarchy", field=name) from exc
    if not built.rows:
        raise InvalidInput(f"{name!r} has no values", field=name)
    if has_null and "" not in built.leaf_index:
        width = len(built.rows[0])
        built = hierarchies.from_rows(name, [*built.rows, ("",) * (width - 1) + (SUPPRESSED,)])
    return built


def _widths(numbers: Sequence[float]) -> tuple[float, ...]:
    """Return nested band widths for numbers: a round step, five and ten times it."""
    spread = max(numbers) - min(numbers) if numbers else 0.0
    if spread <= 0:
        return (1.0, 5.0, 10.0)
    step = 10.0 ** math.floor(math.log10(spread / 10)) if spread >= 10 else 1.0
    return (step, step * 5, step * 10)
