"""The quality benchmark's register: its ground truth is exactly what independent checks count."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from govhub.identity.codes import id_number_problem, uscc_problem

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load(name: str) -> ModuleType:
    """Import a module of bench/ (a directory of scripts, not a package) by its path."""
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


qd = load("quality_data")


def count_failures(table: pa.Table, known: set[str]) -> dict[str, int]:
    """Count each check's failures value by value with the platform's own validators."""
    rows = table.to_pylist()
    keys = Counter(r["uscc"] for r in rows)
    phone = re.compile(qd.PHONE_PATTERN)
    return {
        "name.required": sum(r["name"] is None for r in rows),
        "uscc.element": sum(uscc_problem(r["uscc"]) is not None for r in rows),
        "legal_rep_id.element": sum(id_number_problem(r["legal_rep_id"]) is not None for r in rows),
        "phone.pattern": sum(r["phone"] is not None and not phone.match(r["phone"]) for r in rows),
        "status.enum": sum(r["status"] not in qd.STATUSES for r in rows),
        "registered_capital.minimum": sum(r["registered_capital"] < 0 for r in rows),
        "keys.unique": sum(keys[r["uscc"]] > 1 for r in rows),
        "cancelled_after_established": sum(
            r["cancelled_on"] is not None and r["cancelled_on"] < r["established_on"] for r in rows
        ),
        "division_known": sum(r["division_code"] not in known for r in rows),
    }


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return qd.generate(tmp_path_factory.mktemp("quality"), 5000, chunk_rows=2000)


class TestGroundTruth:
    def test_every_injected_count_is_exact(self, register: Any) -> None:
        table = pq.read_table(register.parquet)
        known = set(pq.read_table(register.divisions).column("code").to_pylist())
        assert table.num_rows == 5000
        assert table.num_columns == 20
        assert count_failures(table, known) == register.truth
        assert all(register.truth.values())

    def test_a_slice_of_whole_chunks_has_the_sum_of_their_counts(self, register: Any) -> None:
        table = pq.read_table(register.parquet).slice(0, 2000)
        known = set(pq.read_table(register.divisions).column("code").to_pylist())
        assert count_failures(table, known) == register.truth_of_first(2000)
        with pytest.raises(ValueError, match="whole number"):
            register.truth_of_first(1500)

    def test_the_csv_holds_the_same_rows(self, register: Any) -> None:
        text = pa.string()
        table = pq.read_table(register.parquet)
        options = pacsv.ConvertOptions(
            column_types=dict.fromkeys(["uscc", "phone", "division_code", "postal_code"], text),
            strings_can_be_null=True,
        )
        csv = pacsv.read_csv(register.csv, convert_options=options)
        assert csv.num_rows == table.num_rows
        for column in ("uscc", "name", "phone", "division_code", "status"):
            assert csv.column(column).to_pylist() == table.column(column).to_pylist()

    def test_a_second_call_reuses_the_cached_files(self, register: Any) -> None:
        parquet: Path = register.parquet
        before = parquet.stat().st_mtime_ns
        again = qd.generate(register.directory.parent, 5000, chunk_rows=2000)
        assert again.truth == register.truth
        assert parquet.stat().st_mtime_ns == before
