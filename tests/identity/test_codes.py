"""National code validation: GB 11643 ID numbers, GB 32100 credit codes, GB/T 2260 divisions."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govhub.identity.codes import (
    USCC_ALPHABET,
    DivisionLevel,
    division_level,
    division_parent_code,
    division_prefix,
    id_number_check_char,
    id_number_problem,
    in_subtree,
    uscc_check_char,
    uscc_problem,
)


class TestIdNumber:
    def test_published_example_is_valid(self) -> None:
        # The worked example of GB 11643-1999, appendix A.
        assert id_number_problem("11010519491231002X") is None

    @given(st.integers(min_value=0, max_value=9))
    def test_any_other_check_digit_is_refused(self, digit: int) -> None:
        first = "11010519491231002"
        candidate = first + str(digit)
        expected_valid = id_number_check_char(first) == str(digit)
        assert (id_number_problem(candidate) is None) is expected_valid

    @given(
        st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
        st.integers(min_value=0, max_value=999),
    )
    def test_generated_numbers_validate(self, born: date, seq: int) -> None:
        first = f"330102{born:%Y%m%d}{seq:03d}"
        assert id_number_problem(first + id_number_check_char(first)) is None

    def test_single_digit_errors_are_always_caught(self) -> None:
        valid = "11010519491231002X"
        for i in range(17):
            for d in "0123456789":
                if d != valid[i]:
                    mutated = valid[:i] + d + valid[i + 1 :]
                    assert id_number_problem(mutated) is not None, mutated

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "1101051949123100",
            "11010519491231002x",
            "11010519490231002X",
            "abc",
            "\uff11\uff11010519491231002X",  # full-width digits, which int() would accept
        ],
    )
    def test_malformed(self, value: str) -> None:
        assert id_number_problem(value) is not None


class TestCreditCode:
    def test_published_example_is_valid(self) -> None:
        assert uscc_problem("91350100M000100Y43") is None

    @given(st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9))
    def test_generated_codes_validate(self, org: str) -> None:
        first = "91330100" + org
        assert uscc_problem(first + uscc_check_char(first)) is None

    @pytest.mark.parametrize(
        "value",
        [
            "91350100M000100Y44",
            "91350100M000100Y4",
            "9135O100M000100Y43",
            "Z1350100M000100Y43",
            "91\uff13\uff15\uff10\uff11\uff10\uff10M000100Y43",
        ],
    )
    def test_malformed_or_wrong_check(self, value: str) -> None:
        assert uscc_problem(value) is not None


class TestDivisionCodes:
    @pytest.mark.parametrize(
        ("code", "level", "parent"),
        [
            ("330000", DivisionLevel.PROVINCE, None),
            ("330100", DivisionLevel.CITY, "330000"),
            ("330102", DivisionLevel.COUNTY, "330100"),
            ("330102001", DivisionLevel.TOWNSHIP, "330102"),
            ("330102001002", DivisionLevel.VILLAGE, "330102001"),
        ],
    )
    def test_levels_and_parents(self, code: str, level: DivisionLevel, parent: str | None) -> None:
        assert division_level(code) is level
        assert division_parent_code(code) == parent

    @pytest.mark.parametrize(
        "code", ["", "33", "3301", "000000", "33010a", "3301020011", "\uff13\uff130000"]
    )
    def test_malformed(self, code: str) -> None:
        assert division_level(code) is None
        with pytest.raises(ValueError, match="malformed"):
            division_parent_code(code)
        with pytest.raises(ValueError, match="malformed"):
            division_prefix(code)

    def test_subtrees(self) -> None:
        assert in_subtree("330102001002", "330100")
        assert in_subtree("330100", "330100")
        assert not in_subtree("330200", "330100")
        assert not in_subtree("330100", "330102")
        assert in_subtree("330102001", "330000")
