"""Validators of the shipped data elements, one value at a time and over whole columns.

Per-value checks are plain `str -> bool` functions registered by name in `VALIDATORS`. The
column helpers take any sequence of values (a list, a pyarrow/pandas column converted to a
list) and return the indices of the values that fail; empty values (None, "") are never
failures here, because completeness is a quality dimension of its own. Columns repeat values
(codes, dates, genders), so each distinct value is checked once. Everything here is pure:
the administrative-division check receives the set of known codes from its caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime

from govhub.identity.codes import division_level, id_number_problem, uscc_problem

Check = Callable[[str], bool]

# Distinct values remembered per column; beyond this, values are checked without memory.
MEMO_LIMIT = 200_000

MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?")
POSTAL_CODE = re.compile(r"[1-8]\d{5}")
CHINESE_NAME = re.compile(r"[\u3400-\u9fff]{1,15}(·[\u3400-\u9fff]{1,15}){0,3}")
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(\.[A-Za-z0-9\-]{1,63})+")
AMOUNT = re.compile(r"-?(0|[1-9]\d{0,15})(\.\d{1,2})?")
GENDER_CODES = frozenset({"0", "1", "2", "9"})


def is_id_number(value: str) -> bool:
    """Tell whether `value` is a resident ID number with a valid GB 11643 check digit."""
    return id_number_problem(value) is None


def is_uscc(value: str) -> bool:
    """Tell whether `value` is a unified social credit code with a valid GB 32100 check."""
    return uscc_problem(value) is None


def is_division_code_shape(value: str) -> bool:
    """Tell whether `value` has the shape of a GB/T 2260 code (6, 9 or 12 digits)."""
    return division_level(value) is not None


def is_mobile(value: str) -> bool:
    """Tell whether `value` is a mainland mobile number (11 digits starting 13-19)."""
    return MOBILE.fullmatch(value) is not None


def is_landline(value: str) -> bool:
    """Tell whether `value` is a landline number with its area code (0571-87654321)."""
    return LANDLINE.fullmatch(value) is not None


def is_postal_code(value: str) -> bool:
    """Tell whether `value` is a six-digit mainland postal code."""
    return POSTAL_CODE.fullmatch(value) is not None


def is_gender_code(value: str) -> bool:
    """Tell whether `value` is a GB/T 2261.1 gender code (0, 1, 2 or 9)."""
    return value in GENDER_CODES


def is_date(value: str) -> bool:
    """Tell whether `value` is a real calendar date as YYYY-MM-DD or YYYYMMDD."""
    if len(value) not in (8, 10) or not value[:4].isdigit():
        return False
    fmt = "%Y%m%d" if len(value) == 8 else "%Y-%m-%d"
    try:
        datetime.strptime(value, fmt)  # noqa: DTZ007 - a calendar date carries no zone
    except ValueError:
        return False
    return True


def is_datetime(value: str) -> bool:
    """Tell whether `value` is an ISO 8601 date and time (a space may replace the T)."""
    if len(value) < 16 or len(value) > 35 or value[10] not in "T ":
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_chinese_name(value: str) -> bool:
    """Tell whether `value` is a name in Chinese characters (with · between name parts)."""
    return 2 <= len(value) <= 40 and CHINESE_NAME.fullmatch(value) is not None


def is_email(value: str) -> bool:
    """Tell whether `value` looks like an e-mail address."""
    return len(value) <= 254 and EMAIL.fullmatch(value) is not None


def is_amount(value: str) -> bool:
    """Tell whether `value` is an amount in yuan with at most two decimals."""
    return AMOUNT.fullmatch(value) is not None


VALIDATORS: dict[str, Check] = {
    "amount": is_amount,
    "chinese_name": is_chinese_name,
    "date": is_date,
    "datetime": is_datetime,
    "division_code": is_division_code_shape,
    "email": is_email,
    "gender_code": is_gender_code,
    "id_number": is_id_number,
    "landline": is_landline,
    "mobile": is_mobile,
    "postal_code": is_postal_code,
    "uscc": is_uscc,
}


def _text(value: object) -> str | None:
    """Return `value` as text, or None when it is empty."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def failing_indices(values: Sequence[object], check: Check) -> list[int]:
    """Return the indices of the non-empty values of a column that `check` rejects."""
    memo: dict[str, bool] = {}
    failures: list[int] = []
    for index, raw in enumerate(values):
        text = _text(raw)
        if text is None:
            continue
        ok = memo.get(text)
        if ok is None:
            ok = check(text)
            if len(memo) < MEMO_LIMIT:
                memo[text] = ok
        if not ok:
            failures.append(index)
    return failures


def pattern_failures(values: Sequence[object], pattern: str | re.Pattern[str]) -> list[int]:
    """Return the indices of the non-empty values that do not fully match `pattern`."""
    compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
    return failing_indices(values, lambda text: compiled.fullmatch(text) is not None)


def allowed_value_failures(values: Sequence[object], allowed: Collection[str]) -> list[int]:
    """Return the indices of the non-empty values outside the `allowed` code list."""
    allowed_set = frozenset(allowed)
    return failing_indices(values, allowed_set.__contains__)


def length_failures(values: Sequence[object], max_length: int) -> list[int]:
    """Return the indices of the values longer than `max_length` characters."""
    return failing_indices(values, lambda text: len(text) <= max_length)


def division_failures(values: Sequence[object], known: Collection[str]) -> list[int]:
    """Return the indices of division codes that are malformed or not in `known`."""
    known_set = frozenset(known)
    return failing_indices(values, lambda text: is_division_code_shape(text) and text in known_set)


def element_check(
    *,
    validator: str | None = None,
    pattern: str | None = None,
    allowed_values: Collection[str] | None = None,
    max_length: int | None = None,
    known_divisions: Collection[str] | None = None,
) -> Check:
    """Combine an element's validator, pattern, code list and length into one check."""
    checks: list[Check] = []
    if max_length is not None:
        limit = max_length
        checks.append(lambda text: len(text) <= limit)
    if validator is not None:
        if validator not in VALIDATORS:
            raise ValueError(f"unknown validator {validator!r}")
        checks.append(VALIDATORS[validator])
        if validator == "division_code" and known_divisions is not None:
            known_set = frozenset(known_divisions)
            checks.append(known_set.__contains__)
    if pattern is not None:
        compiled = re.compile(pattern)
        checks.append(lambda text: compiled.fullmatch(text) is not None)
    if allowed_values is not None:
        checks.append(frozenset(allowed_values).__contains__)
    return lambda text: all(check(text) for check in checks)
