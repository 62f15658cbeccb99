"""Mondrian local recoding: pycanon confirms k, l and t on Adult; loss beats full-domain."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest
from pycanon import anonymity as canon

from govhub.core.errors import InvalidInput
from govhub.privacy.anonymity import (
    DistinctLDiversity,
    KAnonymity,
    Lattice,
    RecursiveCLDiversity,
    TCloseness,
    hierarchies,
    search,
)
from govhub.privacy.anonymity.dataset import encode
from govhub.privacy.anonymity.models import Criterion
from govhub.privacy.anonymity.mondrian import anonymize_local
from tests.privacy.anonymity.support import ADULT_QIS, adult

QIS = list(ADULT_QIS)


@pytest.mark.parametrize(
    "criteria",
    [
        [KAnonymity(5)],
        [KAnonymity(5), RecursiveCLDiversity("occupation", 4, 3)],
        [KAnonymity(5), TCloseness("occupation", 0.2)],
    ],
    ids=["k5", "k5-l43", "k5-t0.2"],
)
def test_pycanon_confirms_and_loss_is_below_the_full_domain_optimum(
    criteria: list[Criterion],
) -> None:
    table, trees = adult()
    release = anonymize_local(table, trees, criteria)
    frame = release.table.select([*QIS, "occupation"]).to_pandas()
    assert canon.k_anonymity(frame, QIS) >= 5
    assert release.report.released == table.num_rows
    if isinstance(criteria[-1], RecursiveCLDiversity):
        assert canon.l_diversity(frame, QIS, ["occupation"]) >= 3
    if isinstance(criteria[-1], TCloseness):
        assert canon.t_closeness(frame, QIS, ["occupation"]) <= 0.2 + 1e-9
    optimum = search(Lattice(encode(table, trees, ["occupation"]), criteria)).optimum
    assert optimum is not None
    assert release.report.loss < optimum.loss
    assert release.report.classes == len(frame.groupby(QIS))


def test_labels_are_ranges_sets_or_values() -> None:
    table = pa.table({"age": [20, 21, 22, 23, 40, 41], "sex": ["1", "2", "1", "2", "1", "1"]})
    trees = {
        "age": hierarchies.ages("age", [20, 21, 22, 23, 40, 41]),
        "sex": hierarchies.suppression("sex", ["1", "2"]),
    }
    release = anonymize_local(table, trees, [KAnonymity(2)])
    ages = release.table.column("age").to_pylist()
    assert all(re.fullmatch(r"\[\d+, \d+\]|\d+", a) for a in ages), ages
    assert "[40, 41]" in ages  # the two older people form their own box
    assert set(release.table.column("sex").to_pylist()) <= {"1", "2", "{1,2}", "*"}
    assert release.report.risk.prosecutor.highest <= 0.5


def test_refusals() -> None:
    table = pa.table({"age": [20, 21, 22], "d": ["x", "x", "x"]})
    trees = {"age": hierarchies.ages("age", [20, 21, 22])}
    with pytest.raises(InvalidInput):
        anonymize_local(table, trees, [])
    with pytest.raises(InvalidInput, match="k-anonymity"):
        anonymize_local(table, trees, [DistinctLDiversity("d", 2)])
    with pytest.raises(InvalidInput, match="whole table"):
        anonymize_local(table, trees, [KAnonymity(2), DistinctLDiversity("d", 2)])
    with pytest.raises(InvalidInput):
        anonymize_local(table, trees, [KAnonymity(4)])
