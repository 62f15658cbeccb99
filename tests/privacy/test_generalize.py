"""Generalization: age bands, division levels and dates, per value and per column."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from govhub.identity.codes import DivisionLevel
from govhub.privacy.generalize import (
    age_band,
    age_band_array,
    age_on,
    date_array,
    date_to_month,
    date_to_year,
    division_array,
    division_at,
)

TODAY = date(2026, 11, 23)


class TestAges:
    @pytest.mark.parametrize(
        ("birth", "band"),
        [
            (date(1990, 11, 23), "30-39"),  # 36 today
            (date(1986, 11, 24), "30-39"),  # turns 40 tomorrow
            (date(1986, 11, 23), "40-49"),
            (date(2026, 1, 1), "0-9"),
        ],
    )
    def test_band_counts_whole_years(self, birth: date, band: str) -> None:
        assert age_band(age_on(birth, TODAY)) == band

    @given(st.lists(st.one_of(st.none(), st.dates(date(1900, 1, 1), TODAY)), max_size=50))
    def test_column_form_equals_value_form(self, births: list[date | None]) -> None:
        bands = age_band_array(pa.array(births, pa.date32()), TODAY).to_pylist()
        assert bands == [None if b is None else age_band(age_on(b, TODAY)) for b in births]

    def test_negative_ages_are_refused(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            age_band(-1)


class TestDivisions:
    @pytest.mark.parametrize(
        ("code", "level", "expected"),
        [
            ("330106001002", DivisionLevel.CITY, "330100"),
            ("330106001002", DivisionLevel.COUNTY, "330106"),
            ("330106001002", DivisionLevel.TOWNSHIP, "330106001"),
            ("330106", DivisionLevel.PROVINCE, "330000"),
            ("330100", DivisionLevel.COUNTY, "330100"),
        ],
    )
    def test_codes_climb_to_the_level(self, code: str, level: DivisionLevel, expected: str) -> None:
        assert division_at(code, level) == expected

    def test_malformed_codes_fail_per_value_and_become_null_per_column(self) -> None:
        with pytest.raises(ValueError, match="malformed"):
            division_at("33x", DivisionLevel.CITY)
        column = division_array(pa.array(["330106001002", "33x", None]), DivisionLevel.CITY)
        assert column.to_pylist() == ["330100", None, None]


class TestDates:
    def test_month_and_year(self) -> None:
        assert date_to_month(date(2024, 2, 29)) == "2024-02"
        assert date_to_year(date(2024, 2, 29)) == "2024"

    def test_columns_of_dates_and_of_iso_text(self) -> None:
        dates = pa.array([date(2024, 2, 29), None], pa.date32())
        assert date_array(dates, to="month").to_pylist() == ["2024-02", None]
        assert date_array(pa.array(["2023-07-01"]), to="year").to_pylist() == ["2023"]

    def test_unknown_target_is_refused(self) -> None:
        with pytest.raises(ValueError, match="month"):
            date_array(pa.array([date(2024, 1, 1)]), to="week")
