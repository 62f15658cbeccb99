"""Hierarchies built for quasi-identifiers from their values, and the suggested column roles."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from govhub.core.errors import InvalidInput
from govhub.data.opendata.releases import columns


def _column(values: list[object], kind: pa.DataType | None = None) -> pa.ChunkedArray:
    return pa.chunked_array([pa.array(values, kind)])


class TestBuild:
    def test_dates_to_month_and_year(self) -> None:
        tree = columns.build("d", _column([date(2024, 3, 5), date(2024, 4, 1)]), "date")
        assert tree.rows[0] == ("2024-03-05", "2024-03", "2024", "*")

    def test_dates_written_as_text(self) -> None:
        tree = columns.build("d", _column(["2024-03-05"]), "date")
        assert tree.rows[0][1] == "2024-03"

    def test_numbers_with_nulls_get_nested_ranges(self) -> None:
        tree = columns.build("n", _column([3.0, 47.0, None, 120.0]), "interval")
        assert tree.rows[0] == ("3", "[0, 10)", "[0, 50)", "[0, 100)", "*")
        assert "" in tree.leaf_index  # a missing value is a value of its own
        assert columns.build("n", _column([5.0]), "interval").rows[0][1] == "[5, 6)"

    def test_given_widths_and_rows(self) -> None:
        tree = columns.build("n", _column([7.0]), "interval", widths=[2, 4])
        assert tree.rows[0] == ("7", "[6, 8)", "[4, 8)", "*")
        rows = [["a", "ab", "*"], ["b", "ab", "*"]]
        assert columns.build("c", _column(["a"]), "rows", rows=rows).height == 3
        assert columns.build("a", _column([30]), "age", widths=[10]).height == 3

    @pytest.mark.parametrize(
        ("values", "kind", "rows"),
        [
            (["x"], "rows", None),
            (["x"], "cubes", None),
            (["x"], "interval", None),
            (["3301"], "division", None),
            ([None], "suppression", None),
        ],
    )
    def test_refusals(self, values: list[object], kind: str, rows: list[list[str]] | None) -> None:
        with pytest.raises(InvalidInput):
            columns.build("c", _column(values, pa.string()), kind, rows=rows)


class TestSuggest:
    def test_roles_from_mapping_names_and_values(self) -> None:
        table = pa.table(
            {
                "lxdh": ["13812345678", "13912345678"],
                "csrq": [date(1990, 1, 1), date(1991, 2, 2)],
                "zczb": [1.5, 2.5],
                "income": ["1", "2"],
                "bz": ["甲", "乙"],
            }
        )
        fields = [{"name": "csrq", "element_code": "date"}, {"name": "zczb"}]
        found = columns.suggest(fields, table)
        assert found.direct_identifiers == ["lxdh"]
        assert found.quasi_identifiers == ["csrq"]
        assert found.sensitive == ["income"]
        assert found.kinds == {"csrq": "date"}
        assert columns.default_kind(table.column("zczb"), "", "zczb") == "interval"
        assert columns.default_kind(table.column("bz"), "", "bz") == "suppression"
