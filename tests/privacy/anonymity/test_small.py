"""Criteria, search and release on a small table checked by hand and by brute force."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest
from pycanon import anonymity as canon

from govhub.core.errors import InvalidInput
from govhub.privacy.anonymity import (
    DistinctLDiversity,
    EntropyLDiversity,
    KAnonymity,
    Lattice,
    RecursiveCLDiversity,
    TCloseness,
    anonymize,
    apply,
    exhaustive_search,
    hierarchies,
    search,
)
from govhub.privacy.anonymity.dataset import encode
from govhub.privacy.anonymity.models import Criterion
from tests.privacy.anonymity.support import (
    SMALL,
    brute_force,
    close,
    recursive_holds,
    small_hierarchies,
)

ROWS = SMALL.to_pylist()


def test_hand_checked_optimum_for_2_anonymity() -> None:
    # (age *, sex kept) makes two classes of 4 with loss 8/16; (10-year bands, sex *) loses
    # 10/16; nothing cheaper is 2-anonymous
    release = anonymize(SMALL, small_hierarchies(), [KAnonymity(2)])
    assert release.report.levels == {"age": 4, "sex": 0}
    assert release.report.loss == 0.5
    assert release.report.classes == 2
    assert release.table.column("age").to_pylist() == ["*"] * 8
    assert release.table.column("name").to_pylist() == SMALL.column("name").to_pylist()
    frame = release.table.to_pandas()
    assert canon.k_anonymity(frame, ["age", "sex"]) == 4
    assert canon.l_diversity(frame, ["age", "sex"], ["disease"]) == 2
    # M: flu 3/4, cancer 1/4 against flu 1/2, cold 1/4, cancer 1/4 -> EMD 0.25
    assert close(canon.t_closeness(frame, ["age", "sex"], ["disease"]), 0.25)


def test_hand_checked_classes_of_one_node() -> None:
    lattice = Lattice(encode(SMALL, small_hierarchies(), ["disease"]), [KAnonymity(2)])
    node = lattice.evaluate([2, 1])  # 10-year bands, sex suppressed: 3 + 3 + 2 records
    assert node.passes
    assert (node.classes, node.suppressed) == (3, 0)
    assert close(node.loss, (3 * 2 / 7 + 3 * 2 / 7 + 2 * 1 / 7 + 8) / 16)
    assert close(node.precision, (2 / 4 + 1) / 2)
    assert node.discernibility == 9 + 9 + 4
    assert close(node.average_class_size, 8 / 3 / 2)
    failing = lattice.evaluate([2, 0], full=True)  # 20-29 F holds one record
    assert not failing.passes
    assert failing.suppressed == 4


@pytest.mark.parametrize(
    ("criteria", "kwargs", "limit"),
    [
        ([KAnonymity(2)], {"k": 2}, 0.0),
        ([KAnonymity(3)], {"k": 3}, 0.25),
        ([KAnonymity(2), DistinctLDiversity("disease", 3)], {"k": 2, "distinct_l": 3}, 0.0),
        (
            [KAnonymity(2), RecursiveCLDiversity("disease", 2, 2)],
            {"k": 2, "recursive": (2, 2)},
            0.0,
        ),
        (
            [KAnonymity(1), RecursiveCLDiversity("disease", 3, 2)],
            {"k": 1, "recursive": (3, 2)},
            0.25,
        ),
        ([KAnonymity(2), TCloseness("disease", 0.2)], {"k": 2, "t": 0.2}, 0.0),
        ([KAnonymity(2), TCloseness("disease", 0.3)], {"k": 2, "t": 0.3}, 0.25),
    ],
)
def test_searches_agree_with_brute_force(
    criteria: list[object], kwargs: dict[str, object], limit: float
) -> None:
    trees = small_hierarchies()
    lattice = Lattice(
        encode(SMALL, trees, ["disease"]),
        criteria,  # type: ignore[arg-type]
        suppression_limit=limit,
    )
    fast, full = search(lattice), exhaustive_search(lattice)
    expected = brute_force(
        ROWS,
        trees,
        sensitive="disease",
        limit=int(limit * len(ROWS)),
        **kwargs,  # type: ignore[arg-type]
    )
    assert expected is not None
    assert fast.optimum is not None
    assert full.optimum is not None
    assert fast.optimum.levels == full.optimum.levels == expected[0]
    assert close(fast.optimum.loss, expected[1])
    assert fast.nodes_checked <= full.nodes_checked == 10


def test_released_tables_are_confirmed_by_pycanon() -> None:
    trees = small_hierarchies()
    release = anonymize(
        SMALL,
        trees,
        [KAnonymity(2), RecursiveCLDiversity("disease", 2, 2)],
        suppression_limit=0.25,
    )
    frame = release.table.to_pandas()
    assert canon.k_anonymity(frame, ["age", "sex"]) >= 2
    assert canon.l_diversity(frame, ["age", "sex"], ["disease"]) >= 2
    assert recursive_holds(release.table, ["age", "sex"], "disease", 2, 2)
    assert release.report.released + release.report.suppressed == 8
    assert release.report.suppressed <= 2


def test_ordered_t_closeness_matches_pycanon() -> None:
    table = pa.table(
        {
            "age": [23, 27, 25, 31, 36, 38, 45, 47],
            "salary": [3, 4, 5, 6, 7, 8, 9, 11],
        }
    )
    trees = {"age": hierarchies.ages("age", table.column("age").to_pylist())}
    release = apply(table, trees, [TCloseness("salary", 1.0, "ordered")], {"age": 2})
    ours = Lattice(encode(table, trees, ["salary"]), [TCloseness("salary", 1.0, "ordered")])
    inverse, _ = ours.classes((2,))
    hist = pd.crosstab(inverse, table.column("salary").to_pylist()).to_numpy(float)
    overall = hist.sum(axis=0)
    mine = TCloseness("salary", 1.0, "ordered").distances(hist, overall).max()
    frame = release.table.to_pandas()
    assert close(canon.t_closeness(frame, ["age"], ["salary"]), float(mine))
    # the 20-29 class holds the three lowest salaries: far from the overall spread
    assert mine > 0.3


def test_entropy_l_diversity() -> None:
    trees = small_hierarchies()
    release = anonymize(SMALL, trees, [KAnonymity(2), EntropyLDiversity("disease", 2.5)])
    frame = release.table.to_pandas()
    assert canon.entropy_l_diversity(frame, ["age", "sex"], ["disease"]) >= 2
    # only the whole table ({flu 4, cold 2, cancer 2}, entropy log 2.83) reaches log 2.5
    assert release.report.levels == {"age": 4, "sex": 1}


def test_report_is_json_with_risks() -> None:
    release = anonymize(SMALL, small_hierarchies(), [KAnonymity(2)], risk_threshold=0.3)
    data = json.loads(release.report.to_json())
    assert data["levels"] == {"age": 4, "sex": 0}
    assert data["level_labels"] == {"age": "suppressed", "sex": "original"}
    assert data["criteria"] == [{"criterion": "k-anonymity", "k": 2}]
    assert data["risk"]["prosecutor"] == {
        "highest": 0.25,
        "average": 0.25,
        "records_at_risk": 0.0,
    }
    assert data["search"]["algorithm"] == "branch-and-bound"
    assert data["search"]["nodes_total"] == 10
    assert data["publishable"] is True
    strict = anonymize(SMALL, small_hierarchies(), [KAnonymity(2)], risk_threshold=0.2)
    assert strict.report.publishable is False
    assert strict.report.risk.prosecutor.records_at_risk == 1.0


def test_keep_suppressed_marks_rows() -> None:
    release = apply(
        SMALL,
        small_hierarchies(),
        [KAnonymity(3)],
        {"age": 3, "sex": 0},
        suppression_limit=0.25,
        keep_suppressed=True,
    )
    assert release.table.num_rows == 8
    ages = release.table.column("age").to_pylist()
    sexes = release.table.column("sex").to_pylist()
    assert ages[-2:] == ["*", "*"]
    assert sexes[-2:] == ["*", "*"]
    assert ages[:6] == ["20-39"] * 6
    assert release.report.suppressed == 2


def test_pandas_input() -> None:
    release = anonymize(SMALL.to_pandas(), small_hierarchies(), [KAnonymity(2)])
    assert release.report.levels == {"age": 4, "sex": 0}


def test_hostile_input() -> None:
    trees = small_hierarchies()
    with pytest.raises(InvalidInput, match="empty"):
        anonymize(SMALL.slice(0, 0), trees, [KAnonymity(2)])
    with pytest.raises(InvalidInput, match="no column 'zip'") as info:
        anonymize(SMALL, {**trees, "zip": trees["sex"]}, [KAnonymity(2)])
    assert info.value.extra["errors"][0]["field"] == "zip"
    with pytest.raises(InvalidInput, match="missing from its hierarchy"):
        anonymize(SMALL, {"age": hierarchies.ages("age", [23]), "sex": trees["sex"]}, [])
    with pytest.raises(InvalidInput, match="at least one quasi-identifier"):
        anonymize(SMALL, {}, [KAnonymity(2)])
    with pytest.raises(InvalidInput, match="criterion"):
        anonymize(SMALL, trees, [])
    with pytest.raises(InvalidInput, match=r"not a sensitive attribute|no column"):
        anonymize(SMALL, trees, [DistinctLDiversity("salary", 2)])
    with pytest.raises(InvalidInput, match="both"):
        anonymize(SMALL, trees, [DistinctLDiversity("sex", 2)])
    with pytest.raises(InvalidInput, match="no generalization"):
        anonymize(SMALL, trees, [KAnonymity(9)])
    with pytest.raises(InvalidInput, match="suppression limit"):
        anonymize(SMALL, trees, [KAnonymity(2)], suppression_limit=1.5)
    with pytest.raises(InvalidInput, match="metric"):
        anonymize(SMALL, trees, [KAnonymity(2)], metric="entropy")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="no level"):
        apply(SMALL, trees, [KAnonymity(2)], {"age": 9, "sex": 0})
    with pytest.raises(InvalidInput, match="no level chosen"):
        apply(SMALL, trees, [KAnonymity(2)], {"age": 1})
    with pytest.raises(InvalidInput, match="more records"):
        apply(SMALL, trees, [KAnonymity(2)], {"age": 0, "sex": 0})
    with pytest.raises(InvalidInput, match="pyarrow Table"):
        anonymize([1, 2], trees, [KAnonymity(2)])
    for bad in (lambda: KAnonymity(0), lambda: TCloseness("disease", 2.0)):
        with pytest.raises(InvalidInput):
            bad()


def test_precision_metric_searches_agree() -> None:
    trees = small_hierarchies()
    lattice = Lattice(
        encode(SMALL, trees, ["disease"]),
        [KAnonymity(2), DistinctLDiversity("disease", 2)],
        suppression_limit=0.25,
        metric="precision",
    )
    fast, full = search(lattice), exhaustive_search(lattice)
    assert fast.optimum is not None
    assert full.optimum is not None
    assert fast.optimum.levels == full.optimum.levels
    assert fast.optimum.precision == min(n.precision for n in full.evaluated if n.passes)


def test_divisions_and_dates_release() -> None:
    from datetime import date  # noqa: PLC0415

    table = pa.table(
        {
            "home": ["110105001001", "110105002003", "110108001001", "110108001002"],
            "born": [date(1990, 5, 17), date(1990, 5, 2), date(1990, 7, 1), date(1990, 8, 9)],
            "income": [1, 2, 3, 4],
        }
    )
    trees = {
        "home": hierarchies.divisions("home", table.column("home").to_pylist()),
        "born": hierarchies.dates("born", table.column("born").to_pylist()),
    }
    release = anonymize(table, trees, [KAnonymity(2)])
    # counties 110105 and 110108 with the birth year: two classes of two
    assert release.report.levels == {"home": 2, "born": 2}
    assert release.table.column("home").to_pylist() == ["110105", "110105", "110108", "110108"]
    assert release.table.column("born").to_pylist() == ["1990"] * 4
    assert canon.k_anonymity(release.table.to_pandas(), ["home", "born"]) == 2


def test_criteria_describe_themselves_and_their_monotonicity() -> None:
    criteria: list[Criterion] = [
        KAnonymity(2),
        DistinctLDiversity("disease", 2),
        RecursiveCLDiversity("disease", 3, 2),
        EntropyLDiversity("disease", 2),
        TCloseness("disease", 0.2, "ordered"),
    ]
    assert [c.describe()["criterion"] for c in criteria] == [
        "k-anonymity",
        "distinct-l-diversity",
        "recursive-(c,l)-diversity",
        "entropy-l-diversity",
        "t-closeness",
    ]
    assert [c.monotonic(0.0) for c in criteria] == [True] * 5
    assert [c.monotonic(0.05) for c in criteria] == [True, True, False, False, False]
    import numpy as np  # noqa: PLC0415

    sizes = np.asarray([3.0])
    with pytest.raises(InvalidInput, match="sensitive attribute"):
        DistinctLDiversity("disease", 2).check(sizes, None, None)
    one_value = TCloseness("x", 0.1, "ordered").distances(np.asarray([[3.0]]), np.asarray([3.0]))
    assert one_value.tolist() == [0.0]
    for bad in (
        lambda: DistinctLDiversity("d", 0),
        lambda: RecursiveCLDiversity("d", 2, 1),
        lambda: EntropyLDiversity("d", 0.5),
        lambda: TCloseness("d", 0.2, "hierarchical"),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidInput):
            bad()


def test_nulls_and_whole_floats_find_their_hierarchy_values() -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    table = pa.table(
        {
            "age": [23.0, 25.0, None, None],
            "seen": [
                datetime(2024, 1, 2, tzinfo=UTC),
                datetime(2024, 1, 2, tzinfo=UTC),
                None,
                None,
            ],
        }
    )
    trees = {
        "age": hierarchies.from_rows(
            "age", [("23", "20-29", "*"), ("25", "20-29", "*"), ("", "", "*")]
        ),
        "seen": hierarchies.suppression("seen", ["2024-01-02", None]),
    }
    release = anonymize(table, trees, [KAnonymity(2)])
    assert release.report.levels == {"age": 1, "seen": 0}
    assert release.table.column("age").to_pylist() == ["20-29", "20-29", "", ""]
