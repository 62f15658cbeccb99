"""Shared data and an independent, pure-Python reference for the anonymity tests."""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pytest

from govhub.privacy.anonymity import hierarchies

ADULT = Path(__file__).resolve().parents[3].parent / "shared" / "testdata" / "adult"
ADULT_QIS = (
    "age",
    "education",
    "marital-status",
    "native-country",
    "race",
    "salary-class",
    "sex",
    "workclass",
)


def adult_dir() -> Path:
    """Return the Adult folder, or skip when this checkout has none beside it."""
    for candidate in (ADULT, Path("/work/shared/testdata/adult")):
        if (candidate / "adult.csv").exists():
            return candidate.resolve()
    pytest.skip("the shared Adult extract (../shared/testdata/adult) is absent")


def adult() -> tuple[pa.Table, dict[str, hierarchies.Hierarchy]]:
    """Return the Adult table (all columns as strings) and ARX's hierarchies for its QIs."""
    folder = adult_dir()
    names = ["sex", "age", "race", "marital-status", "education", "native-country"]
    names += ["workclass", "occupation", "salary-class"]
    table = pcsv.read_csv(
        folder / "adult.csv",
        parse_options=pcsv.ParseOptions(delimiter=";"),
        convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
    )
    found = {q: hierarchies.load_csv(folder / f"adult_hierarchy_{q}.csv", q) for q in ADULT_QIS}
    return table, found


SMALL = pa.table(
    {
        "age": [23, 27, 25, 31, 36, 38, 45, 47],
        "sex": ["M", "F", "M", "F", "M", "F", "M", "F"],
        "disease": ["flu", "cold", "flu", "cancer", "flu", "cold", "cancer", "flu"],
        "name": [f"person {i}" for i in range(8)],
    }
)


def small_hierarchies() -> dict[str, hierarchies.Hierarchy]:
    """Return the hierarchies of the small table: ages in 5/10/20-year bands, sex suppressed."""
    ages = SMALL.column("age").to_pylist()
    return {
        "age": hierarchies.ages("age", ages),
        "sex": hierarchies.suppression("sex", SMALL.column("sex").to_pylist()),
    }


def brute_force(
    rows: Sequence[Mapping[str, object]],
    trees: Mapping[str, hierarchies.Hierarchy],
    *,
    k: int,
    sensitive: str | None = None,
    distinct_l: int | None = None,
    recursive: tuple[float, int] | None = None,
    t: float | None = None,
    limit: int = 0,
) -> tuple[tuple[int, ...], float] | None:
    """Find the optimum by generalizing every record of every node with dicts and Counters."""
    names = list(trees)
    tables = {name: {row[0]: row for row in tree.rows} for name, tree in trees.items()}
    leaves = {name: len(tree.rows) for name, tree in trees.items()}
    overall = Counter(str(r[sensitive]) for r in rows) if sensitive else Counter()
    best: tuple[tuple[float, int, tuple[int, ...]], tuple[int, ...], float] | None = None
    for levels in itertools.product(*(range(len(trees[n].rows[0])) for n in names)):
        groups: dict[tuple[str, ...], list[Mapping[str, object]]] = defaultdict(list)
        for r in rows:
            groups[
                tuple(tables[n][str(r[n])][lv] for n, lv in zip(names, levels, strict=True))
            ].append(r)
        suppressed: list[Mapping[str, object]] = []
        for members in groups.values():
            values = Counter(str(m[sensitive]) for m in members) if sensitive else Counter()
            good = len(members) >= k
            if distinct_l is not None:
                good &= len(values) >= distinct_l
            if recursive is not None:
                c, l_ = recursive
                ranked = sorted(values.values(), reverse=True)
                good &= len(ranked) >= l_ and ranked[0] < c * sum(ranked[l_ - 1 :])
            if t is not None:
                distance = 0.5 * sum(
                    abs(values[v] / len(members) - overall[v] / len(rows)) for v in overall
                )
                good &= distance <= t + 1e-12
            if not good:
                suppressed.extend(members)
        if len(suppressed) > limit:
            continue
        kept_loss = 0.0
        for key, members in groups.items():
            if any(m in suppressed for m in members):
                continue
            for n, label, lv in zip(names, key, levels, strict=True):
                size = sum(1 for row in trees[n].rows if row[lv] == label)
                kept_loss += len(members) * (size - 1) / max(leaves[n] - 1, 1)
        loss = (kept_loss + len(suppressed) * len(names)) / (len(rows) * len(names))
        rank = (round(loss, 9), sum(levels), levels)
        if best is None or rank < best[0]:
            best = (rank, levels, loss)
    return None if best is None else (best[1], best[2])


def recursive_holds(
    released: pa.Table, qis: Sequence[str], sensitive: str, c: float, l_: int
) -> bool:
    """Check recursive (c,l)-diversity of a released table record by record."""
    groups: dict[tuple[object, ...], Counter[object]] = defaultdict(Counter)
    columns = {name: released.column(name).to_pylist() for name in [*qis, sensitive]}
    for i in range(released.num_rows):
        groups[tuple(columns[q][i] for q in qis)][columns[sensitive][i]] += 1
    for counts in groups.values():
        ranked = sorted(counts.values(), reverse=True)
        if len(ranked) < l_ or not ranked[0] < c * sum(ranked[l_ - 1 :]):
            return False
    return True


def close(a: float, b: float) -> bool:
    """Return whether two floats agree to 1e-9."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
