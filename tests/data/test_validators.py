"""The shipped validators, one value at a time and over columns."""

from __future__ import annotations

import re
import time

import pytest

from govhub.data.standards import validators as v
from govhub.identity.codes import uscc_check_char
from tests.factories import make_id_number


def _uscc(body: str = "91330100MA2B3C4D5") -> str:
    return body + uscc_check_char(body)


def _broken(code: str) -> str:
    """Return `code` with a wrong check character."""
    return code[:-1] + ("1" if code[-1] != "1" else "2")


BAD_ID = _broken(make_id_number())


class TestValues:
    @pytest.mark.parametrize(
        ("name", "good", "bad"),
        [
            ("id_number", make_id_number(), BAD_ID),
            ("uscc", _uscc(), _broken(_uscc())),
            ("division_code", "330102001", "33010"),
            ("mobile", "13912345678", "12912345678"),
            ("landline", "0571-87654321", "571-87654321"),
            ("postal_code", "310000", "31000"),
            ("gender_code", "9", "3"),
            ("date", "2024-02-29", "2023-02-29"),
            ("datetime", "2024-02-29 08:30:00", "2024-02-29"),
            ("chinese_name", "阿卜杜·热合曼", "Zhang San"),
            ("email", "li.si@zj.gov.cn", "li.si@"),
            ("amount", "1234.50", "12.345"),
        ],
    )
    def test_accepts_the_good_and_rejects_the_bad(self, name: str, good: str, bad: str) -> None:
        check = v.VALIDATORS[name]
        assert check(good)
        assert not check(bad)

    def test_gender_codes_are_those_of_gb_t_2261_1(self) -> None:
        assert [c for c in "0123456789" if v.is_gender_code(c)] == ["0", "1", "2", "9"]

    def test_date_accepts_the_basic_format(self) -> None:
        assert v.is_date("20240229")
        assert not v.is_date("2024022")

    def test_datetime_accepts_a_zone(self) -> None:
        assert v.is_datetime("2024-02-29T08:30:00+08:00")
        assert not v.is_datetime("2024-02-30T08:30:00")

    def test_chinese_name_refuses_a_dot_at_the_edges(self) -> None:
        assert not v.is_chinese_name("·热合曼")
        assert not v.is_chinese_name("张")


class TestColumns:
    def test_failing_indices_skip_empty_values(self) -> None:
        column = ["13912345678", None, "", "123", "13912345678", 13912345678, "abc"]
        assert v.failing_indices(column, v.is_mobile) == [3, 6]

    def test_pattern_failures(self) -> None:
        assert v.pattern_failures(["A1", "B2", "c3"], r"[A-Z]\d") == [2]
        assert v.pattern_failures(["A1", "AA"], re.compile(r"A\d")) == [1]

    def test_allowed_value_and_length_failures(self) -> None:
        assert v.allowed_value_failures(["1", "2", "3", 1], {"1", "2"}) == [2]
        assert v.length_failures(["abc", "abcd"], 3) == [1]

    def test_division_failures_need_shape_and_existence(self) -> None:
        known = {"330100", "330102"}
        assert v.division_failures(["330100", "330200", "abc", "330102"], known) == [1, 2]

    def test_element_check_combines_every_rule(self) -> None:
        check = v.element_check(
            validator="division_code", max_length=6, known_divisions={"330100", "330102001"}
        )
        assert check("330100")
        assert not check("330102001")  # known but too long
        assert not check("330200")  # well-formed but unknown

    def test_element_check_refuses_an_unknown_validator(self) -> None:
        with pytest.raises(ValueError, match="unknown validator"):
            v.element_check(validator="horoscope")

    def test_a_million_repeated_values_are_checked_quickly(self) -> None:
        ids = [make_id_number(seq=f"{i:03d}") for i in range(500)]
        column = (ids * 2000)[:1_000_000]
        column[123_456] = BAD_ID
        started = time.perf_counter()
        failures = v.failing_indices(column, v.is_id_number)
        elapsed = time.perf_counter() - started
        assert failures == [123_456]
        assert elapsed < 5
