"""Compile a `RuleSet` into checks: named sqlglot conditions over the table `dataset`.

A row check carries `fail`, a condition TRUE on the rows that fail it, and `scope`, the rows it
evaluates (None: every row). Key uniqueness, the expected record count and agreement with an
authoritative dataset are checks of their own kinds, run by the engine as separate queries.
Reference datasets are the tables `ref_<name>`. Column names enter the trees as quoted
identifiers and user values as literals, so the trees transpile to other engines and no user
text is ever spliced into SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from sqlglot import exp

from govhub.core.errors import InvalidInput
from govhub.data.quality.elements import (
    ElementSpec,
    date_ok,
    datetime_ok,
    element_ok,
    full_match,
    lit,
)
from govhub.data.quality.expr import columns_of, parse_expr
from govhub.data.quality.rules import Agreement, CheckRule, Dimension, FieldRule, RuleSet, ValueType

Kind = Literal["row", "unique", "expected", "agreement"]
DATASET = "dataset"
DIVISIONS = "divisions"


def ref_table(name: str) -> str:
    """Return the table name a reference dataset is registered under."""
    return f"ref_{name}"


@dataclass
class Check:
    """One compiled check."""

    name: str
    dimension: Dimension
    kind: Kind = "row"
    fail: exp.Expr | None = None
    scope: exp.Expr | None = None
    columns: tuple[str, ...] = ()
    error: str | None = None
    agreement: Agreement | None = None
    extra: dict[str, int] = field(default_factory=dict)


def col(name: str, table: str | None = None) -> exp.Column:
    """Return a quoted column reference."""
    return exp.column(name, table=table, quoted=True)


def not_null(value: exp.Expr) -> exp.Expr:
    """Return `value IS NOT NULL`."""
    return exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null()))


def _fails(value: exp.Expr, ok: exp.Expr) -> exp.Expr:
    """A non-null value fails when `ok` is not TRUE for it."""
    return exp.and_(not_null(value), exp.Not(this=exp.Coalesce(this=ok, expressions=[exp.false()])))


def _text(column: exp.Expr, duck_type: str) -> exp.Expr:
    if duck_type.upper() == "VARCHAR":
        return column
    return exp.cast(column, "VARCHAR")


_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")


def _type_fail(c: exp.Expr, v: exp.Expr, want: ValueType, t: str) -> exp.Expr:
    upper = t.upper()
    if want is ValueType.STRING:
        return exp.false()
    if want is ValueType.INTEGER:
        if upper in _NUMERIC[:5] or upper.startswith("UINT"):
            return exp.false()
        return _fails(c, not_null(exp.TryCast(this=v.copy(), to=exp.DataType.build("BIGINT"))))
    if want is ValueType.NUMBER:
        if upper.startswith(_NUMERIC) or upper.startswith("UINT"):
            return exp.false()
        return _fails(c, not_null(exp.TryCast(this=v.copy(), to=exp.DataType.build("DOUBLE"))))
    if want is ValueType.BOOLEAN:
        if upper == "BOOLEAN":
            return exp.false()
        return _fails(c, not_null(exp.TryCast(this=v.copy(), to=exp.DataType.build("BOOLEAN"))))
    if want is ValueType.DATE:
        return exp.false() if upper == "DATE" else _fails(c, date_ok(v))
    return exp.false() if upper.startswith("TIMESTAMP") else _fails(c, datetime_ok(v))


def _number(c: exp.Expr) -> exp.Expr:
    return exp.TryCast(this=c.copy(), to=exp.DataType.build("DOUBLE"))


def _field_checks(
    name: str,
    rule: FieldRule,
    duck_type: str | None,
    elements: Mapping[str, ElementSpec],
    divisions: exp.Expr | None,
    native: bool,
) -> list[Check]:
    checks: list[Check] = []
    wanted: list[tuple[str, Dimension]] = []
    if rule.required:
        wanted.append(("required", Dimension.COMPLETENESS))
    for part in ("element", "type", "pattern", "enum", "max_length", "minimum", "maximum"):
        if getattr(rule, part) is not None:
            wanted.append((part, Dimension.NORMATIVITY))
    if duck_type is None:
        return [
            Check(f"{name}.{part}", dim, columns=(name,), error=f"the dataset has no column {name}")
            for part, dim in wanted
        ]
    c = col(name)
    v = _text(c, duck_type)
    for part, dim in wanted:
        check = Check(f"{name}.{part}", dim, columns=(name,), scope=not_null(c))
        if part == "required":
            check.scope = None
        check.fail = _field_fail(part, name, rule, c, v, duck_type, elements, divisions, native)
        checks.append(check)
    return checks


def _field_fail(
    part: str,
    name: str,
    rule: FieldRule,
    c: exp.Expr,
    v: exp.Expr,
    duck_type: str,
    elements: Mapping[str, ElementSpec],
    divisions: exp.Expr | None,
    native: bool = False,
) -> exp.Expr:
    """Return the failure condition of one part of a field rule (set, as its caller checked)."""
    value = getattr(rule, part)
    if part == "required":
        return exp.Is(this=c.copy(), expression=exp.Null())
    if part == "element":
        spec = elements.get(value)
        if spec is None:
            raise InvalidInput(f"no data element {value}", field=f"fields.{name}.element")
        return _fails(c, element_ok(spec, v, divisions, native=native))
    if part == "type":
        return _type_fail(c, v, value, duck_type)
    if part == "pattern":
        return _fails(c, full_match(v, value))
    if part == "enum":
        return _fails(c, exp.In(this=v.copy(), expressions=[lit(x) for x in value]))
    if part == "max_length":
        return exp.GT(this=exp.Length(this=v.copy()), expression=lit(value))
    if part == "minimum":
        return exp.LT(this=_number(c), expression=exp.convert(value))
    return exp.GT(this=_number(c), expression=exp.convert(value))


def _try_casts(tree: exp.Expr) -> exp.Expr:
    """Turn CAST into TRY_CAST, so a bad value makes NULL (a pass), never a failed query."""

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Cast) and not isinstance(node, exp.TryCast):
            return exp.TryCast(this=node.this, to=node.args["to"])
        return node

    return tree.transform(swap)


def compile_checks(
    rules: RuleSet,
    columns: Mapping[str, str],
    references: Mapping[str, Mapping[str, str]],
    elements: Mapping[str, ElementSpec],
    *,
    native: bool = False,
) -> list[Check]:
    """Compile `rules` against a dataset's columns (name → DuckDB type) and reference schemas.

    `native`: call the vectorized validators of `vectorized` (DuckDB's fast path) where a
    data element has one; without it every condition is portable SQL."""
    lookup = {name.casefold(): (name, kind) for name, kind in columns.items()}

    def resolve(name: str) -> tuple[str, str] | None:
        return lookup.get(name.casefold())

    divisions = None
    if "code" in {c.casefold() for c in references.get(DIVISIONS, {})}:
        divisions = exp.select(exp.cast(col("code"), "VARCHAR")).from_(ref_table(DIVISIONS))
    checks: list[Check] = []
    for name, rule in rules.fields.items():
        found = resolve(name)
        actual, kind = found if found else (name, None)
        checks.extend(_field_checks(actual, rule, kind, elements, divisions, native))
    if rules.keys:
        check = Check("keys.unique", Dimension.UNIQUENESS, kind="unique", columns=tuple(rules.keys))
        missing = [k for k in rules.keys if resolve(k) is None]
        if missing:
            check.error = f"the dataset has no column {missing[0]}"
        else:
            check.columns = tuple(resolve(k)[0] for k in rules.keys)  # type: ignore[index]
        checks.append(check)
    if rules.expected_rows is not None:
        checks.append(
            Check("records.expected", Dimension.COMPLETENESS, kind="expected",
                  extra={"expected": rules.expected_rows})
        )  # fmt: skip
    for declared in rules.checks:
        checks.append(_declared(declared, resolve, references))
    return checks


Resolver = Callable[[str], tuple[str, str] | None]


def _declared(
    declared: CheckRule, resolve: Resolver, references: Mapping[str, Mapping[str, str]]
) -> Check:
    check = Check(declared.name, declared.dimension)
    if declared.expr is not None:
        tree = _try_casts(parse_expr(declared.expr))
        used = sorted(columns_of(tree))
        missing = [c for c in used if resolve(c) is None]
        check.columns = tuple(used)
        if missing:
            check.error = f"the dataset has no column {missing[0]}"
            return check
        check.fail = exp.Not(this=exp.Coalesce(this=exp.Paren(this=tree), expressions=[exp.true()]))
        return check
    if declared.reference is not None:
        ref = declared.reference
        check.columns = (ref.field,)
        ref_cols = {c.casefold(): c for c in references.get(ref.dataset, {})}
        found = resolve(ref.field)
        if ref.dataset not in references:
            check.error = f"no reference dataset {ref.dataset}"
        elif ref.key.casefold() not in ref_cols:
            check.error = f"the reference dataset {ref.dataset} has no column {ref.key}"
        elif found is None:
            check.error = f"the dataset has no column {ref.field}"
        else:
            c = col(found[0])
            keys = exp.select(exp.cast(col(ref_cols[ref.key.casefold()]), "VARCHAR")).from_(
                ref_table(ref.dataset)
            )
            check.fail = _fails(c, exp.cast(c.copy(), "VARCHAR").isin(query=keys))
            check.scope = not_null(c)
            check.columns = (found[0],)
        return check
    agreement = declared.agreement
    assert agreement is not None  # noqa: S101 - a check has exactly one kind
    check.kind, check.agreement = "agreement", agreement
    check.columns = (agreement.key, agreement.field)
    ref_names = {c.casefold() for c in references.get(agreement.dataset, {})}
    wanted_ref = [agreement.ref_key or agreement.key, agreement.ref_field or agreement.field]
    if agreement.dataset not in references:
        check.error = f"no reference dataset {agreement.dataset}"
    elif any(c.casefold() not in ref_names for c in wanted_ref):
        check.error = f"the reference dataset {agreement.dataset} lacks {', '.join(wanted_ref)}"
    elif resolve(agreement.key) is None or resolve(agreement.field) is None:
        check.error = f"the dataset lacks {agreement.key} or {agreement.field}"
    return check
