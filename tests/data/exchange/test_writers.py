"""A page's rows as canonical JSON: made column by column, byte for byte what the ledger digests."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa

from govhub.data.exchange.writers import PLAIN_KINDS, canonical_rows, json_rows, value_rows
from govhub.ledger import service as ledger

TEXTS = ["张*", 'quote " and \\ back', "tab\tnew\nline\x00\x1f", "emoji 😀", "", None, "é"]


def _expected(table: pa.Table) -> bytes:
    return ledger.canonical_json(json_rows(table))


def _every_type() -> pa.Table:
    n = len(TEXTS)
    return pa.table(
        {
            "zz_text": pa.array(TEXTS, pa.string()),
            "large": pa.array(TEXTS, pa.large_string()),
            "int": pa.array([0, -1, 2**62, None, 7, 8, 9], pa.int64()),
            "small": pa.array([1, 2, 3, 4, 5, None, 6], pa.int8()),
            "flag": pa.array([True, False, None, True, False, True, None]),
            "float": pa.array([1.5, -0.0, math.nan, math.inf, -math.inf, 1e100, None]),
            "day": pa.array([date(2024, 1, 2), None, *[date(1999, 12, 31)] * (n - 2)]),
            "old_day": pa.array([date(1, 1, 1), date(9999, 12, 31), *[None] * (n - 2)]),
            "day64": pa.array([date(1970, 1, 1)] * n, pa.date64()),
            "at": pa.array([datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)] * n),
            "money": pa.array([Decimal("12.30"), None, *[Decimal("-0.01")] * (n - 2)]),
            "raw": pa.array([b"\x00\xff", None, *[b"ab"] * (n - 2)]),
            "tags": pa.array([["a", "b"], [], None, ["ü"], ["x"], ["y"], ["z"]]),
            "nested": pa.array([{"k": 1, "b": "v"}] * n),
            "nothing": pa.nulls(n),
            "A_upper": pa.array(range(n)),
        }
    )


class TestCanonicalRows:
    def test_every_type_gives_the_bytes_of_the_ledger_s_canonical_json(self) -> None:
        table = _every_type()
        assert canonical_rows(table) == _expected(table)
        parsed = json.loads(canonical_rows(table))
        assert list(parsed[0]) == sorted(table.column_names)
        assert parsed[2]["float"] is None  # NaN is sent as null

    def test_empty_pages_and_empty_projections(self) -> None:
        table = _every_type()
        assert canonical_rows(table.slice(0, 0)) == b"[]"
        no_columns = table.select([])
        assert canonical_rows(no_columns) == _expected(no_columns)

    def test_repeated_names_fall_back_to_the_rows_as_dicts(self) -> None:
        table = pa.table([pa.array([1, 2]), pa.array(["a", "b"])], names=["x", "x"])
        assert canonical_rows(table) == _expected(table)

    def test_text_without_control_characters_is_escaped_by_arrow(self) -> None:
        texts = ['say "hi"', "C:\\dir\\", '\\"', "张三", "", None, "\x7f del", "/slash/"]
        table = pa.table(
            {
                "text": pa.array(texts, pa.string()),
                "view": pa.array(texts, pa.string_view()),
                "day": pa.array([date(2024, 2, 29)] * len(texts)),
                "n": pa.array(range(len(texts)), pa.uint64()),
            }
        )
        assert canonical_rows(table) == _expected(table)
        assert json.loads(canonical_rows(table))[0]["text"] == 'say "hi"'

    def test_columns_in_several_chunks(self) -> None:
        table = pa.concat_tables([_every_type(), _every_type().slice(2)])
        assert table.column("int").num_chunks == 2
        assert canonical_rows(table) == _expected(table)
        assert canonical_rows(table.slice(3, 6)) == _expected(table.slice(3, 6))

    def test_names_holding_percent_signs(self) -> None:
        table = pa.table({"100%": [1, 2], "%s": ["a", "b"], "%%": [None, True]})
        assert canonical_rows(table) == _expected(table)


class TestValueRows:
    def test_python_values_give_the_bytes_of_canonical_rows(self) -> None:
        n = len(TEXTS)
        table = pa.table(
            {
                "zz_text": pa.array(TEXTS, pa.string()),
                "int": pa.array([0, -1, 2**62, None, 7, 8, 9], pa.int64()),
                "big": pa.array([2**64 - 1] * n, pa.uint64()),
                "flag": pa.array([True, False, None, True, False, True, None]),
                "day": pa.array([date(2024, 1, 2), None, *[date(1, 1, 1)] * (n - 2)]),
                "nothing": pa.nulls(n),
                "100%": pa.array(range(n)),
            }
        )
        kinds = [PLAIN_KINDS[str(field.type)] for field in table.schema]
        columns = [column.to_pylist() for column in table.columns]
        assert value_rows(table.column_names, kinds, columns) == canonical_rows(table)
        assert value_rows(["a"], ["text"], [[]]) == b"[]"
