"""Generalization hierarchies: ARX CSV files and the built-in builders."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from govhub.core.errors import InvalidInput
from govhub.privacy.anonymity import hierarchies


def test_load_arx_csv(tmp_path: Path) -> None:
    path = tmp_path / "marital.csv"
    path.write_text(
        "Married;spouse present;*\nDivorced;spouse not present;*\nWidowed;spouse not present;*\n",
        encoding="utf-8",
    )
    tree = hierarchies.load_csv(path)
    assert tree.name == "marital"
    assert tree.height == 3
    assert [tree.cardinality(lv) for lv in range(3)] == [3, 2, 1]
    codes = tree.encode(["Widowed", "Married"])
    assert tree.generalize(codes, 1) == ["spouse not present", "spouse present"]
    assert tree.generalize(codes, 2) == ["*", "*"]
    # loss of a class: (leaves under it - 1) / (leaves - 1)
    assert tree.loss(1).tolist() == [0.0, 0.5, 0.5]
    assert tree.mapping(1, 2).tolist() == [0, 0]


def test_ages_in_bands() -> None:
    tree = hierarchies.ages("age", [3, 17, 39, 42])
    assert tree.rows[2] == ("39", "35-39", "30-39", "20-39", "*")
    assert tree.rows[0] == ("3", "0-4", "0-9", "0-19", "*")
    with pytest.raises(InvalidInput, match="multiple"):
        hierarchies.ages("age", [3], widths=(5, 12))
    with pytest.raises(InvalidInput, match="negative"):
        hierarchies.ages("age", [-1])


def test_division_codes_climb_five_levels() -> None:
    tree = hierarchies.divisions("home", ["110105001001", "110105002003", "310101003004"])
    assert tree.rows[0] == ("110105001001", "110105001", "110105", "110100", "110000", "*")
    assert tree.cardinality(1) == 3  # townships
    assert tree.cardinality(2) == 2  # counties
    assert tree.cardinality(4) == 2  # provinces
    # a county code stays itself below its own level
    county = hierarchies.divisions("home", ["110105"])
    assert county.rows[0] == ("110105", "110105", "110105", "110100", "110000", "*")
    with pytest.raises(InvalidInput, match="malformed"):
        hierarchies.divisions("home", ["11x"])


def test_dates_to_month_and_year() -> None:
    tree = hierarchies.dates("born", [date(1990, 5, 17), date(1990, 5, 2), date(1991, 1, 1)])
    assert tree.rows[0] == ("1990-05-02", "1990-05", "1990", "*")
    assert [tree.cardinality(lv) for lv in range(4)] == [3, 2, 2, 1]


def test_numeric_intervals() -> None:
    tree = hierarchies.intervals("income", [1250, 3999.5, 12000], widths=(1000, 5000))
    assert tree.rows[0] == ("1250", "[1000, 2000)", "[0, 5000)", "*")
    assert tree.rows[1] == ("3999.5", "[3000, 4000)", "[0, 5000)", "*")
    assert tree.rows[2] == ("12000", "[12000, 13000)", "[10000, 15000)", "*")
    with pytest.raises(InvalidInput):
        hierarchies.intervals("income", [1], widths=())


def test_suppression_only() -> None:
    tree = hierarchies.suppression("sex", ["M", "F", "M", None])
    assert tree.leaves == ("", "F", "M")
    assert tree.height == 2
    assert np.array_equal(tree.encode(["M", None]), [2, 0])


def test_hostile_hierarchies() -> None:
    with pytest.raises(InvalidInput, match="no values"):
        hierarchies.from_rows("x", [])
    with pytest.raises(InvalidInput, match="same number"):
        hierarchies.from_rows("x", [("a", "*"), ("b",)])
    with pytest.raises(InvalidInput, match="twice"):
        hierarchies.from_rows("x", [("a", "*"), ("a", "*")])
    with pytest.raises(InvalidInput, match="does not nest"):
        hierarchies.from_rows("x", [("a", "A", "1"), ("b", "A", "2")])
    tree = hierarchies.from_rows("x", [("a", "*")])
    with pytest.raises(InvalidInput, match="missing from its hierarchy"):
        tree.encode(["b"])
    with pytest.raises(InvalidInput, match="outside"):
        tree.mapping(1, 0)
