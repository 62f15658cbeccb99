"""Compile a grant's and a request's conditions into parameterized DuckDB SQL.

Column names are checked against the grant before they get here and are quoted as identifiers;
every value is a named parameter. Nothing a caller sends is ever spliced into the SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from govhub.data.exchange.schemas import Order
from govhub.data.sharing.schemas import Condition, Op
from govhub.identity.codes import division_prefix

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


def select_sql(
    statement: Statement,
    *,
    columns: Sequence[str],
    present: Iterable[str],
    conditions: Sequence[Condition],
    order: Sequence[Order] = (),
    limit: int | None = None,
    offset: int = 0,
) -> str:
    """Build the SELECT over the dataset file bound as `$path`.

    Granted columns missing from this dataset version come back as NULL, so a consumer's
    shape does not change with the owner's schema.
    """
    have = set(present)
    projection = ", ".join(quote(c) if c in have else f"NULL AS {quote(c)}" for c in columns)
    # Identifiers are checked against the grant and quoted; every value is a parameter.
    sql = f"SELECT {projection} FROM read_parquet($path, file_row_number = true)"  # noqa: S608
    if conditions:
        sql += " WHERE " + " AND ".join(condition_sql(c, statement) for c in conditions)
    if limit is not None:  # pages need a total order; exports keep the file's order
        keys = [f"{quote(o.field)} {'DESC' if o.descending else 'ASC'} NULLS LAST" for o in order]
        sql += " ORDER BY " + ", ".join([*keys, ROW_NUMBER])
        sql += f" LIMIT {statement.bind(limit)} OFFSET {statement.bind(offset)}"
    return sql
