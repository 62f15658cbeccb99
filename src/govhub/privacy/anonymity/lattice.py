"""The generalization lattice and its search for the optimal full-domain generalization.

A node is one generalization level per quasi-identifier. Evaluating a node groups the records
into equivalence classes by one combined integer key (mixed radix over the class codes at the
node's levels), using ``np.bincount`` when the key space is small and ``np.unique`` otherwise.
The records are first collapsed into *cells* (distinct quasi-identifier and sensitive values with
a count); a node is evaluated from the cells of the cheapest already evaluated node below it
(rolling its classes up), never by re-scanning the records.

Two searches return the same optimum, the node of least information loss (ARX's Loss metric by
default, precision on request) among those satisfying every criterion within the suppression
limit, ties going to the node with the lower level sum, then the lexicographically smaller one:

- `exhaustive_search` evaluates every node;
- `search` is a branch-and-bound over the lattice: a node's loss is at least the loss of its
  generalization alone (a lower bound computed without grouping), nodes whose bound cannot beat
  the best so far are never evaluated, and a node failing a monotonic criterion tags every node
  below it as failing (predictive tagging) without evaluating them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from govhub.core.errors import InvalidInput
from govhub.privacy.anonymity.dataset import Encoded
from govhub.privacy.anonymity.models import Criterion, KAnonymity, Metric

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAX_NODES = 2_000_000
DENSE_FACTOR = 8
TIE = 1e-12


@dataclass(frozen=True)
class Cells:
    """Distinct (class codes at `levels`, sensitive codes) combinations with their counts."""

    levels: tuple[int, ...]
    codes: tuple[IntArray, ...]  # one column per quasi-identifier
    sensitive: tuple[IntArray, ...]  # one column per sensitive attribute
    counts: FloatArray


@dataclass(frozen=True)
class Node:
    """The outcome of evaluating one node of the lattice."""

    levels: tuple[int, ...]
    passes: bool
    monotone_fails: bool
    classes: int
    suppressed: int
    loss: float
    precision: float
    discernibility: float
    average_class_size: float

    def score(self, metric: Metric) -> float:
        """Return the value of `metric` that the search minimizes."""
        return self.loss if metric == "loss" else self.precision


@dataclass
class SearchResult:
    """The optimum found and how the search got there."""

    optimum: Node | None
    metric: Metric
    nodes_total: int
    nodes_checked: int
    nodes_tagged: int
    seconds: float
    algorithm: str
    evaluated: list[Node] = field(default_factory=list, repr=False)


class Lattice:
    """The lattice of an encoded table under given criteria and suppression limit."""

    def __init__(
        self,
        data: Encoded,
        criteria: Sequence[Criterion],
        *,
        suppression_limit: float = 0.0,
        metric: Metric = "loss",
    ) -> None:
        if not criteria:
            raise InvalidInput("choose at least one privacy criterion")
        if not 0 <= suppression_limit <= 1:
            raise InvalidInput(
                "the suppression limit is a share between 0 and 1", field="suppression_limit"
            )
        if metric not in ("loss", "precision"):
            raise InvalidInput("the metric is 'loss' or 'precision'", field="metric")
        for criterion in criteria:
            if criterion.attribute is not None and criterion.attribute not in data.sensitive:
                raise InvalidInput(
                    f"{criterion.attribute!r} is not a sensitive attribute of the table",
                    field=criterion.attribute,
                )
        self.data = data
        self.criteria = tuple(criteria)
        self.metric: Metric = metric
        self.limit = math.floor(suppression_limit * data.size + 1e-9)
        self.suppression_limit = suppression_limit
        self.n = data.size
        self.q = len(data.hierarchies)
        self.heights = tuple(h.height for h in data.hierarchies)
        total = math.prod(self.heights)
        if total > MAX_NODES:
            raise InvalidInput(f"the lattice has {total} nodes, more than {MAX_NODES}")
        self.monotone = tuple(c.monotonic(suppression_limit) for c in self.criteria)
        self.sensitive_names = tuple(
            dict.fromkeys(c.attribute for c in self.criteria if c.attribute is not None)
        )
        self.sensitive_cards = tuple(len(data.sensitive[s].values) for s in self.sensitive_names)
        self._maps: dict[tuple[int, int, int], IntArray] = {}
        self.class_loss = [[_class_loss(h, lv) for lv in range(h.height)] for h in data.hierarchies]
        # per quasi-identifier and level: the summed loss of all records (for the lower bound)
        leaf_freq = [
            np.bincount(data.leaves[:, a], minlength=len(h.leaves)).astype(np.float64)
            for a, h in enumerate(data.hierarchies)
        ]
        self.level_loss = [
            np.asarray([float(leaf_freq[a] @ h.loss(lv)) for lv in range(h.height)])
            for a, h in enumerate(data.hierarchies)
        ]
        self.level_precision = [
            np.asarray([lv / max(h.height - 1, 1) for lv in range(h.height)])
            for h in data.hierarchies
        ]
        self.bottom = self._bottom_cells()

    # -- evaluation ---------------------------------------------------------------------------

    def nodes(self) -> IntArray:
        """Return every node of the lattice, one row of levels each."""
        grid = np.indices(self.heights).reshape(self.q, -1).T
        return np.ascontiguousarray(grid, dtype=np.int64)

    def lower_bound(self, nodes: IntArray) -> FloatArray:
        """Return, per node, its score if no record were suppressed (a lower bound)."""
        out = np.zeros(len(nodes))
        table = self.level_loss if self.metric == "loss" else self.level_precision
        for a in range(self.q):
            out += table[a][nodes[:, a]]
        scale = self.n * self.q if self.metric == "loss" else self.q
        return out / scale

    def mapping(self, attribute: int, source: int, target: int) -> IntArray:
        """Return (cached) the class-code mapping of one quasi-identifier between two levels."""
        key = (attribute, source, target)
        found = self._maps.get(key)
        if found is None:
            found = self.data.hierarchies[attribute].mapping(source, target)
            self._maps[key] = found
        return found

    def evaluate(
        self, levels: Sequence[int], source: Cells | None = None, *, full: bool = False
    ) -> Node:
        """Evaluate a node from the cells of a node at or below it (the bottom by default).

        The scores of a failing node are infinite unless `full` asks for them.
        """
        target = tuple(int(v) for v in levels)
        cells = source or self.bottom
        mapped = self._map(cells, target)
        inverse, classes = _group(mapped, self._cards(target))
        counts = cells.counts
        sizes = _weighted(inverse, weights=counts, minlength=classes)
        ok = np.ones(classes, dtype=np.bool_)
        ok_monotone = np.ones(classes, dtype=np.bool_)
        histograms: dict[str, FloatArray] = {}
        for criterion, monotone in zip(self.criteria, self.monotone, strict=True):
            histogram: FloatArray | None = None
            overall: FloatArray | None = None
            if criterion.attribute is not None:
                histogram = histograms.get(criterion.attribute)
                if histogram is None:
                    s = self.sensitive_names.index(criterion.attribute)
                    card = self.sensitive_cards[s]
                    flat = _weighted(
                        inverse * card + cells.sensitive[s],
                        weights=counts,
                        minlength=classes * card,
                    )
                    histogram = flat.reshape(classes, card)
                    histograms[criterion.attribute] = histogram
                overall = self.data.sensitive[criterion.attribute].overall
            verdict = criterion.check(sizes, histogram, overall)
            ok &= verdict
            if monotone:
                ok_monotone &= verdict
        suppressed = round(float(sizes[~ok].sum()))
        suppressed_monotone = round(float(sizes[~ok_monotone].sum()))
        if suppressed > self.limit and not full:
            return Node(
                target,
                False,
                suppressed_monotone > self.limit,
                0,
                suppressed,
                math.inf,
                math.inf,
                math.inf,
                0.0,
            )
        general = sum(float(self.level_loss[a][target[a]]) for a in range(self.q))
        if suppressed:
            row_loss = np.zeros(len(counts))
            for a in range(self.q):
                row_loss += self.class_loss[a][target[a]][mapped[a]]
            per_class = _weighted(inverse, weights=counts * row_loss, minlength=classes)
            general -= float(per_class[~ok].sum())
        loss = (general + suppressed * self.q) / (self.n * self.q)
        share = sum(float(self.level_precision[a][target[a]]) for a in range(self.q)) / self.q
        precision = ((self.n - suppressed) * share + suppressed) / self.n
        kept = sizes[ok]
        discernibility = float((kept**2).sum()) + float(suppressed) * self.n
        k = max((c.k for c in self.criteria if isinstance(c, KAnonymity)), default=1)
        average = (float(kept.sum()) / len(kept) / k) if len(kept) else 0.0
        return Node(
            levels=target,
            passes=suppressed <= self.limit,
            monotone_fails=suppressed_monotone > self.limit,
            classes=len(kept),
            suppressed=suppressed,
            loss=float(loss),
            precision=float(precision),
            discernibility=discernibility,
            average_class_size=average,
        )

    def classes(self, levels: Sequence[int]) -> tuple[IntArray, BoolArray]:
        """Return per record its equivalence class at `levels`, and whether the class passes."""
        target = tuple(int(v) for v in levels)
        columns = [self.mapping(a, 0, target[a])[self.data.leaves[:, a]] for a in range(self.q)]
        inverse, classes = _group(columns, self._cards(target))
        ones = np.ones(len(inverse))
        sizes = _weighted(inverse, weights=ones, minlength=classes)
        ok = np.ones(classes, dtype=np.bool_)
        for criterion in self.criteria:
            histogram: FloatArray | None = None
            overall: FloatArray | None = None
            if criterion.attribute is not None:
                sensitive = self.data.sensitive[criterion.attribute]
                card = len(sensitive.values)
                histogram = _weighted(
                    inverse * card + sensitive.codes, weights=ones, minlength=classes * card
                ).reshape(classes, card)
                overall = sensitive.overall
            ok &= criterion.check(sizes, histogram, overall)
        return inverse, ok

    def roll_up(self, cells: Cells, levels: tuple[int, ...]) -> Cells:
        """Return the cells of the node `levels` (at or above `cells.levels`)."""
        mapped = self._map(cells, levels)
        key, space = _group(mapped, self._cards(levels))
        for s, card in enumerate(self.sensitive_cards):
            key, space = _dense(key * card + cells.sensitive[s], space * card)
        first = np.empty(space, dtype=np.int64)
        first[key[::-1]] = np.arange(len(key) - 1, -1, -1)
        counts = _weighted(key, weights=cells.counts, minlength=space)
        return Cells(
            levels,
            tuple(column[first] for column in mapped),
            tuple(column[first] for column in cells.sensitive),
            counts,
        )

    def _map(self, cells: Cells, target: tuple[int, ...]) -> list[IntArray]:
        return [self.mapping(a, cells.levels[a], target[a])[cells.codes[a]] for a in range(self.q)]

    def _cards(self, target: tuple[int, ...]) -> list[int]:
        return [h.cardinality(lv) for h, lv in zip(self.data.hierarchies, target, strict=True)]

    def _bottom_cells(self) -> Cells:
        columns = [self.data.leaves[:, a] for a in range(self.q)] + [
            self.data.sensitive[s].codes for s in self.sensitive_names
        ]
        cards = [len(h.leaves) for h in self.data.hierarchies] + list(self.sensitive_cards)
        inverse, count = _group(columns, cards)
        first = np.full(count, -1, dtype=np.int64)
        first[inverse[::-1]] = np.arange(len(inverse))[::-1]
        counts = np.bincount(inverse, minlength=count).astype(np.float64)
        picked = [np.ascontiguousarray(column[first]) for column in columns]
        return Cells((0,) * self.q, tuple(picked[: self.q]), tuple(picked[self.q :]), counts)


def _class_loss(hierarchy: object, level: int) -> FloatArray:
    """Return, per class code at `level`, the loss of that class."""
    from govhub.privacy.anonymity.hierarchies import Hierarchy  # noqa: PLC0415

    assert isinstance(hierarchy, Hierarchy)  # noqa: S101
    total = len(hierarchy.leaves)
    sizes = hierarchy.leaf_counts[level].astype(np.float64)
    return np.asarray((sizes - 1) / max(total - 1, 1))


def _group(columns: Sequence[IntArray], cards: Sequence[int]) -> tuple[IntArray, int]:
    """Return a class index per row of the code `columns` (codes below `cards`) and the count."""
    space = math.prod(cards)
    if space >= 1 << 62:
        _, inverse = np.unique(np.stack(columns, axis=1), axis=0, return_inverse=True)
        inverse = inverse.reshape(-1).astype(np.int64)
        return inverse, int(inverse.max()) + 1
    key = columns[0].copy()
    for column, card in zip(columns[1:], cards[1:], strict=True):
        key *= card
        key += column
    return _dense(key, space)


def _weighted(index: IntArray, *, weights: FloatArray, minlength: int) -> FloatArray:
    """Return the weights summed per index value (``np.bincount`` typed as float)."""
    return np.asarray(np.bincount(index, weights=weights, minlength=minlength), np.float64)


def _dense(key: IntArray, space: int) -> tuple[IntArray, int]:
    """Renumber the keys (below `space`) as 0..n-1 in their order; return them and n."""
    if space <= DENSE_FACTOR * len(key):
        present = np.zeros(space, dtype=np.int64)
        present[key] = 1
        rank = np.cumsum(present) - 1
        return rank[key], int(rank[-1]) + 1
    unique, inverse = np.unique(key, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), len(unique)


def _rank(node: Node, metric: Metric) -> tuple[float, int, tuple[int, ...]]:
    return (round(node.score(metric) / TIE) * TIE, sum(node.levels), node.levels)


def exhaustive_search(lattice: Lattice) -> SearchResult:
    """Evaluate every node of the lattice and return the best one satisfying the criteria."""
    started = time.perf_counter()
    nodes = lattice.nodes()
    evaluated = [lattice.evaluate(row) for row in nodes]
    passing = [node for node in evaluated if node.passes]
    best = min(passing, key=lambda node: _rank(node, lattice.metric)) if passing else None
    return SearchResult(
        best,
        lattice.metric,
        len(nodes),
        len(nodes),
        0,
        time.perf_counter() - started,
        "exhaustive",
        evaluated,
    )


def search(lattice: Lattice, *, anchors: int = 1) -> SearchResult:
    """Find the optimal node by branch-and-bound with predictive tagging and roll-up.

    Nodes are evaluated from the cells of an *anchor*: the node keeping the levels of the
    `anchors` quasi-identifiers with the most distinct values and level 0 elsewhere. Anchors are
    rolled up on first use from the smallest anchor below them, so that most nodes are
    evaluated from a fraction of the distinct records.
    """
    started = time.perf_counter()
    nodes = lattice.nodes()
    total = len(nodes)
    bound = lattice.lower_bound(nodes)
    # highest nodes first, then lowest bound: a failure tags the most nodes below it,
    # a success bounds the loss of all the others
    order = np.lexsort((bound, -nodes.sum(axis=1)))
    nodes, bound = nodes[order], bound[order]
    columns = [np.ascontiguousarray(nodes[:, a], dtype=np.int8) for a in range(lattice.q)]
    open_ = np.ones(total, dtype=np.bool_)  # neither evaluated nor tagged
    reachable = np.ones(total, dtype=np.bool_)
    tagged = 0
    best: Node | None = None
    best_rank: tuple[float, int, tuple[int, ...]] | None = None
    widest = sorted(range(lattice.q), key=lambda a: -len(lattice.data.hierarchies[a].leaves))[
        :anchors
    ]
    cache: dict[tuple[int, ...], Cells] = {lattice.bottom.levels: lattice.bottom}
    evaluated: list[Node] = []
    while True:
        alive = open_ & reachable
        index = int(np.argmax(alive))
        if not alive[index]:
            break
        levels = nodes[index]
        anchor = tuple(int(levels[a]) if a in widest else 0 for a in range(lattice.q))
        source = cache.get(anchor)
        if source is None:
            below = [
                c for lv, c in cache.items() if all(x <= y for x, y in zip(lv, anchor, strict=True))
            ]
            source = lattice.roll_up(min(below, key=lambda c: len(c.counts)), anchor)
            cache[anchor] = source
        node = lattice.evaluate(levels, source)
        evaluated.append(node)
        open_[index] = False
        if node.monotone_fails:
            under = open_.copy()
            for a in range(lattice.q):
                under &= columns[a] <= levels[a]
            tagged += int(under.sum())
            open_ &= ~under
        elif node.passes:
            rank = _rank(node, lattice.metric)
            if best_rank is None or rank < best_rank:
                best, best_rank = node, rank
                reachable = bound <= node.score(lattice.metric) + TIE
    return SearchResult(
        best,
        lattice.metric,
        total,
        len(evaluated),
        tagged,
        time.perf_counter() - started,
        "branch-and-bound",
        evaluated,
    )
