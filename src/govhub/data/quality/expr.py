"""The restricted boolean expressions of declared checks (`expr`), parsed and vetted with sqlglot.

An expression may use the dataset's columns, literals, comparison, boolean logic, arithmetic,
IS NULL, IN (a list), BETWEEN, LIKE, CASE, CAST and a small allow-list of scalar functions.
Anything else (subqueries, table references, qualified columns, parameters, unknown or
table-valued functions, statements) is refused with `InvalidInput`, so a rule can never read
another table or run a command. The vetted tree is embedded as a tree into the engine's
queries: user text never reaches SQL as text.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from govhub.core.errors import InvalidInput

DIALECT = "duckdb"
# sqlglot imports a dialect's module when it is first used: load it with this module rather
# than within the first request that parses a rule.
Dialect.get_or_raise(DIALECT)

_ALLOWED: tuple[type[exp.Expr], ...] = (
    # operands
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Tuple,
    exp.DataType, exp.Neg,
    # logic and comparison
    exp.And, exp.Or, exp.Not, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is,
    exp.In, exp.Between, exp.Like, exp.ILike, exp.NullSafeEQ, exp.NullSafeNEQ,
    # arithmetic and text
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.DPipe, exp.Concat,
    # CASE and casts
    exp.Case, exp.If, exp.Cast, exp.TryCast, exp.Coalesce, exp.Nullif,
    # scalar functions
    exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.Length, exp.Lower, exp.Upper, exp.Trim,
    exp.Substring, exp.StrPosition, exp.RegexpLike, exp.CurrentDate, exp.Year, exp.Month,
    exp.Day, exp.Greatest, exp.Least,
)  # fmt: skip
_TYPES = frozenset(
    {
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.TEXT,
        exp.DataType.Type.INT,
        exp.DataType.Type.BIGINT,
        exp.DataType.Type.DOUBLE,
        exp.DataType.Type.DECIMAL,
        exp.DataType.Type.DATE,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.BOOLEAN,
    }
)
_PREDICATES = (
    exp.And, exp.Or, exp.Not, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In,
    exp.Between, exp.Like, exp.ILike, exp.NullSafeEQ, exp.NullSafeNEQ, exp.RegexpLike,
    exp.Boolean, exp.Paren, exp.Case, exp.If, exp.Coalesce,
)  # fmt: skip


def _refuse(detail: str) -> InvalidInput:
    return InvalidInput(f"the check expression is not allowed: {detail}", field="expr")


def parse_expr(text: str) -> exp.Expr:
    """Parse and vet a check expression; return its sqlglot tree or raise `InvalidInput`."""
    if "\x00" in text or ";" in text:
        raise _refuse("one expression, without statement separators")
    try:
        parsed = sqlglot.parse(text, dialect=DIALECT)
    except SqlglotError as exc:
        message = str(exc).splitlines()[0][:200]
        raise InvalidInput(
            f"the check expression does not parse: {message}", field="expr"
        ) from None
    if len(parsed) != 1 or parsed[0] is None:
        raise _refuse("exactly one expression")
    tree = parsed[0]
    for node in tree.walk():
        if not isinstance(node, _ALLOWED):
            raise _refuse(f"{node.key.upper()} is not permitted")
        if isinstance(node, exp.Column) and (node.table or node.args.get("db")):
            raise _refuse("columns of other tables")
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Identifier):
            raise _refuse("only plain column names")
        if isinstance(node, exp.DataType) and node.this not in _TYPES:
            raise _refuse(f"the type {node.sql(DIALECT)}")
        if isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest")):
            raise _refuse("subqueries")
    unwrapped = tree.unnest() if isinstance(tree, exp.Paren) else tree
    if not isinstance(unwrapped, _PREDICATES):
        raise _refuse("the expression must be a condition (true passes, false fails)")
    return tree


def validate_expr(text: str) -> None:
    """Raise `ValueError` when `text` is not an acceptable check expression (for schemas)."""
    try:
        parse_expr(text)
    except InvalidInput as exc:
        raise ValueError(exc.detail) from None


def columns_of(tree: exp.Expr) -> set[str]:
    """Return the column names an expression uses."""
    return {node.name for node in tree.find_all(exp.Column)}
