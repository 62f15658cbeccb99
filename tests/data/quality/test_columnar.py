"""The columnar fast path gives exactly the SQL path's counts and samples, and falls back to SQL
for what it does not evaluate."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import Future
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

from govhub.core.errors import InvalidInput
from govhub.data.quality import Assessment, assess_files, engine, parse_rules
from govhub.data.quality.checks import compile_checks
from govhub.data.quality.columnar import (
    NotExact,
    Planner,
    Unsupported,
    count_true,
    duplicates,
    run,
    take_rows,
    tally,
)
from govhub.data.quality.elements import BUILTIN_SPECS
from govhub.data.quality.vectorized import byte_pattern, match_bytes
from tests.data.quality import generate

RULES: dict[str, Any] = {
    "keys": ["uscc"],
    "fields": {
        "uscc": {"element": "uscc", "required": True},
        "name": {"required": True, "max_length": 6},
        "legal_rep_id": {"element": "id_number"},
        "phone": {"pattern": "^1[3-9][0-9]{9}$"},
        "status": {"enum": ["存续", "在业", "注销"]},
        "registered_capital": {"minimum": 0, "maximum": 1000},
        "employees": {"minimum": 1, "type": "integer"},
        "established_on": {"type": "date"},
    },
    "checks": [
        {"name": "cancel_order", "expr": "cancelled_on IS NULL OR cancelled_on >= established_on"},
        {"name": "staffed", "expr": "employees BETWEEN 1 AND 500 AND NOT status IN ('注销')"},
        {"name": "short_name", "expr": "LENGTH(name) <= 5 OR name IS NULL"},
        {"name": "capital_per_head", "expr": "registered_capital / employees < 50"},
        {"name": "like_company", "expr": "name LIKE '%公司%'"},
        {"name": "recent", "expr": "established_on > '2015-01-01'"},
        {"name": "known_division", "reference": {"field": "division", "dataset": "divisions",
                                                 "key": "code"}},
    ],
}  # fmt: skip
DIVISIONS = ["330100", "330102", "330106"]


def _tricky(value: str, rnd: random.Random) -> str | None:
    """Return `value` or, now and then, a value every check must handle exactly."""
    pick = rnd.random()
    if pick < 0.04:
        return None
    if pick < 0.06:
        return ""
    if pick < 0.08:
        return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in value)  # full width
    if pick < 0.10:
        return value[:-1]
    if pick < 0.12:
        return value + "0"
    if pick < 0.14:
        return value[:-2] + "é" if len(value) > 2 else "é"
    if pick < 0.16:
        return value.lower().replace("X", "x")[:-1] + "x"
    if pick < 0.20:
        return value[:-1] + ("0" if value[-1] != "0" else "1")
    return value


def _register(rows: int, seed: int) -> pa.Table:
    rnd = random.Random(seed)  # noqa: S311 - test data
    codes = [generate.uscc(i) for i in range(rows)]
    for i in range(3, rows, 17):
        codes[i] = codes[i - 2]  # duplicates, some of them of tricky values
    start = date(2010, 1, 1)
    established = [start + timedelta(days=rnd.randrange(5000)) for _ in range(rows)]
    return pa.table(
        {
            "uscc": [_tricky(c, rnd) for c in codes],
            "name": [_tricky(f"某公司{i % 400}", rnd) for i in range(rows)],
            "legal_rep_id": [_tricky(generate.id_number(i), rnd) for i in range(rows)],
            "phone": [_tricky(f"1{rnd.choice('23589')}{i:09d}", rnd) for i in range(rows)],
            "status": [rnd.choice(["存续", "在业", "注销", "正常", "", None]) for _ in range(rows)],
            "registered_capital": pa.array(
                [rnd.choice([None, -1.5, 0.0, 10.25, 999.99, 1000.0, 1e6]) for _ in range(rows)],
                pa.float64(),
            ),
            "employees": pa.array(
                [rnd.choice([None, 0, 1, 7, 500, 501, -3]) for _ in range(rows)], pa.int64()
            ),
            "established_on": pa.array(established, pa.date32()),
            "cancelled_on": pa.array(
                [
                    None if rnd.random() < 0.7 else d + timedelta(days=rnd.randrange(-400, 4000))
                    for d in established
                ],
                pa.date32(),
            ),
            "division": [rnd.choice([*DIVISIONS, "999999", "", None]) for _ in range(rows)],
        }
    )


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    folder = tmp_path_factory.mktemp("columnar")
    paths = [
        generate.write(_register(1500, 1), folder / "part-1.parquet"),
        generate.write(_register(1200, 2), folder / "part-2.parquet"),
    ]
    divisions = generate.write(pa.table({"code": DIVISIONS}), folder / "divisions.parquet")
    return paths, divisions


def _both(paths: list[Path], divisions: Path, rules: Any) -> tuple[Assessment, Assessment]:
    parsed = parse_rules(rules)
    refs = {"divisions": [divisions]} if divisions.exists() else {}
    fast = assess_files(paths, parsed, references=refs, sample_size=7)
    sql = assess_files(paths, parsed, references=refs, sample_size=7, native=False)
    return fast, sql


def _outcomes(result: Assessment) -> dict[str, tuple[Any, ...]]:
    return {c.name: (c.failed, c.evaluated, c.error, c.samples) for c in result.checks}


class TestSameAsSql:
    def test_counts_and_samples_equal_the_sql_path(self, dataset: tuple[list[Path], Path]) -> None:
        fast, sql = _both(*dataset, RULES)
        assert fast.row_count == sql.row_count == 2700
        assert _outcomes(fast) == _outcomes(sql)
        failed = {c.name: c.failed for c in fast.checks}
        typed = {"employees.type", "established_on.type"}  # the columns have those types
        assert all(failed[name] > 0 for name in failed.keys() - typed), failed
        samples = {c.name: c.samples for c in fast.checks}
        assert all(len(rows) == 7 for rows in samples.values() if rows)
        dupes = samples["keys.unique"]
        assert Counter(row["uscc"] for row in dupes).most_common(1)[0][1] >= 2

    def test_the_counts_are_the_python_truth(self, dataset: tuple[list[Path], Path]) -> None:
        fast, _ = _both(*dataset, RULES)
        frame = pa.concat_tables([_register(1500, 1), _register(1200, 2)]).to_pylist()
        counts = Counter(row["uscc"] for row in frame if row["uscc"] is not None)
        failed = {c.name: c.failed for c in fast.checks}
        assert failed["keys.unique"] == sum(n for n in counts.values() if n > 1)
        assert failed["name.required"] == sum(row["name"] is None for row in frame)
        assert failed["status.enum"] == sum(
            row["status"] is not None and row["status"] not in ("存续", "在业", "注销")
            for row in frame
        )
        assert failed["known_division"] == sum(
            row["division"] is not None and row["division"] not in DIVISIONS for row in frame
        )

    def test_a_pattern_re2_refuses_fails_alike_on_both_paths(
        self, dataset: tuple[list[Path], Path]
    ) -> None:
        rules = {"fields": {"phone": {"pattern": "1(?=3)[0-9]+"}, "name": {"required": True}}}
        fast, sql = _both(*dataset, rules)
        assert _outcomes(fast) == _outcomes(sql)
        by_name = {c.name: c for c in fast.checks}
        assert by_name["phone.pattern"].error is not None
        assert by_name["name.required"].error is None

    def test_no_samples_when_none_are_asked(self, dataset: tuple[list[Path], Path]) -> None:
        paths, divisions = dataset
        result = assess_files(paths, parse_rules(RULES), {"divisions": [divisions]}, 0)
        assert all(c.samples == [] for c in result.checks)
        assert result.failures()["keys.unique"] > 0

    def test_constant_conditions_and_an_empty_file(self, tmp_path: Path) -> None:
        table = pa.table({"k": pa.array(["a", "b", "a"]), "n": pa.array([1, 2, 3], pa.int64())})
        empty = generate.write(table.slice(0, 0), tmp_path / "empty.parquet")
        full = generate.write(table, tmp_path / "full.parquet")
        rules = {
            "keys": ["k"],
            "fields": {"k": {"required": True, "pattern": "a"}, "n": {"minimum": 2}},
            "checks": [{"name": "never", "expr": "1 = 2"}, {"name": "always", "expr": "2 > 1"}],
        }
        for paths in ([empty], [full], [empty, full]):
            fast, sql = _both(paths, tmp_path / "absent.parquet", rules)
            assert _outcomes(fast) == _outcomes(sql)
            assert fast.row_count == sql.row_count
        assert fast.failures() == {"k.required": 0, "k.pattern": 1, "n.minimum": 1,
                                   "keys.unique": 2, "never": 3, "always": 0}  # fmt: skip

    def test_nan_is_ordered_as_duckdb_orders_it(self, tmp_path: Path) -> None:
        values = [1.0, float("nan"), None, -2.0, float("inf"), 2000.0]
        path = generate.write(pa.table({"x": pa.array(values, pa.float64())}), tmp_path / "n.pq")
        rules = {
            "fields": {"x": {"minimum": 0, "maximum": 1000}},
            "checks": [{"name": "small", "expr": "x <= 1000"}, {"name": "same", "expr": "x = x"}],
        }
        fast, sql = _both([path], tmp_path / "absent.parquet", rules)
        assert repr(_outcomes(fast)) == repr(_outcomes(sql))  # nan != nan, its text is equal
        # NaN is above every number for DuckDB: it fails the maximum and `x <= 1000`.
        assert fast.failures() == {"x.minimum": 1, "x.maximum": 3, "small": 3, "same": 0}


class TestPlanning:
    def test_the_benchmark_checks_take_the_columnar_path(
        self, dataset: tuple[list[Path], Path]
    ) -> None:
        paths, divisions = dataset
        con = duckdb.connect()
        con.read_parquet([str(p) for p in paths]).create_view("dataset")
        con.read_parquet(str(divisions)).create_view("ref_divisions")
        schema = con.sql("SELECT * FROM dataset LIMIT 0").to_arrow_table().schema
        columns = dict(zip(schema.names, [str(t) for t in con.table("dataset").types], strict=True))
        checks = compile_checks(
            parse_rules(RULES), columns, {"divisions": {"code": "VARCHAR"}}, BUILTIN_SPECS,
            native=True,
        )  # fmt: skip
        planner = Planner(schema, lambda q: con.sql(q.sql("duckdb")).to_arrow_table().column(0))
        planned, refused = set(), set()
        for check in checks:
            if check.fail is None:
                continue
            try:
                planner.plan(check.fail)
                planned.add(check.name)
            except Unsupported:
                refused.add(check.name)
        con.close()
        assert refused == {"capital_per_head", "like_company", "recent"}
        assert {"uscc.element", "legal_rep_id.element", "phone.pattern", "status.enum",
                "registered_capital.minimum", "name.required", "cancel_order",
                "known_division"} <= planned  # fmt: skip

    @pytest.mark.parametrize(
        "text",
        ["employees > 1.5", "employees = NULL", "name > 3", "established_on = '2020-01-01'"],
    )
    def test_mixed_types_are_left_to_sql(self, text: str) -> None:
        schema = pa.schema(
            [("employees", pa.int64()), ("name", pa.string()), ("established_on", pa.date32())]
        )
        planner = Planner(schema, lambda _: pa.array([], pa.string()))
        with pytest.raises(Unsupported):
            planner.plan(sqlglot.parse_one(text, dialect="duckdb"))

    def test_a_subquery_answer_with_null_makes_misses_unknown(self) -> None:
        schema = pa.schema([("code", pa.string())])
        planner = Planner(schema, lambda _: pa.array(["a", None], pa.string()))
        tree = exp.column("code").isin(query=exp.select("x").from_("t"))
        result = planner.plan(tree).run({"code": pa.array(["a", "b", None])})
        assert result.to_pylist() == [True, None, None]

    def test_a_subquery_runs_once_when_the_check_first_runs(self) -> None:
        asked: list[str] = []

        def answer(query: exp.Expr) -> pa.Array:
            asked.append(query.sql("duckdb"))
            return pa.array(["a", "b"], pa.string())

        planner = Planner(pa.schema([("code", pa.string())]), answer)
        node = planner.plan(exp.column("code").isin(query=exp.select("x").from_("t")))
        assert asked == []  # planning needs no connection
        for _ in range(3):
            assert node.run({"code": pa.array(["b", "c"])}).to_pylist() == [True, False]
        assert asked == ["SELECT x FROM t"]

    def test_a_subquery_answering_other_than_text_is_not_exact(self) -> None:
        planner = Planner(pa.schema([("code", pa.string())]), lambda _: pa.array([1, 2]))
        node = planner.plan(exp.column("code").isin(query=exp.select("x").from_("t")))
        with pytest.raises(NotExact):
            node.run({"code": pa.array(["1"])})

    def test_two_references_looked_up_on_two_threads(self, tmp_path: Path) -> None:
        rnd = random.Random(7)  # noqa: S311 - test data
        table = pa.table(
            {
                "a": [rnd.choice(["1", "2", "3", None]) for _ in range(5000)],
                "b": [rnd.choice(["x", "y", "z", ""]) for _ in range(5000)],
            }
        )
        path = generate.write(table, tmp_path / "d.parquet")
        refs = {
            "ones": [generate.write(pa.table({"k": ["1", "2"]}), tmp_path / "ones.parquet")],
            "letters": [generate.write(pa.table({"k": ["x", None]}), tmp_path / "l.parquet")],
        }
        rules = parse_rules(
            {
                "checks": [
                    {"name": f"{field}_known", "dimension": "consistency",
                     "reference": {"field": field, "dataset": name, "key": "k"}}
                    for field, name in (("a", "ones"), ("b", "letters"))
                ]
            }
        )  # fmt: skip
        fast = assess_files([path], rules, references=refs, sample_size=3)
        sql = assess_files([path], rules, references=refs, sample_size=3, native=False)
        assert _outcomes(fast) == _outcomes(sql)
        column = table.to_pydict()
        assert fast.failures() == {
            "a_known": sum(v == "3" for v in column["a"]),
            "b_known": sum(v not in ("x",) for v in column["b"]),
        }

    def test_a_reference_of_numbers_is_checked_by_sql(self, tmp_path: Path) -> None:
        path = generate.write(pa.table({"code": ["1", "2", "x", None]}), tmp_path / "d.parquet")
        numbers = generate.write(pa.table({"code": [1, 2]}), tmp_path / "numbers.parquet")
        reference = {"field": "code", "dataset": "divisions", "key": "code"}
        rules = {"checks": [{"name": "known", "dimension": "consistency", "reference": reference}]}
        fast, sql = _both([path], numbers, rules)
        assert _outcomes(fast) == _outcomes(sql)
        assert fast.failures()["known"] == 1


_FOOTER_TYPES = [
    pa.array(["a", None]),
    pa.array(["a", "b"], pa.large_string()),
    pa.array(["a", "a"]).dictionary_encode(),
    pa.array([True, None]),
    *(pa.array([1, 2], kind) for kind in
      (pa.int8(), pa.int16(), pa.int32(), pa.int64(),
       pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64())),
    pa.array([1.5, None], pa.float32()),
    pa.array([1.5, float("nan")], pa.float64()),
    pa.array([date(2024, 2, 29), None]),
]  # fmt: skip


class TestFooterSchema:
    @pytest.mark.parametrize("values", _FOOTER_TYPES, ids=lambda v: str(v.type))
    def test_the_footer_gives_what_duckdb_reads(self, values: pa.Array, tmp_path: Path) -> None:
        path = tmp_path / "t.parquet"
        pq.write_table(pa.table({"Value": values, "id": [1, 2]}), path)
        con = duckdb.connect()
        con.read_parquet([str(path)]).create_view("dataset")
        expected = engine._duckdb_schema(con, "dataset")
        con.close()
        assert engine._footer_schema([path, path]) == expected

    def test_only_duckdb_tells_in_other_cases(self, tmp_path: Path) -> None:
        def write(name: str, table: pa.Table) -> Path:
            pq.write_table(table, tmp_path / name)
            return tmp_path / name

        plain = write("plain.parquet", pa.table({"a": ["x"]}))
        assert engine._footer_schema([plain]) is not None
        others = {
            "another schema": [plain, write("b.parquet", pa.table({"b": ["x"]}))],
            "another type": [plain, write("n.parquet", pa.table({"a": [1]}))],
            "names equal but for case": [write("c.parquet", pa.table({"a": [1], "A": [2]}))],
            "a timestamp": [write("t.parquet", pa.table({"t": pa.array([0], pa.timestamp("ms"))}))],
            "a list": [write("l.parquet", pa.table({"l": [[1]]}))],
            "an unreadable footer": [plain, tmp_path / "absent.parquet"],
        }
        for case, paths in others.items():
            assert engine._footer_schema(paths) is None, case

    def test_a_file_only_duckdb_refuses_is_invalid_input(self, tmp_path: Path) -> None:
        path = tmp_path / "t.parquet"
        pq.write_table(pa.table({"a": ["x"]}), path)
        opening = engine._Opening([path, tmp_path / "absent.parquet"], {})
        with pytest.raises(InvalidInput):
            opening.get()
        opening.close()


@pytest.mark.usefixtures("implementation")
class TestDuplicates:
    @pytest.mark.parametrize("width", [1, 5, 8, 13, 18, 70])
    def test_text_keys_of_any_width(self, width: int) -> None:
        rnd = random.Random(width)  # noqa: S311 - test data
        values: list[str | None] = [
            "".join(rnd.choice("ab") for _ in range(width)) for _ in range(300)
        ]
        values[::37] = [None] * len(values[::37])
        found = duplicates(pa.table({"k": values}), ["k"])
        counts = Counter(v for v in values if v is not None)
        expected = [i for i, v in enumerate(values) if v is not None and counts[v] > 1]
        assert found.positions.tolist() == expected
        assert found.evaluated == sum(v is not None for v in values)

    def test_mixed_widths_and_composite_keys(self) -> None:
        table = pa.table(
            {
                "a": ["x", "xy", "x", "xy", None, "x", "é", "é"],
                "b": pa.array([1, 1, 1, 2, 1, None, 3, 3], pa.int32()),
                "c": pa.array([date(2020, 1, 1)] * 8, pa.date32()),
            }
        )
        found = duplicates(table, ["a", "b", "c"])
        assert found.positions.tolist() == [0, 2, 6, 7]
        assert found.evaluated == 6
        assert sorted(found.sample(1).tolist()) == [0, 2]

    def test_float_keys_are_left_to_sql(self) -> None:
        with pytest.raises(Unsupported):
            duplicates(pa.table({"f": [1.0, 1.0]}), ["f"])

    def test_many_keys_sieved_exactly(self) -> None:
        rnd = random.Random(7)  # noqa: S311 - test data
        values = [f"K{rnd.randrange(40_000):08d}" for _ in range(30_000)]
        found = duplicates(pa.table({"k": values}), ["k"])
        counts = Counter(values)
        assert found.positions.tolist() == [i for i, v in enumerate(values) if counts[v] > 1]

    def test_keys_in_several_chunks(self) -> None:
        values = ["a", "b", None, "c", "a", "d", "b", "e", "a"]
        chunked = pa.Table.from_batches(
            [pa.record_batch({"k": values[s : s + 3]}) for s in range(0, 9, 3)]
        )
        found = duplicates(chunked, ["k"])
        assert found.positions.tolist() == [0, 1, 4, 6, 8]
        assert found.groups.tolist() == [0, 1, 0, 1, 0]
        assert found.evaluated == 8


PHONES = [
    "13912345678", "12912345678", "1391234567", "139123456789", "", None, "１３９１２３４５６７８",
    "1391234567é", "13912345678\n", "a3912345678", "19912345678", "1391234567/", "1391234567:",
]  # fmt: skip


@pytest.mark.usefixtures("implementation")
class TestBytePatterns:
    @pytest.mark.parametrize(
        "pattern",
        [
            "^(?:^1[3-9][0-9]{9}$)$",
            r"^(?:\d{6})$",
            "^(?:[A-Z0-9]{2}[a-c-]x\\.)$",
            "^(?:1[3-9]\\d{3,3}[0-9]{6})$",
            "^(?:[13579][0-9]{10})$",
        ],
    )
    def test_the_answers_are_re2_answers(self, pattern: str) -> None:
        values = pa.array([*PHONES, "AB-x.", "zzcx.", "12bx.", "123456", "12345６"])
        sets = byte_pattern(pattern)
        assert sets is not None
        expected = pc.match_substring_regex(values, pattern)
        assert match_bytes(values, sets).to_pylist() == expected.to_pylist()
        sliced = values.slice(2, 9)
        assert match_bytes(sliced, sets).to_pylist() == expected.slice(2, 9).to_pylist()

    @pytest.mark.parametrize(
        "pattern",
        ["1[3-9][0-9]{9}", "^(?:a*)$", "^(?:a|b)$", "^(?:(?i)a)$", "^(?:[[:digit:]])$",
         "^(?:é)$", "^(?:[^a])$", "^(?:.)$", "^(?:(?:^a$){2})$", "^(?:a{2,3})$", r"^(?:\w)$",
         "^(?:a{1001})$", "^(?:a$b)$", "^(?:[a-])$x"],
    )  # fmt: skip
    def test_other_patterns_are_left_to_re2(self, pattern: str) -> None:
        assert byte_pattern(pattern) is None

    def test_a_class_of_several_ranges(self) -> None:
        sets = byte_pattern("^(?:[0-9A-HJ-NP-RTUW-Y]{2})$")
        assert sets is not None
        values = pa.array(["0A", "IO", "Y9", "Z1", "a0", None, "0"])
        expected = pc.match_substring_regex(values, "^(?:[0-9A-HJ-NP-RTUW-Y]{2})$")
        assert match_bytes(values, sets).to_pylist() == expected.to_pylist()


class TestDictionaryColumns:
    @pytest.mark.parametrize(
        "text",
        [
            "status IS NULL",
            "NOT COALESCE(status IN ('a', 'b'), FALSE) AND NOT status IS NULL",
            "REGEXP_MATCHES(status, '^(?:[a-c])$')",
            "1 = 1",
        ],
    )
    def test_once_per_distinct_value_equals_every_row(self, text: str) -> None:
        plain = pa.array(["a", None, "c", "b", "a", "zz", None, "c"])
        encoded = plain.dictionary_encode()
        planner = Planner(pa.schema([("status", pa.string())]), lambda _: plain)
        node = planner.plan(sqlglot.parse_one(text, dialect="duckdb"))
        scope = planner.plan(sqlglot.parse_one("status IS NOT NULL", dialect="duckdb"))
        slow = node.run({"status": plain})
        assert run(node, {"status": encoded}).equals(slow)
        for size in (0, 1, 8):
            failed, evaluated, first = tally(node, scope, {"status": encoded}, len(plain), size)
            expected = tally(node, scope, {"status": plain}, len(plain), size)
            assert (failed, evaluated, first.tolist()) == (
                expected[0],
                expected[1],
                expected[2].tolist(),
            )
            assert failed == count_true(slow, len(plain))
            assert evaluated == 6

    def test_dictionary_and_plain_files_alike(self, tmp_path: Path) -> None:
        rnd = random.Random(3)  # noqa: S311 - test data
        table = pa.table(
            {
                "status": [rnd.choice(["存续", "在业", "x", "", None]) for _ in range(4000)],
                "code": [rnd.choice(["330100", "33010", "3301OO", None]) for _ in range(4000)],
            }
        )
        rules = {
            "fields": {
                "status": {"required": True, "enum": ["存续", "在业"]},
                "code": {"pattern": "[0-9]{6}"},
            }
        }
        absent = tmp_path / "absent.parquet"
        encoded = generate.write(table, tmp_path / "dictionary.parquet")
        plain = tmp_path / "plain.parquet"
        pq.write_table(table, plain, use_dictionary=False)
        fast, sql = _both([encoded], absent, rules)
        assert _outcomes(fast) == _outcomes(sql)
        assert _outcomes(_both([plain], absent, rules)[0]) == _outcomes(sql)
        assert fast.failures()["status.required"] == sum(
            v is None for v in table["status"].to_pylist()
        )


class TestRead:
    def test_columns_are_read_into_a_pool_without_huge_pages(
        self, dataset: tuple[list[Path], Path]
    ) -> None:
        paths, _ = dataset
        pool = engine._read_pool()
        assert pool.backend_name in ("jemalloc", "system")
        opening = engine._Opening(paths, {})
        types, schema = engine._duckdb_schema(opening.get(), "dataset")
        checks = compile_checks(parse_rules(RULES), types, {}, BUILTIN_SPECS, native=True)
        planned = engine._plans(schema, engine._subquery(opening), checks)
        before = pool.bytes_allocated()
        reads = engine._read(opening, paths, sorted(planned.needed), planned)
        table = reads.table(sorted(planned.needed))
        reads.close()
        opening.close()
        assert table.num_rows == 2700
        assert pool.bytes_allocated() - before >= table.nbytes // 2

    def test_columns_are_read_the_largest_first(self, dataset: tuple[list[Path], Path]) -> None:
        paths, _ = dataset
        opening = engine._Opening(paths, {})
        types, schema = engine._duckdb_schema(opening.get(), "dataset")
        checks = compile_checks(parse_rules(RULES), types, {}, BUILTIN_SPECS, native=True)
        planned = engine._plans(schema, engine._subquery(opening), checks)
        reads = engine._read(opening, paths, sorted(planned.needed), planned)
        table = reads.table(sorted(planned.needed))
        reads.close()
        opening.close()
        stored = engine._stored_sizes(engine._column_chunks([pq.ParquetFile(p) for p in paths]))
        order = sorted(planned.needed, key=lambda n: reads.ready([n]))
        sizes = [stored[n] for n in order]
        assert sizes == sorted(sizes, reverse=True)
        assert reads.first() == order[:1]
        assert reads.ready(["uscc", "status"]) == max(order.index("uscc"), order.index("status"))
        assert reads.ready([]) == 0
        assert table.column_names == sorted(planned.needed)

    def test_a_column_arrow_fails_to_read_is_read_by_duckdb(
        self, dataset: tuple[list[Path], Path]
    ) -> None:
        paths, _ = dataset
        opening = engine._Opening(paths, {})
        failed: Future[pa.Table] = Future()
        failed.set_exception(pa.ArrowInvalid("a corrupt page"))
        read: Future[pa.Table] = Future()
        read.set_result(pa.table({"status": ["存续"]}))
        reads = engine._Reads({"uscc": failed, "status": read}, opening)
        expected = opening.get().sql("SELECT uscc FROM dataset").to_arrow_table()
        assert reads.column("uscc").equals(expected.column(0))
        assert reads.column("uscc") is reads.column("uscc")  # read once
        assert reads.column("status").to_pylist() == ["存续"]
        reads.close()
        opening.close()

    def test_sample_rows_are_taken_batch_by_batch(self) -> None:
        batches = [
            pa.record_batch({"a": pa.array(range(s, s + n)), "b": [str(i) for i in range(n)]})
            for s, n in ((0, 4), (4, 1), (5, 6))
        ]
        table = pa.Table.from_batches(batches)
        wanted = [0, 3, 4, 7, 10]
        taken = take_rows(table, wanted)
        assert taken.equals(table.take(pa.array(wanted)))
        assert taken["a"].to_pylist() == wanted
        assert take_rows(table, []).num_rows == 0
