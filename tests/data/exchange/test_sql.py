"""Privacy policies rendered as DuckDB expressions give exactly what the Python forms give."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from govhub.data.exchange.sql import mask_sql, policy_sql
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
