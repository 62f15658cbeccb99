"""Compute and apply a de-identified release: the table and a JSON-ready report of it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from govhub.core.errors import InvalidInput
from govhub.privacy.anonymity.dataset import Encoded, as_table, encode
from govhub.privacy.anonymity.hierarchies import SUPPRESSED, Hierarchy
from govhub.privacy.anonymity.lattice import (
    Lattice,
    Node,
    SearchResult,
    exhaustive_search,
    search,
)
from govhub.privacy.anonymity.models import Criterion, Metric
from govhub.privacy.anonymity.risk import RiskReport, assess


@dataclass(frozen=True)
class ReleaseReport:
    """What was released and how safe and useful it is."""

    records: int
    released: int
    suppressed: int
    suppression_limit: float
    levels: dict[str, int]
    level_labels: dict[str, str]
    criteria: list[dict[str, object]]
    metric: str
    loss: float
    precision: float
    discernibility: float
    average_class_size: float
    classes: int
    risk: RiskReport
    search: dict[str, object]

    @property
    def publishable(self) -> bool:
        """Return whether every record's risk is within the threshold under every model."""
        return self.risk.highest <= self.risk.threshold + 1e-12

    def as_dict(self) -> dict[str, object]:
        """Return the report as JSON-ready data."""
        data = asdict(self)
        data["publishable"] = self.publishable
        return data

    def to_json(self) -> str:
        """Return the report as canonical JSON (sorted keys)."""
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Release:
    """The released table and its report."""

    table: pa.Table
    report: ReleaseReport


def anonymize(
    data: Any,
    quasi_identifiers: Mapping[str, Hierarchy],
    criteria: Sequence[Criterion],
    *,
    suppression_limit: float = 0.0,
    metric: Metric = "loss",
    risk_threshold: float = 0.2,
    population: Any | None = None,
    sample_fraction: float | None = None,
    exhaustive: bool = False,
    keep_suppressed: bool = False,
) -> Release:
    """Find the optimal full-domain generalization satisfying `criteria` and apply it."""
    sensitive = [c.attribute for c in criteria if c.attribute is not None]
    encoded = encode(data, quasi_identifiers, sensitive)
    lattice = Lattice(encoded, criteria, suppression_limit=suppression_limit, metric=metric)
    result = exhaustive_search(lattice) if exhaustive else search(lattice)
    if result.optimum is None:
        raise InvalidInput("no generalization satisfies the criteria within the suppression limit")
    return _release(
        lattice,
        result.optimum,
        result,
        risk_threshold=risk_threshold,
        population=population,
        sample_fraction=sample_fraction,
        keep_suppressed=keep_suppressed,
    )


def apply(
    data: Any,
    quasi_identifiers: Mapping[str, Hierarchy],
    criteria: Sequence[Criterion],
    levels: Mapping[str, int],
    *,
    suppression_limit: float = 0.0,
    metric: Metric = "loss",
    risk_threshold: float = 0.2,
    population: Any | None = None,
    sample_fraction: float | None = None,
    keep_suppressed: bool = False,
) -> Release:
    """Apply a chosen generalization (levels per quasi-identifier) and report on it."""
    sensitive = [c.attribute for c in criteria if c.attribute is not None]
    encoded = encode(data, quasi_identifiers, sensitive)
    lattice = Lattice(encoded, criteria, suppression_limit=suppression_limit, metric=metric)
    chosen = []
    for name, hierarchy in quasi_identifiers.items():
        if name not in levels:
            raise InvalidInput(f"no level chosen for {name!r}", field=name)
        level = levels[name]
        if not 0 <= level < hierarchy.height:
            raise InvalidInput(f"{name!r} has no level {level}", field=name)
        chosen.append(level)
    node = lattice.evaluate(chosen, full=True)
    if not node.passes:
        raise InvalidInput("this generalization suppresses more records than the limit allows")
    return _release(
        lattice,
        node,
        None,
        risk_threshold=risk_threshold,
        population=population,
        sample_fraction=sample_fraction,
        keep_suppressed=keep_suppressed,
    )


def _release(
    lattice: Lattice,
    node: Node,
    result: SearchResult | None,
    *,
    risk_threshold: float,
    population: Any | None,
    sample_fraction: float | None,
    keep_suppressed: bool,
) -> Release:
    encoded = lattice.data
    inverse, ok = lattice.classes(node.levels)
    kept = ok[inverse]
    table = encoded.table
    for a, (name, hierarchy) in enumerate(
        zip(encoded.quasi_identifiers, encoded.hierarchies, strict=True)
    ):
        labels = np.asarray(hierarchy.labels[node.levels[a]], dtype=object)
        values = labels[hierarchy.codes[node.levels[a]][encoded.leaves[:, a]]]
        if keep_suppressed:
            values = np.where(kept, values, SUPPRESSED)
        column = pa.array(values.tolist(), pa.string())
        table = table.set_column(table.column_names.index(name), name, column)
    if not keep_suppressed:
        table = table.filter(pa.array(kept))
    sizes = np.bincount(inverse[kept], minlength=len(ok)).astype(np.float64)
    population_sizes = None
    if population is not None:
        population_sizes = _population_sizes(lattice, node.levels, inverse, kept, population)
    risk = assess(
        sizes,
        threshold=risk_threshold,
        population_sizes=population_sizes,
        sample_fraction=sample_fraction,
    )
    search_info: dict[str, object] = {"algorithm": "given"}
    if result is not None:
        search_info = {
            "algorithm": result.algorithm,
            "nodes_total": result.nodes_total,
            "nodes_checked": result.nodes_checked,
            "nodes_tagged": result.nodes_tagged,
            "seconds": round(result.seconds, 6),
        }
    report = ReleaseReport(
        records=encoded.size,
        released=int(kept.sum()),
        suppressed=int((~kept).sum()),
        suppression_limit=lattice.suppression_limit,
        levels=dict(zip(encoded.quasi_identifiers, node.levels, strict=True)),
        level_labels={
            name: _level_label(h, lv)
            for name, h, lv in zip(
                encoded.quasi_identifiers, encoded.hierarchies, node.levels, strict=True
            )
        },
        criteria=[c.describe() for c in lattice.criteria],
        metric=lattice.metric,
        loss=node.loss,
        precision=node.precision,
        discernibility=node.discernibility,
        average_class_size=node.average_class_size,
        classes=node.classes,
        risk=risk,
        search=search_info,
    )
    return Release(table, report)


def _level_label(hierarchy: Hierarchy, level: int) -> str:
    if level == 0:
        return "original"
    if level == hierarchy.height - 1 and hierarchy.cardinality(level) == 1:
        return "suppressed"
    return f"level {level} of {hierarchy.height - 1}"


def _population_sizes(
    lattice: Lattice,
    levels: tuple[int, ...],
    inverse: np.ndarray[Any, Any],
    kept: np.ndarray[Any, Any],
    population: Any,
) -> np.ndarray[Any, Any]:
    """Return per sample class the size of the matching class in the population table."""
    encoded = lattice.data
    other: Encoded = encode(
        as_table(population), dict(zip(encoded.quasi_identifiers, encoded.hierarchies, strict=True))
    )
    cards = [h.cardinality(lv) for h, lv in zip(encoded.hierarchies, levels, strict=True)]

    def keys(leaves: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        key = np.zeros(len(leaves), dtype=object)
        for a, h in enumerate(encoded.hierarchies):
            key = key * cards[a] + h.codes[levels[a]][leaves[:, a]].astype(object)
        return key

    sample_keys = keys(encoded.leaves)
    counts: dict[object, int] = {}
    for key in keys(other.leaves).tolist():
        counts[key] = counts.get(key, 0) + 1
    out = np.zeros(int(inverse.max()) + 1, dtype=np.float64)
    for cls, key in zip(inverse[kept].tolist(), sample_keys[kept].tolist(), strict=True):
        out[cls] = counts.get(key, 0)
    return out
