"""Data-element conformance as SQL conditions: patterns, code lists, dates and check digits.

Each builder returns a sqlglot condition that is TRUE when a text value `v` conforms to the
element, mirroring `govhub.data.standards.validators` (and `govhub.identity.codes` for the
GB 11643 and GB 32100 check characters), computed in SQL so a column is checked in one
vectorized scan. Only built-in constants and sqlglot literals enter these trees.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlglot import exp

from govhub.data.quality.vectorized import ID_NUMBER_FUNCTION, USCC_FUNCTION, WIDTH
from govhub.data.standards.builtin import BUILTIN_ELEMENTS
from govhub.identity.codes import ID_CHECK, ID_WEIGHTS, USCC_ALPHABET, USCC_WEIGHTS

DIGITS = "0123456789"
_HAN = "[\u3400-\u9fff]"


@dataclass(frozen=True, slots=True)
class ElementSpec:
    """What the engine needs to know of a data element."""

    code: str
    validator: str | None = None
    pattern: str | None = None
    allowed_values: tuple[str, ...] | None = None
    max_length: int | None = None


BUILTIN_SPECS: dict[str, ElementSpec] = {
    e.code: ElementSpec(
        code=e.code,
        validator=e.validator,
        allowed_values=e.allowed_values,
        max_length=e.max_length,
    )
    for e in BUILTIN_ELEMENTS
}


def lit(value: str | int) -> exp.Expr:
    """Return a SQL literal for a constant or user-supplied value (escaped by sqlglot)."""
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


def substr(v: exp.Expr, start: int, length: int) -> exp.Expr:
    """Return SUBSTRING(v, start, length) (1-based)."""
    return exp.Substring(this=v.copy(), start=lit(start), length=lit(length))


def full_match(v: exp.Expr, pattern: str) -> exp.Expr:
    """Return a condition: `v` matches the whole of `pattern` (RE2 syntax)."""
    return exp.RegexpLike(this=v.copy(), expression=lit(f"^(?:{pattern})$"))


def _length(v: exp.Expr) -> exp.Expr:
    return exp.Length(this=v.copy())


def _weighted_sum(v: exp.Expr, alphabet: str, weights: Collection[int]) -> exp.Expr:
    """Σ (position of character i in `alphabet`, from 0) × weight i, over the first characters."""
    total: exp.Expr | None = None
    for index, weight in enumerate(weights, start=1):
        position = exp.Sub(
            this=exp.StrPosition(this=lit(alphabet), substr=substr(v, index, 1)),
            expression=lit(1),
        )
        term = exp.Mul(this=exp.Paren(this=position), expression=lit(weight))
        total = term if total is None else exp.Add(this=total, expression=term)
    assert total is not None  # noqa: S101 - weights are a non-empty constant
    return exp.Paren(this=total)


def _char_at(alphabet: str, index: exp.Expr) -> exp.Expr:
    return exp.Substring(
        this=lit(alphabet), start=exp.Add(this=exp.Paren(this=index), expression=lit(1)),
        length=lit(1),
    )  # fmt: skip


def _mod(value: exp.Expr, n: int) -> exp.Expr:
    return exp.Paren(this=exp.Mod(this=exp.Paren(this=value), expression=lit(n)))


def uscc_ok(v: exp.Expr) -> exp.Expr:
    """GB 32100: 18 characters of the code alphabet, a known authority, MOD 31 check."""
    shape = full_match(v, "[1-9ANY][0-9A-HJ-NP-RTUWXY][0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}")
    total = _weighted_sum(v, USCC_ALPHABET, USCC_WEIGHTS)
    check = _mod(exp.Sub(this=lit(31), expression=_mod(total, 31)), 31)
    return exp.and_(shape, exp.EQ(this=_char_at(USCC_ALPHABET, check), expression=substr(v, 18, 1)))


def _ymd(v: exp.Expr, start: int) -> exp.Expr:
    """TRY_CAST(YYYY-MM-DD built from 8 digits at `start` AS DATE)."""
    text = exp.DPipe(
        this=exp.DPipe(
            this=exp.DPipe(
                this=exp.DPipe(this=substr(v, start, 4), expression=lit("-")),
                expression=substr(v, start + 4, 2),
            ),
            expression=lit("-"),
        ),
        expression=substr(v, start + 6, 2),
    )
    return exp.TryCast(this=text, to=exp.DataType.build("DATE"))


def id_number_ok(v: exp.Expr) -> exp.Expr:
    """GB 11643: 17 digits and a check character, a real birth date since 1900, MOD 11-2."""
    shape = full_match(v, "[0-9]{17}[0-9X]")
    born = exp.Between(
        this=_ymd(v, 7), low=exp.cast(lit("1900-01-01"), "DATE"), high=exp.CurrentDate()
    )
    total = _weighted_sum(v, DIGITS, ID_WEIGHTS)
    check = exp.EQ(this=_char_at(ID_CHECK, _mod(total, 11)), expression=substr(v, 18, 1))
    return exp.and_(shape, born, check)


def division_shape_ok(v: exp.Expr) -> exp.Expr:
    """GB/T 2260 shape: 6, 9 or 12 digits; a 6-digit code does not start with 00."""
    return exp.and_(
        full_match(v, "[0-9]{6}|[0-9]{9}|[0-9]{12}"),
        exp.not_(exp.and_(exp.EQ(this=_length(v), expression=lit(6)),
                          exp.EQ(this=substr(v, 1, 2), expression=lit("00")))),
    )  # fmt: skip


def date_ok(v: exp.Expr) -> exp.Expr:
    """A real calendar date written YYYY-MM-DD or YYYYMMDD."""
    dashed = exp.TryCast(this=v.copy(), to=exp.DataType.build("DATE"))
    return exp.and_(
        full_match(v, "[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8}"),
        exp.Not(this=exp.Is(this=exp.Coalesce(this=dashed, expressions=[_ymd(v, 1)]),
                            expression=exp.Null())),
    )  # fmt: skip


def datetime_ok(v: exp.Expr) -> exp.Expr:
    """An ISO 8601 date and time (a space may separate them), with an optional offset."""
    stamp = exp.TryCast(this=v.copy(), to=exp.DataType.build("TIMESTAMPTZ"))
    return exp.and_(
        exp.Between(this=_length(v), low=lit(16), high=lit(35)),
        exp.In(this=substr(v, 11, 1), expressions=[lit("T"), lit(" ")]),
        exp.Not(this=exp.Is(this=stamp, expression=exp.Null())),
    )


def _regex(pattern: str) -> Callable[[exp.Expr], exp.Expr]:
    return lambda v: full_match(v, pattern)


def _name_ok(v: exp.Expr) -> exp.Expr:
    return exp.and_(
        exp.Between(this=_length(v), low=lit(2), high=lit(40)),
        full_match(v, f"{_HAN}{{1,15}}(·{_HAN}{{1,15}}){{0,3}}"),
    )


def _email_ok(v: exp.Expr) -> exp.Expr:
    return exp.and_(
        exp.LTE(this=_length(v), expression=lit(254)),
        full_match(v, r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(\.[A-Za-z0-9\-]{1,63})+"),
    )


VALIDATOR_SQL: dict[str, Callable[[exp.Expr], exp.Expr]] = {
    "amount": _regex(r"-?(0|[1-9][0-9]{0,15})(\.[0-9]{1,2})?"),
    "chinese_name": _name_ok,
    "date": date_ok,
    "datetime": datetime_ok,
    "division_code": division_shape_ok,
    "email": _email_ok,
    "gender_code": lambda v: exp.In(this=v.copy(), expressions=[lit(c) for c in "0129"]),
    "id_number": id_number_ok,
    "landline": _regex(r"0[0-9]{2,3}-?[2-9][0-9]{6,7}(-[0-9]{1,6})?"),
    "mobile": _regex("1[3-9][0-9]{9}"),
    "postal_code": _regex("[1-8][0-9]{5}"),
    "uscc": uscc_ok,
}


# The DuckDB fast path: validators computed by vectorized functions (`vectorized.register`),
# each TRUE exactly where its portable SQL form above is, and only for values of 18 characters.
VALIDATOR_NATIVE: dict[str, str] = {"id_number": ID_NUMBER_FUNCTION, "uscc": USCC_FUNCTION}


def native_call(function: str, v: exp.Expr) -> exp.Expr:
    """Return a call of a registered vectorized validator on `v`."""
    return exp.Anonymous(this=function, expressions=[v.copy()])


def element_ok(
    spec: ElementSpec, v: exp.Expr, divisions: exp.Expr | None = None, *, native: bool = False
) -> exp.Expr:
    """Return a condition: text `v` conforms to the element (length, validator, pattern, codes).

    `divisions`, when given, is a query of the platform's division codes that a
    division_code value must belong to. `native`: use the vectorized validators registered
    on the DuckDB connection instead of their portable SQL form."""
    parts: list[exp.Expr] = []
    fast = VALIDATOR_NATIVE.get(spec.validator or "") if native else None
    # A fast validator accepts only values of exactly WIDTH characters: a looser limit is moot.
    if spec.max_length is not None and not (fast and spec.max_length >= WIDTH):
        parts.append(exp.LTE(this=_length(v), expression=lit(spec.max_length)))
    if fast is not None:
        parts.append(native_call(fast, v))
    elif spec.validator is not None:
        parts.append(VALIDATOR_SQL[spec.validator](v))
        if spec.validator == "division_code" and divisions is not None:
            parts.append(v.copy().isin(query=divisions.copy()))
    if spec.pattern is not None:
        parts.append(full_match(v, spec.pattern))
    if spec.allowed_values is not None:
        parts.append(exp.In(this=v.copy(), expressions=[lit(a) for a in spec.allowed_values]))
    if not parts:
        return exp.true()
    return exp.and_(*parts)
