"""The DuckDB engine: exact failure counts against Python ground truth, samples, scores, safety."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest
import sqlglot

from govhub.core.errors import InvalidInput
from govhub.data.quality import Assessment, assess_files, parse_rules
from govhub.data.quality.checks import compile_checks
from govhub.data.quality.elements import BUILTIN_SPECS, ElementSpec
from govhub.data.quality.scoring import grade_of, timeliness_score, total_score
from govhub.data.standards import validators
from tests.data.quality import generate

N = 3000
EXPECTED = 3100


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("register")
    table, reference = generate.enterprises(N)
    data = generate.write(table, folder / "register.parquet")
    ref = generate.write(reference, folder / "authority.parquet")
    divisions = generate.write(pa.table({"code": generate.DIVISIONS}), folder / "div.parquet")
    return data, ref, divisions, generate.ground_truth(table, reference, EXPECTED)


def _assess(register: tuple[Path, Path, Path, dict[str, int]], size: int = 5) -> Assessment:
    data, ref, divisions, _ = register
    rules = parse_rules(generate.RULES_YAML.format(expected=EXPECTED))
    return assess_files(
        [data], rules, references={"divisions": [divisions], "register": [ref]}, sample_size=size
    )


class TestGroundTruth:
    def test_every_check_counts_exactly_the_injected_errors(
        self, register: tuple[Path, Path, Path, dict[str, int]]
    ) -> None:
        result = _assess(register)
        truth = register[3]
        assert result.row_count == N
        assert result.failures() == truth
        assert all(count > 0 for count in truth.values()), truth

    def test_samples_show_failing_rows_only_for_failed_checks(
        self, register: tuple[Path, Path, Path, dict[str, int]]
    ) -> None:
        result = _assess(register, size=3)
        by_name = {c.name: c for c in result.checks}
        assert all(
            len(c.samples) == min(3, c.failed)
            for c in result.checks
            if c.name != "records.expected"
        )
        assert all(row["phone"] == "12345" for row in by_name["phone.pattern"].samples)
        assert all(row["status"] == "未知" for row in by_name["status.enum"].samples)
        dupes = by_name["keys.unique"].samples
        assert dupes[0]["uscc"] == dupes[1]["uscc"]
        assert {"reference_value"} <= set(by_name["name_matches_register"].samples[0])

    def test_evaluated_counts_non_null_values(
        self, register: tuple[Path, Path, Path, dict[str, int]]
    ) -> None:
        by_name = {c.name: c for c in _assess(register).checks}
        nulls = register[3]["uscc.required"]
        assert by_name["uscc.element"].evaluated == N - nulls
        assert by_name["uscc.required"].evaluated == N
        assert by_name["records.expected"].evaluated == EXPECTED

    def test_each_element_matches_its_python_validator(self, tmp_path: Path) -> None:
        values = {
            "mobile": ["13800138000", "12800138000", "1380013800", "19912345678"],
            "landline": ["0571-87654321", "057187654321", "0571-1234567", "010-8765432-12"],
            "postal_code": ["310000", "910000", "31000", "0100000"],
            "gender_code": ["0", "1", "2", "9", "3"],
            "date": ["2024-02-29", "2023-02-29", "20240101", "2024-1-01", "20241301"],
            "datetime": [
                "2024-01-01T10:00:00",
                "2024-01-01 10:00:00+08:00",
                "2024-01-01",
                "2024-13-01T10:00:00",
            ],
            "chinese_name": ["张三", "阿依古丽·买买提", "张", "John", "张三3"],
            "email": ["a@b.cn", "a.b@c.d.e", "ab.cn", "a@b", "@b.cn"],
            "amount": ["0", "12.5", "12.345", "-3.10", "01", "1e5"],
            "division_code": ["330100", "330102001", "330102001001", "003300", "33010"],
        }
        width = max(len(v) for v in values.values())
        table = pa.table({k: v + [None] * (width - len(v)) for k, v in values.items()})
        path = generate.write(table, tmp_path / "elements.parquet")
        rules = parse_rules({"fields": {k: {"element": k} for k in values}})
        failures = assess_files([path], rules).failures()
        for code, column in values.items():
            check = validators.VALIDATORS[code]
            expected = len(validators.failing_indices(column, check))
            assert failures[f"{code}.element"] == expected, code

    def test_typed_columns_and_custom_elements(self, tmp_path: Path) -> None:
        table = pa.table(
            {
                "n": pa.array([1, 2, None, 4], pa.int64()),
                "s": ["1", "x", "3.5", None],
                "b": ["true", "no", "maybe", None],
                "code": ["A1", "B2", "A9", "C1"],
            }
        )
        path = generate.write(table, tmp_path / "typed.parquet")
        rules = parse_rules(
            {
                "fields": {
                    "n": {"type": "integer", "minimum": 2, "maximum": 3},
                    "s": {"type": "number"},
                    "b": {"type": "boolean"},
                    "code": {"element": "grade_code", "type": "string"},
                }
            }
        )
        custom = {"grade_code": ElementSpec("grade_code", pattern="[A-B][0-9]", max_length=2)}
        failures = assess_files([path], rules, elements=custom).failures()
        assert failures == {
            "n.type": 0,
            "n.minimum": 1,
            "n.maximum": 1,
            "s.type": 1,
            "b.type": 1,
            "code.element": 1,
            "code.type": 0,
        }


class TestErrors:
    def test_missing_columns_and_references_fail_every_row(self, tmp_path: Path) -> None:
        path = generate.write(pa.table({"a": ["1", "2"]}), tmp_path / "a.parquet")
        rules = parse_rules(
            {
                "keys": ["nope"],
                "fields": {"ghost": {"required": True}},
                "checks": [
                    {"name": "x", "expr": "ghost > 1"},
                    {"name": "y", "reference": {"field": "a", "dataset": "absent", "key": "k"}},
                    {"name": "z", "agreement": {"dataset": "absent", "key": "a", "field": "a"}},
                ],
            }
        )
        result = assess_files([path], rules)
        assert {c.name: (c.failed, c.evaluated) for c in result.checks} == {
            "ghost.required": (2, 2),
            "keys.unique": (2, 2),
            "x": (2, 2),
            "y": (2, 2),
            "z": (2, 2),
        }
        assert all(c.error for c in result.checks)

    def test_an_expression_that_cannot_run_is_isolated(self, tmp_path: Path) -> None:
        table = pa.table({"d": pa.array([1, 2], pa.int64()), "s": ["a", "b"]})
        path = generate.write(table, tmp_path / "t.parquet")
        rules = parse_rules(
            {
                "fields": {"s": {"enum": ["a"]}},
                "checks": [{"name": "bad", "expr": "d LIKE s AND d > '2020-01-01'"}],
            }
        )
        result = assess_files([path], rules)
        by_name = {c.name: c for c in result.checks}
        assert by_name["s.enum"].failed == 1
        assert by_name["bad"].error is not None
        assert by_name["bad"].failed == 2

    def test_no_files_and_unreadable_files_are_invalid_input(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidInput):
            assess_files([], parse_rules({}))
        broken = tmp_path / "broken.parquet"
        broken.write_bytes(b"not parquet")
        with pytest.raises(InvalidInput):
            assess_files([broken], parse_rules({}))

    def test_unknown_element_is_invalid_input(self, tmp_path: Path) -> None:
        path = generate.write(pa.table({"a": ["1"]}), tmp_path / "a.parquet")
        with pytest.raises(InvalidInput, match="no data element"):
            assess_files([path], parse_rules({"fields": {"a": {"element": "nothing"}}}))

    def test_user_values_are_literals_never_sql(self, tmp_path: Path) -> None:
        table = pa.table({"a": ["x'; DROP TABLE dataset; --", "ok"]})
        path = generate.write(table, tmp_path / "a.parquet")
        rules = parse_rules(
            {
                "fields": {
                    "a": {"enum": ["x'; DROP TABLE dataset; --"], "pattern": "[^']*' OR '1'='1"},
                    'a" FROM dataset; --': {"required": True},
                }
            }
        )
        failures = assess_files([path], rules).failures()
        assert failures["a.enum"] == 1
        assert failures["a.pattern"] == 2
        assert failures['a" FROM dataset; --.required'] == 2


class TestPortability:
    def test_checks_transpile_to_distributed_engines(self) -> None:
        rules = parse_rules(generate.RULES_YAML.format(expected=1))
        names = ["uscc", "name", "legal_rep_id", "division_code", "phone", "status"]
        columns = dict.fromkeys([*names, "established_on", "cancelled_on"], "VARCHAR")
        columns["registered_capital"] = "DOUBLE"
        references = {
            "divisions": {"code": "VARCHAR"},
            "register": {"uscc": "VARCHAR", "name": "VARCHAR"},
        }
        checks = compile_checks(rules, columns, references, BUILTIN_SPECS)
        for check in checks:
            if check.fail is None:
                continue
            for dialect in ("trino", "spark"):
                text = check.fail.sql(dialect)
                assert sqlglot.parse_one(text, dialect=dialect) is not None


class TestScoring:
    def test_scores_total_and_grade(
        self, register: tuple[Path, Path, Path, dict[str, int]]
    ) -> None:
        result = _assess(register)
        assert set(result.scores) == {
            "completeness",
            "normativity",
            "uniqueness",
            "consistency",
            "accuracy",
        }
        assert all(0 <= s <= 100 for s in result.scores.values())
        assert result.grade == grade_of(result.total)
        result.rescore({"timeliness": 100.0, "accessibility": 100.0})
        assert result.scores["timeliness"] == 100.0
        assert result.total == total_score(result.scores)

    @pytest.mark.parametrize(
        ("total", "grade"),
        [
            (100, "A"),
            (95, "A"),
            (94.9, "B"),
            (85, "B"),
            (70, "C"),
            (60, "D"),
            (59.99, "E"),
            (0, "E"),
        ],
    )
    def test_grade_thresholds(self, total: float, grade: str) -> None:
        assert grade_of(total) == grade

    def test_timeliness_falls_after_the_declared_period(self) -> None:
        assert timeliness_score(timedelta(hours=20), "daily") == 100.0
        assert timeliness_score(timedelta(days=2), "daily") == 50.0
        assert timeliness_score(timedelta(days=5), "daily") == 0.0
        assert timeliness_score(timedelta(days=500), "irregular") is None
        assert total_score({}) == 100.0
