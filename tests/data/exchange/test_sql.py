"""Privacy policies rendered as DuckDB expressions give exactly what the Python forms give."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from govhub.data.exchange.schemas import Order
from govhub.data.exchange.sql import (
    Statement,
    json_rows_sql,
    mask_sql,
    policy_sql,
    quote,
    select_sql,
)
from govhub.privacy.masking import MaskStyle, mask
from govhub.privacy.policy import FieldPolicy, Generalization, Treatment

CON = duckdb.connect()


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.text(max_size=25)), min_size=1, max_size=20),
    style=st.sampled_from(list(MaskStyle)),
)
def test_masks_in_the_engine_equal_masks_in_python(
    values: list[str | None], style: MaskStyle
) -> None:
    table = pa.table({"v": pa.array(values, pa.string())})
    cursor = CON.cursor()
    cursor.register("t", table)
    query = f"SELECT {mask_sql('v', style)} FROM t"  # noqa: S608 - the platform's own expression
    got = [row[0] for row in cursor.sql(query).fetchall()]
    assert got == [None if v is None else mask(v, style) for v in values]


def test_dates_generalize_in_the_engine() -> None:
    table = pa.table({"d": pa.array([date(2024, 2, 29), None], pa.date32())})
    cursor = CON.cursor()
    cursor.register("t", table)
    month = policy_sql("d", FieldPolicy(Treatment.GENERALIZE, generalization=Generalization.MONTH))
    year = policy_sql("d", FieldPolicy(Treatment.GENERALIZE, generalization=Generalization.YEAR))
    query = f"SELECT {month}, {year} FROM t"  # noqa: S608 - the platform's own expressions
    assert cursor.sql(query).fetchall() == [
        ("2024-02", "2024"),
        (None, None),
    ]


def test_policies_that_need_python_are_left_to_it() -> None:
    assert policy_sql("x", FieldPolicy(Treatment.PSEUDONYMIZE)) is None
    band = FieldPolicy(Treatment.GENERALIZE, generalization=Generalization.AGE_BAND)
    assert policy_sql("x", band) is None
    city = FieldPolicy(Treatment.GENERALIZE, generalization=Generalization.CITY)
    assert policy_sql("x", city) is None


def test_a_page_read_as_json_rows_keeps_its_order(tmp_path: Path) -> None:
    size = 50_000
    names = [f"n{(i * 7919) % size:06d}" for i in range(size)]
    table = pa.table({"name": names, "rank": pa.array([(i * 31) % 997 for i in range(size)])})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=4096)
    order = [Order(field="rank", descending=True)]
    for offset in (0, 100, 49_950):
        statement = Statement()
        page = select_sql(
            statement,
            columns=["rank", "name"],
            present=["name", "rank"],
            conditions=[],
            order=order,
            limit=100,
            offset=offset,
        )
        sql = json_rows_sql(page, ["rank", "name"])
        got = CON.cursor().sql(sql, params={"path": str(path), **statement.params}).fetchall()
        # Sorted by rank, then by position in the file; keys in sorted order.
        expected = sorted(range(size), key=lambda i: (-table["rank"][i].as_py(), i))
        assert [text for (text,) in got] == [
            json.dumps({"name": names[i], "rank": table["rank"][i].as_py()}, separators=(",", ":"))
            for i in expected[offset : offset + 100]
        ]


def test_a_page_without_transforms_is_one_select() -> None:
    statement = Statement()
    sql = select_sql(
        statement,
        columns=["a", "b"],
        present=["a"],
        conditions=[],
        limit=10,
        expressions={"a": quote("a")},  # a clear field renders as itself
    )
    assert sql.count("SELECT") == 1
    assert 'NULL AS "b"' in sql
