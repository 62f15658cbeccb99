"""The Adult benchmark: the fast search finds the exhaustive optimum; pycanon confirms it."""

from __future__ import annotations

import pytest
from pycanon import anonymity as canon

from govhub.privacy.anonymity import (
    KAnonymity,
    Lattice,
    RecursiveCLDiversity,
    TCloseness,
    apply,
    exhaustive_search,
    search,
)
from govhub.privacy.anonymity.dataset import encode
from govhub.privacy.anonymity.models import Criterion
from tests.privacy.anonymity.support import ADULT_QIS, adult, close, recursive_holds

CASES: list[tuple[str, list[Criterion], float]] = [
    ("k5", [KAnonymity(5)], 0.0),
    ("k5-l43-1%", [KAnonymity(5), RecursiveCLDiversity("occupation", 4, 3)], 0.01),
    ("k5-t0.2", [KAnonymity(5), TCloseness("occupation", 0.2)], 0.0),
]


@pytest.mark.parametrize(("name", "criteria", "limit"), CASES, ids=[c[0] for c in CASES])
def test_fast_search_finds_the_exhaustive_optimum(
    name: str, criteria: list[Criterion], limit: float
) -> None:
    table, trees = adult()
    lattice = Lattice(encode(table, trees, ["occupation"]), criteria, suppression_limit=limit)
    fast, full = search(lattice), exhaustive_search(lattice)
    assert full.nodes_checked == 4320
    assert fast.optimum is not None
    assert full.optimum is not None
    assert fast.optimum.levels == full.optimum.levels
    assert close(fast.optimum.loss, full.optimum.loss)
    assert fast.nodes_checked < full.nodes_checked / 4
    # no evaluated node that satisfies the criteria beats the optimum
    best = min(n.loss for n in full.evaluated if n.passes)
    assert close(best, fast.optimum.loss)

    release = apply(
        table,
        trees,
        criteria,
        dict(zip(ADULT_QIS, fast.optimum.levels, strict=True)),
        suppression_limit=limit,
    )
    assert release.report.suppressed == fast.optimum.suppressed <= limit * table.num_rows
    frame = release.table.to_pandas()
    qis = list(ADULT_QIS)
    assert canon.k_anonymity(frame, qis) >= 5
    if name.startswith("k5-l"):
        assert canon.l_diversity(frame, qis, ["occupation"]) >= 3
        assert recursive_holds(release.table, qis, "occupation", 4, 3)
    if name.startswith("k5-t"):
        assert canon.t_closeness(frame, qis, ["occupation"]) <= 0.2 + 1e-9


@pytest.mark.parametrize("k", [2, 10, 20])
def test_k_anonymity_at_other_k_is_confirmed(k: int) -> None:
    table, trees = adult()
    lattice = Lattice(encode(table, trees), [KAnonymity(k)])
    fast = search(lattice)
    assert fast.optimum is not None
    # one level lower on any generalized attribute breaks k-anonymity (a minimal node)
    for a, level in enumerate(fast.optimum.levels):
        if level:
            lower = list(fast.optimum.levels)
            lower[a] -= 1
            assert not lattice.evaluate(lower).passes
    release = apply(
        table, trees, [KAnonymity(k)], dict(zip(ADULT_QIS, fast.optimum.levels, strict=True))
    )
    assert canon.k_anonymity(release.table.to_pandas(), list(ADULT_QIS)) >= k
    assert release.report.classes == fast.optimum.classes
