"""The vectorized check characters agree with the portable SQL form on every kind of value."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from sqlglot import exp

from govhub.data.quality import assess_files, parse_rules, vectorized
from govhub.data.quality.checks import col, compile_checks
from govhub.data.quality.elements import BUILTIN_SPECS, element_ok
from govhub.identity.codes import (
    USCC_ALPHABET,
    id_number_check_char,
    id_number_problem,
    uscc_check_char,
    uscc_problem,
)
from tests.data.quality import generate

pytestmark = pytest.mark.usefixtures("implementation")

VALID_USCC = "91350100M000100Y4" + uscc_check_char("91350100M000100Y4")
VALID_ID = "11010519491231002" + id_number_check_char("11010519491231002")
LEAP_ID = "11010520000229001" + id_number_check_char("11010520000229001")
NOT_LEAP_ID = "11010519000229001" + id_number_check_char("11010519000229001")
X_BODY = next(
    body
    for body in (f"1101051990010100{n:01d}" for n in range(10))
    if id_number_check_char(body) == "X"
)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _wrong_check(value: str, alphabet: str) -> str:
    return value[:17] + alphabet[(alphabet.index(value[17]) + 1) % len(alphabet)]


USCC_CASES: list[str | None] = [
    VALID_USCC,
    None,
    "",
    VALID_USCC.lower(),
    VALID_USCC[:17],
    VALID_USCC + "0",
    " " + VALID_USCC[1:],
    VALID_USCC[:17] + " ",
    _wrong_check(VALID_USCC, USCC_ALPHABET),
    _full_width(VALID_USCC),
    VALID_USCC[:6] + "统一",  # 6 + 2 x 3 bytes: 12 bytes, 8 characters
    "统一社会信用代码",  # 8 characters of 3 bytes
    "统一社会信",  # 5 characters, 15 bytes
    "信用代码统一",  # 6 characters, exactly 18 bytes
    "Z" + VALID_USCC[1:],  # not an authority
    "0" + VALID_USCC[1:],
    VALID_USCC[:2] + "A" + VALID_USCC[3:],  # characters 3..8 are digits
    VALID_USCC[:9] + "I" + VALID_USCC[10:],  # I, O, S, V, Z are not in the alphabet
    VALID_USCC[:9] + "O" + VALID_USCC[10:],
    "91350100M000100Y4\x00",
    "91350100M000100Y4\n",
]
ID_CASES: list[str | None] = [
    VALID_ID,
    LEAP_ID,
    NOT_LEAP_ID,
    X_BODY + "X",
    X_BODY + "x",
    None,
    "",
    VALID_ID[:17],
    VALID_ID + "1",
    VALID_ID.replace("1", "l", 1),
    _full_width(VALID_ID),
    _wrong_check(VALID_ID, "0123456789X"),
    "11010518991231002" + id_number_check_char("11010518991231002"),  # born before 1900
    "11010519491301002" + id_number_check_char("11010519491301002"),  # month 13
    "11010519491200002" + id_number_check_char("11010519491200002"),  # day 00
    "11010519490431002" + id_number_check_char("11010519490431002"),  # 31 April
    "11010530000101002" + id_number_check_char("11010530000101002"),  # born in the future
    "11010500000101002" + id_number_check_char("11010500000101002"),
    "公民身份号码",  # 18 bytes
    "1101051949123100２" + "X",
    " " + VALID_ID[1:],
]


def _portable(
    con: duckdb.DuckDBPyConnection, element: str, values: list[str | None]
) -> list[object]:
    condition = element_ok(BUILTIN_SPECS[element], col("v"))
    query = exp.select(condition).from_("cases").order_by(col("i"))
    return [row[0] for row in con.execute(query.sql("duckdb")).fetchall()]


def _native(con: duckdb.DuckDBPyConnection, element: str) -> list[object]:
    condition = element_ok(BUILTIN_SPECS[element], col("v"), native=True)
    query = exp.select(condition).from_("cases").order_by(col("i"))
    return [row[0] for row in con.execute(query.sql("duckdb")).fetchall()]


def _verdicts(values: list[str | None], answers: list[object]) -> list[object]:
    """NULL stays NULL; a value passes when the condition is TRUE (NULL fails, as in the engine)."""
    return [None if v is None else a is True for v, a in zip(values, answers, strict=True)]


def _both(element: str, values: list[str | None]) -> tuple[list[object], list[object]]:
    with duckdb.connect() as con:
        vectorized.register(con)
        cases = pa.table({"i": list(range(len(values))), "v": pa.array(values, pa.string())})
        con.register("cases", cases)
        portable, native = _portable(con, element, values), _native(con, element)
    assert all(a is None for v, a in zip(values, native, strict=True) if v is None)
    assert all(isinstance(a, bool) for v, a in zip(values, native, strict=True) if v is not None)
    return _verdicts(values, portable), _verdicts(values, native)


class TestAgreement:
    @pytest.mark.parametrize(("element", "cases"), [("uscc", USCC_CASES), ("id_number", ID_CASES)])
    def test_tricky_values_get_the_same_answer_in_both_forms(
        self, element: str, cases: list[str | None]
    ) -> None:
        portable, native = _both(element, cases)
        assert native == portable
        assert native.count(True) >= 1 and native.count(False) >= 10  # noqa: PT018
        assert native[cases.index(None)] is None

    @pytest.mark.parametrize(
        ("element", "cases", "problem"),
        [("uscc", USCC_CASES, uscc_problem), ("id_number", ID_CASES, id_number_problem)],
    )
    def test_ascii_values_agree_with_the_python_validator(
        self, element: str, cases: list[str | None], problem: object
    ) -> None:
        ascii_cases: list[str | None] = [c for c in cases if c is not None and c.isascii()]
        _, native = _both(element, ascii_cases)
        assert native == [problem(c) is None for c in ascii_cases]  # type: ignore[operator]

    def test_lower_case_x_and_full_width_digits_fail(self) -> None:
        _, native = _both("id_number", [X_BODY + "X", X_BODY + "x", _full_width(VALID_ID)])
        assert native == [True, False, False]

    @pytest.mark.parametrize("element", ["uscc", "id_number"])
    def test_random_near_misses_agree(self, element: str) -> None:
        rng = random.Random(11643)  # noqa: S311 - test data, not secrets
        base = VALID_USCC if element == "uscc" else VALID_ID
        pool = USCC_ALPHABET + "IOSVZxa ０-统"
        values: list[str | None] = []
        for _ in range(3000):
            chars = list(base)
            for _ in range(rng.choice([0, 0, 1, 2])):
                chars[rng.randrange(18)] = rng.choice(pool)
            text = "".join(chars)
            if element == "uscc" and rng.random() < 0.3:
                text = (
                    text[:17] + uscc_check_char(text[:17])
                    if all(c in USCC_ALPHABET for c in text[:17])
                    else text
                )
            if (
                element == "id_number"
                and rng.random() < 0.3
                and text[:17].isascii()
                and (text[:17].isdigit())
            ):
                text = text[:17] + id_number_check_char(text[:17])
            values.append(text[: rng.choice([18, 18, 18, 17, 19])] if rng.random() < 0.9 else None)
        portable, native = _both(element, values)
        assert native == portable
        assert 100 < native.count(True) < 2900

    def test_birth_dates_end_today(self) -> None:
        body = f"110105{datetime.now(UTC).astimezone().date():%Y%m%d}001"
        _, native = _both("id_number", [body + id_number_check_char(body)])
        assert native == [True]
        later = vectorized.id_number_valid(
            pa.array([body + id_number_check_char(body)]), today=date(2000, 1, 1)
        )
        assert later.to_pylist() == [False]

    def test_sliced_and_chunked_arrays_read_the_right_values(self) -> None:
        array = pa.array(["x", VALID_USCC, None, VALID_USCC.lower(), VALID_USCC])
        assert vectorized.uscc_valid(array.slice(1, 4)).to_pylist() == [True, None, False, True]
        chunked = pa.chunked_array([array.slice(0, 2), array.slice(2, 3)])
        assert vectorized.uscc_valid(chunked).to_pylist() == [False, True, None, False, True]
        large = array.cast(pa.large_string())
        assert vectorized.uscc_valid(large).to_pylist() == [False, True, None, False, True]
        long = pa.array([VALID_USCC, None, "x"] * 8)  # sliced on a byte of the validity bitmap
        window = long.to_pylist()[8:15]
        expected = [None if v is None else v == VALID_USCC for v in window]
        assert vectorized.uscc_valid(long.slice(8, 7)).to_pylist() == expected


class TestEngineForms:
    def test_compiled_checks_call_the_fast_path_only_when_asked(self) -> None:
        rules = parse_rules("version: 1\nfields:\n  uscc: {element: uscc}\n")
        fast = compile_checks(rules, {"uscc": "VARCHAR"}, {}, BUILTIN_SPECS, native=True)
        slow = compile_checks(rules, {"uscc": "VARCHAR"}, {}, BUILTIN_SPECS)
        assert fast[0].fail is not None and slow[0].fail is not None  # noqa: PT018
        assert vectorized.USCC_FUNCTION.upper() in fast[0].fail.sql("duckdb")
        assert vectorized.USCC_FUNCTION.upper() not in slow[0].fail.sql("duckdb")
        assert "STRPOS" in slow[0].fail.sql("duckdb")

    def test_both_forms_count_the_same_failures_over_a_register(self, tmp_path: Path) -> None:
        table, reference = generate.enterprises(2000)
        data = generate.write(table, tmp_path / "register.parquet")
        ref = generate.write(reference, tmp_path / "authority.parquet")
        divisions = generate.write(pa.table({"code": generate.DIVISIONS}), tmp_path / "d.parquet")
        rules = parse_rules(generate.RULES_YAML.format(expected=2000))
        references = {"divisions": [divisions], "register": [ref]}
        fast = assess_files([data], rules, references=references, sample_size=3)
        slow = assess_files([data], rules, references=references, sample_size=3, native=False)
        assert fast.failures() == slow.failures()
        assert fast.failures()["uscc.element"] > 0
        assert fast.failures() == generate.ground_truth(table, reference, 2000)
        by_name = {c.name: c.samples for c in slow.checks}
        assert {c.name: c.samples for c in fast.checks}["uscc.element"] == by_name["uscc.element"]
