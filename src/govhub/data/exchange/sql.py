"""Compile a grant's and a request's conditions into parameterized DuckDB SQL.

Column names are checked against the grant before they get here and are quoted as identifiers;
every value is a named parameter. Nothing a caller sends is ever spliced into the SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govhub.data.exchange.schemas import ExportFormat, Order
from govhub.data.sharing.schemas import Condition, Op
from govhub.identity.codes import division_prefix
from govhub.privacy.masking import EMAIL_STARS, KEEP, MASK_CHAR, MaskStyle
from govhub.privacy.policy import FieldPolicy, Generalization, Treatment

ROW_NUMBER = "file_row_number"
COMPARISONS = {Op.EQ: "=", Op.NE: "<>", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}


def quote(name: str) -> str:
    """Quote a column name as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Statement:
    """SQL text with its named parameters."""

    params: dict[str, Any] = field(default_factory=dict)

    def bind(self, value: Any) -> str:
        """Add a parameter and return its placeholder."""
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"


def condition_sql(condition: Condition, statement: Statement) -> str:
    """Render one condition; NULL never satisfies a condition."""
    column = quote(condition.field)
    value = condition.value
    if condition.op in COMPARISONS:
        return f"{column} {COMPARISONS[condition.op]} {statement.bind(value)}"
    if isinstance(value, list):  # only `in` takes a list (checked by the schema)
        return f"{column} IN ({', '.join(statement.bind(v) for v in value)})"
    if condition.op is Op.WITHIN_DIVISION:
        value = division_prefix(str(value))
    return f"starts_with(CAST({column} AS VARCHAR), {statement.bind(str(value))})"


def mask_sql(column: str, style: MaskStyle) -> str:
    """Render `govhub.privacy.masking.mask` as a DuckDB expression (same result, in the engine)."""
    text = f"CAST({quote(column)} AS VARCHAR)"
    stars = f"repeat('{MASK_CHAR}', length({text}))"
    if style is MaskStyle.EMAIL:
        masked = f"regexp_replace({text}, '^([^@])[^@]*@', '\\1{EMAIL_STARS}@')"
        return f"CASE WHEN regexp_matches({text}, '^[^@]+@') THEN {masked} ELSE {stars} END"
    keep = KEEP[style]
    shown = keep.start + keep.end
    middle = f"repeat('{MASK_CHAR}', length({text}) - {shown})"
    kept = f"left({text}, {keep.start}) || {middle} || right({text}, {keep.end})"
    return f"CASE WHEN length({text}) <= {shown} THEN {stars} ELSE {kept} END"


def policy_sql(column: str, policy: FieldPolicy) -> str | None:
    """Render a field policy as a DuckDB expression, or None when it needs Python (keyed
    pseudonyms, age bands, division levels)."""
    if policy.treatment is Treatment.CLEAR:
        return quote(column)
    if policy.treatment is Treatment.MASK:
        return mask_sql(column, policy.mask_style)
    if policy.treatment is Treatment.GENERALIZE and policy.generalization in (
        Generalization.MONTH,
        Generalization.YEAR,
    ):
        pattern = "%Y-%m" if policy.generalization is Generalization.MONTH else "%Y"
        return f"strftime(CAST({quote(column)} AS DATE), '{pattern}')"
    return None


def select_sql(
    statement: Statement,
    *,
    columns: Sequence[str],
    present: Iterable[str],
    conditions: Sequence[Condition],
    order: Sequence[Order] = (),
    limit: int | None = None,
    offset: int = 0,
    expressions: Mapping[str, str] | None = None,
) -> str:
    """Build the SELECT over the dataset file bound as `$path`.

    Granted columns missing from this dataset version come back as NULL, so a consumer's
    shape does not change with the owner's schema; `expressions` replace columns by their
    privacy-transformed form (exports; a page transforms its few rows in Python). Sorting
    uses the stored values, which is why only clear fields may be sort keys.
    """
    have, rendered = set(present), expressions or {}

    def project(c: str) -> str:
        if c not in have:
            return f"NULL AS {quote(c)}"
        return f"{rendered[c]} AS {quote(c)}" if c in rendered else quote(c)

    projection = ", ".join(project(c) for c in columns)
    # Identifiers are checked against the grant and quoted; every value is a parameter.
    sql = f"SELECT {projection} FROM read_parquet($path, file_row_number = true)"  # noqa: S608
    if conditions:
        sql += " WHERE " + " AND ".join(condition_sql(c, statement) for c in conditions)
    if limit is not None:  # pages need a total order; exports keep the file's order
        keys = [f"{quote(o.field)} {'DESC' if o.descending else 'ASC'} NULLS LAST" for o in order]
        sql += " ORDER BY " + ", ".join([*keys, ROW_NUMBER])
        sql += f" LIMIT {statement.bind(limit)} OFFSET {statement.bind(offset)}"
    return sql


def json_rows_sql(select: str, columns: Sequence[str]) -> str:
    """Wrap a SELECT so that each row comes back as one JSON object, its keys in sorted order.

    DuckDB's `to_json` writes text, whole numbers, booleans, dates and NULL as `json.dumps`
    does (compact, UTF-8 unescaped), except for control characters other than the five with
    short escapes, whose `\\u00XX` it writes in upper case.
    """
    fields = ", ".join(f"{quote(c)} := {quote(c)}" for c in sorted(columns))
    return f"SELECT to_json(struct_pack({fields})) FROM ({select})"  # noqa: S608 - identifiers


COPY_OPTIONS = {
    ExportFormat.PARQUET: "(FORMAT parquet, COMPRESSION zstd)",
    ExportFormat.CSV: "(FORMAT csv, HEADER true)",
    ExportFormat.NDJSON: "(FORMAT json)",
}


def copy_sql(select: str, target: Path, fmt: ExportFormat) -> str:
    """Wrap a SELECT into a COPY to `target` (a path the platform made, quoted as a literal)."""
    literal = "'" + str(target).replace("'", "''") + "'"
    return f"COPY ({select}) TO {literal} {COPY_OPTIONS[fmt]}"
