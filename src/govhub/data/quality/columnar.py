"""The columnar fast path: compiled checks evaluated over whole Arrow columns.

`plan` turns a check's sqlglot condition into a function of Arrow columns (pyarrow.compute
kernels, the validators of `vectorized` for check characters, byte ranges for patterns of
fixed-width ASCII text and RE2 for other patterns), or raises `Unsupported` when a node's
DuckDB meaning cannot be matched exactly: the check then runs as SQL. Supported: columns,
literals, AND/OR/NOT (three-valued), comparisons of like types, IS NULL, IN (a list, or a
subquery that DuckDB answers once), BETWEEN, COALESCE, LENGTH, full-match patterns, casts to
text of text and integers and to DOUBLE of numbers, and the registered validators. The engine
reads every column these checks need once, runs each check as one pass per column (`tally`: a
condition of one dictionary-encoded column once per distinct value, its totals from the counts
of the rows' codes), and fetches failing-row samples by position.

`duplicates` finds the rows whose complete key occurs more than once: a 64-bit fingerprint of
each key (its bytes for text, by the compiled kernels of `kernels`, or with NumPy for text of
one width; its value for integers and dates) narrows the rows to candidates, whose sorted
fingerprints give the repeated ones, and an exact grouping of those rows alone settles which
keys repeat, so fingerprint collisions never change a count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from threading import Lock
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from govhub.data.quality import kernels
from govhub.data.quality.vectorized import FUNCTIONS, byte_pattern, match_bytes

Datum: TypeAlias = pa.Array | pa.Scalar
Columns: TypeAlias = Mapping[str, pa.Array]
Subquery: TypeAlias = Callable[[exp.Expr], pa.Array]

NUMBERS = ("int", "uint", "float")
_TEXT = (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT)
_FUNCTIONS = {name.casefold(): function for name, function in FUNCTIONS.items()}


class Unsupported(Exception):
    """A condition the columnar path does not evaluate exactly as DuckDB; it runs as SQL."""


class NotExact(Exception):
    """Raised while running a plan on data it would not judge exactly as DuckDB (NaN), or when
    a subquery it reads answers something other than text."""


@dataclass(frozen=True)
class Node:
    """A planned expression: its Arrow type, whether it is a literal, and how to compute it."""

    type: pa.DataType
    run: Callable[[Columns], Datum]
    literal: object = None
    is_literal: bool = False


def _family(kind: pa.DataType) -> str:
    """Return the comparison family of an Arrow type ("other": not supported)."""
    if pa.types.is_boolean(kind):
        return "bool"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    if pa.types.is_signed_integer(kind):
        return "int"
    if pa.types.is_unsigned_integer(kind):
        return "uint"
    if kind == pa.float64():
        return "float"
    if pa.types.is_date32(kind) or pa.types.is_timestamp(kind):
        return str(kind)
    return "other"


def _constant(value: object, kind: pa.DataType) -> Node:
    scalar = pa.scalar(value, kind)
    return Node(kind, lambda _: scalar, literal=value, is_literal=True)


def _as(node: Node, kind: pa.DataType) -> Node:
    """Return a literal `node` as a scalar of `kind` when that keeps its value exactly:
    integers as numbers of any kind (DuckDB casts them to the column's type too), nothing else."""
    value = node.literal
    family = _family(kind)
    if not isinstance(value, int) or isinstance(value, bool) or family not in NUMBERS:
        raise Unsupported(f"the constant {value!r} against {kind}")
    if (family == "uint" and value < 0) or (family == "float" and float(value) != value):
        raise Unsupported(f"the constant {value} against {kind}")
    try:
        return _constant(value, kind)
    except (pa.ArrowInvalid, OverflowError) as exc:
        raise Unsupported(str(exc)) from None


def _align(left: Node, right: Node) -> tuple[Node, Node]:
    """Make two operands comparable as DuckDB compares them, or refuse."""
    a, b = _family(left.type), _family(right.type)
    if "other" in (a, b):
        raise Unsupported("a type the columnar path does not compare")
    if a == b:
        return left, right
    if left.is_literal and not right.is_literal:
        return _as(left, right.type), right
    if right.is_literal and not left.is_literal:
        return left, _as(right, left.type)
    if {a, b} in ({"int", "float"}, {"uint", "float"}):
        return left, right  # DuckDB compares an integer and a DOUBLE as DOUBLE, as Arrow does
    raise Unsupported(f"{left.type} against {right.type}")


def _literal(node: exp.Literal) -> Node:
    if node.is_string:
        return _constant(node.this, pa.string())
    text = str(node.this)
    try:
        return _constant(int(text), pa.int64())
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise Unsupported(f"the number {text}") from None
    return _constant(value, pa.float64())


def _bool(node: Node) -> Node:
    if _family(node.type) != "bool":
        raise Unsupported("a condition that is not boolean")
    return node


def _null_where(source: Datum, result: Datum) -> Datum:
    """Return `result` with NULL wherever `source` is NULL."""
    if isinstance(source, pa.Scalar):
        return pa.scalar(None, pa.bool_()) if not source.is_valid else result
    if not source.null_count:
        return result
    return pc.if_else(pc.is_valid(source), result, pa.scalar(None, pa.bool_()))


_COMPARE: dict[type[exp.Expr], str] = {
    exp.EQ: "equal",
    exp.NEQ: "not_equal",
    exp.GT: "greater",
    exp.GTE: "greater_equal",
    exp.LT: "less",
    exp.LTE: "less_equal",
}


def _members_once(subquery: Subquery, query: exp.Expr) -> Callable[[], tuple[pa.Array, bool]]:
    """Return a function giving the distinct non-NULL text answers of a one-column subquery
    and whether it answers NULL too. The subquery runs on the first call only (the checks run
    on several threads), so a plan is made before the engine's connection is open."""
    lock = Lock()
    found: list[tuple[pa.Array, bool]] = []

    def members() -> tuple[pa.Array, bool]:
        with lock:
            if not found:
                answer = subquery(query)
                if _family(answer.type) != "text":
                    raise NotExact("a subquery of another type than text")
                found.append((pc.unique(answer.drop_null()), answer.null_count > 0))
        return found[0]

    return members


@dataclass
class Planner:
    """Plans conditions against one table's Arrow schema."""

    schema: pa.Schema
    subquery: Subquery

    def __post_init__(self) -> None:
        self._names = {name.casefold(): name for name in self.schema.names}

    def columns(self, tree: exp.Expr) -> set[str]:
        """Return the table's names of the columns a condition reads."""
        found = set()
        inside = (exp.Subquery, exp.Select)  # a subquery's columns are its own table's
        for node in tree.walk(prune=lambda n: isinstance(n, inside)):
            if not isinstance(node, exp.Column):
                continue
            name = self._names.get(node.name.casefold())
            if name is None or node.table:
                raise Unsupported(f"the column {node.name}")
            found.add(name)
        return found

    def plan(self, tree: exp.Expr) -> Node:  # noqa: PLR0912 - one case per node
        """Return the planned form of `tree`, or raise `Unsupported`."""
        if isinstance(tree, exp.Paren):
            return self.plan(tree.this)
        if isinstance(tree, exp.Column):
            name = next(iter(self.columns(tree)))
            kind = self.schema.field(name).type
            if _family(kind) == "other":
                raise Unsupported(f"the type {kind}")
            return Node(kind, lambda cols: cols[name])
        if isinstance(tree, exp.Literal):
            return _literal(tree)
        if isinstance(tree, exp.Boolean):
            return _constant(bool(tree.this), pa.bool_())
        if isinstance(tree, exp.Not):
            inner = _bool(self.plan(tree.this))
            return Node(pa.bool_(), lambda cols: pc.invert(inner.run(cols)))
        if isinstance(tree, exp.And | exp.Or):
            left, right = _bool(self.plan(tree.this)), _bool(self.plan(tree.expression))
            kernel = pc.and_kleene if isinstance(tree, exp.And) else pc.or_kleene
            return Node(pa.bool_(), lambda cols: kernel(left.run(cols), right.run(cols)))
        if type(tree) in _COMPARE:
            return self._compare(_COMPARE[type(tree)], tree.this, tree.expression)
        if isinstance(tree, exp.Is):
            if not isinstance(tree.expression, exp.Null):
                raise Unsupported("IS with something other than NULL")
            inner = self.plan(tree.this)
            return Node(pa.bool_(), lambda cols: pc.is_null(inner.run(cols)))
        if isinstance(tree, exp.Between):
            if tree.args.get("symmetric"):
                raise Unsupported("BETWEEN SYMMETRIC")
            low = self._compare("greater_equal", tree.this, tree.args["low"])
            high = self._compare("less_equal", tree.this, tree.args["high"])
            return Node(pa.bool_(), lambda cols: pc.and_kleene(low.run(cols), high.run(cols)))
        if isinstance(tree, exp.In):
            return self._in(tree)
        if isinstance(tree, exp.Coalesce):
            parts = [self.plan(p) for p in [tree.this, *tree.expressions]]
            if len({_family(p.type) for p in parts}) != 1:
                raise Unsupported("COALESCE of mixed types")
            return Node(parts[0].type, lambda cols: pc.coalesce(*[p.run(cols) for p in parts]))
        if isinstance(tree, exp.Length):
            inner = self.plan(tree.this)
            if _family(inner.type) != "text" or inner.is_literal:
                raise Unsupported("LENGTH of something other than a text column")
            return Node(pa.int64(), lambda cols: pc.utf8_length(inner.run(cols)))
        if isinstance(tree, exp.RegexpLike):
            return self._regex(tree)
        if isinstance(tree, exp.Cast):  # TryCast too
            return self._cast(tree)
        if isinstance(tree, exp.Anonymous):
            return self._function(tree)
        raise Unsupported(f"{tree.key.upper()}")

    def _compare(self, kernel: str, a: exp.Expr, b: exp.Expr) -> Node:
        left, right = _align(self.plan(a), self.plan(b))
        function = getattr(pc, kernel)
        if "float" not in (_family(left.type), _family(right.type)):
            return Node(pa.bool_(), lambda cols: function(left.run(cols), right.run(cols)))

        def run(cols: Columns) -> Datum:
            x, y = left.run(cols), right.run(cols)
            for side in (x, y):
                floats = isinstance(side, pa.Array) and _family(side.type) == "float"
                if floats and pc.any(pc.is_nan(side)).as_py():
                    # DuckDB orders NaN above every number and equal to itself; IEEE does not.
                    raise NotExact("NaN in a comparison")
            return function(x, y)

        return Node(pa.bool_(), run)

    def _in(self, tree: exp.In) -> Node:
        extra = {k for k, v in tree.args.items() if v and k not in ("this", "expressions", "query")}
        if extra:
            raise Unsupported(f"IN with {', '.join(sorted(extra))}")
        value = self.plan(tree.this)
        if value.is_literal:
            raise Unsupported("IN on a constant")
        query = tree.args.get("query")
        if query is not None:
            if _family(value.type) != "text":
                raise Unsupported("IN a subquery on something other than text")
            members = _members_once(
                self.subquery, query.unnest() if isinstance(query, exp.Subquery) else query
            )
        else:
            items = [self.plan(e) for e in tree.expressions]
            if not all(i.is_literal for i in items) or any(i.literal is None for i in items):
                raise Unsupported("IN with something other than a list of constants")
            aligned = [_align(value, i)[1] for i in items]
            try:
                listed = pa.array([a.literal for a in aligned], value.type)
            except (pa.ArrowInvalid, OverflowError, TypeError) as exc:
                raise Unsupported(str(exc)) from None

            def members() -> tuple[pa.Array, bool]:
                return listed, False

        def run(cols: Columns) -> Datum:
            source = value.run(cols)
            values, has_null = members()
            found = pc.is_in(source, value_set=values)
            if has_null:  # x IN (..., NULL) is NULL, not FALSE, when x is not found
                found = pc.if_else(found, True, pa.scalar(None, pa.bool_()))
            return _null_where(source, found)

        return Node(pa.bool_(), run)

    def _regex(self, tree: exp.RegexpLike) -> Node:
        extra = {k for k, v in tree.args.items() if v and k not in ("this", "expression")}
        pattern = tree.expression
        if extra or not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise Unsupported("a pattern that is not a constant")
        value = self.plan(tree.this)
        if _family(value.type) != "text" or value.is_literal:
            raise Unsupported("a pattern on something other than a text column")
        text = str(pattern.this)
        sets = byte_pattern(text)
        if sets is not None:  # fixed-width ASCII: byte ranges, position by position
            return Node(pa.bool_(), lambda cols: match_bytes(value.run(cols), sets))
        return Node(pa.bool_(), lambda cols: pc.match_substring_regex(value.run(cols), text))

    def _cast(self, tree: exp.Cast) -> Node:
        to = tree.args["to"]
        value = self.plan(tree.this)
        source = _family(value.type)
        if value.is_literal or not isinstance(to, exp.DataType) or to.expressions:
            raise Unsupported("a cast of a constant or to a parameterized type")
        if to.this in _TEXT and source == "text":
            return value
        if to.this in _TEXT and source in ("int", "uint"):
            return Node(pa.string(), lambda cols: pc.cast(value.run(cols), pa.string()))
        if to.this == exp.DataType.Type.DOUBLE and source in ("int", "uint", "float"):
            return Node(
                pa.float64(),
                lambda cols: pc.cast(value.run(cols), pa.float64(), safe=False),
            )
        raise Unsupported(f"a cast of {value.type} to {to.sql()}")

    def _function(self, tree: exp.Anonymous) -> Node:
        function = _FUNCTIONS.get(str(tree.this).casefold())
        if function is None or len(tree.expressions) != 1:
            raise Unsupported(f"the function {tree.this}")
        value = self.plan(tree.expressions[0])
        if _family(value.type) != "text" or value.is_literal:
            raise Unsupported("a validator of something other than a text column")
        return Node(pa.bool_(), lambda cols: function(value.run(cols)))


def run(node: Node, columns: Columns) -> Datum:
    """Run a planned condition over the columns it reads (dictionary-encoded ones decoded)."""
    return node.run(
        {
            n: a.dictionary_decode() if pa.types.is_dictionary(a.type) else a
            for n, a in columns.items()
        }
    )


def count_true(result: Datum, rows: int) -> int:
    """Return how many rows a condition is TRUE for (a scalar holds for every row)."""
    if isinstance(result, pa.Scalar):
        return rows if result.as_py() is True else 0
    return int(pc.sum(result).as_py() or 0)


def first_true(result: Datum, rows: int, size: int) -> npt.NDArray[np.int64]:
    """Return the positions of the first `size` rows a condition is TRUE for."""
    if size <= 0:
        return np.zeros(0, dtype=np.int64)
    if isinstance(result, pa.Scalar):
        return np.arange(min(size, rows) if result.as_py() is True else 0, dtype=np.int64)
    found = pc.indices_nonzero(result)[:size]
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)


def _truth(result: Datum, rows: int) -> npt.NDArray[np.bool_]:
    """Return whether a condition is TRUE for each row (NULL is not)."""
    if isinstance(result, pa.Scalar):
        return np.full(rows, result.as_py() is True)
    return np.asarray(pc.fill_null(result, False).to_numpy(zero_copy_only=False), dtype=bool)


def tally(
    fail: Node, scope: Node | None, columns: Columns, rows: int, size: int
) -> tuple[int, int, npt.NDArray[np.int64]]:
    """Return, over one batch of the columns a check reads: how many rows its condition `fail`
    is TRUE for, how many its `scope` is (every row without one), and the positions of the
    first `size` rows that fail.

    A check of one dictionary-encoded column runs once per distinct value (and once for
    NULL): the counts of the rows' codes then give the totals, and the failing rows come from
    looking each row's code up, only when samples are wanted."""
    encoded = [array for array in columns.values() if pa.types.is_dictionary(array.type)]
    if len(columns) != 1 or not encoded:
        result = run(fail, columns)
        evaluated = rows if scope is None else count_true(run(scope, columns), rows)
        return count_true(result, rows), evaluated, first_true(result, rows, size)
    ((name, array),) = columns.items()
    values = pa.concat_arrays([array.dictionary, pa.nulls(1, array.dictionary.type)])
    indices = array.indices.fill_null(len(values) - 1) if array.null_count else array.indices
    codes = np.asarray(indices.to_numpy(zero_copy_only=False))
    counts = np.bincount(codes, minlength=len(values))
    failing = _truth(fail.run({name: values}), len(values))
    in_scope = None if scope is None else _truth(scope.run({name: values}), len(values))
    failed = int(counts[failing].sum())
    evaluated = rows if in_scope is None else int(counts[in_scope].sum())
    if not failed or size <= 0:
        return failed, evaluated, np.zeros(0, dtype=np.int64)
    return failed, evaluated, np.flatnonzero(failing[codes])[:size].astype(np.int64)


def take_rows(table: pa.Table, wanted: Sequence[int] | npt.NDArray[np.int64]) -> pa.Table:
    """Return the rows at ascending positions `wanted` of `table`, batch by batch (a take of
    the whole table first joins its chunks into one: a copy of every column)."""
    batches = table.to_batches()
    ends = np.cumsum([batch.num_rows for batch in batches])
    positions = np.asarray(wanted, dtype=np.int64)
    where = np.searchsorted(ends, positions, side="right")
    parts = [
        batches[i].take(pa.array(positions[where == i] - (ends[i] - batches[i].num_rows)))
        for i in np.unique(where)
    ]
    return pa.Table.from_batches(parts, table.schema)


# --- key uniqueness ------------------------------------------------------------------------

_MIX = np.uint64(0x9E3779B97F4A7C15)
# An odd multiplier per 64-bit word of a fixed-width text (at most 8 words: 64 bytes).
_WORD_KEYS = [np.uint64((0xBF58476D1CE4E5B9 * (2 * k + 1)) % (1 << 64)) for k in range(8)]


def _fixed_width_text(array: pa.Array) -> npt.NDArray[np.uint64] | None:
    """Fingerprint text whose values all have one byte length: the sum of its bytes as 64-bit
    words, each times its own odd multiplier, then mixed (read in place, no copy of the text)."""
    wide = pa.types.is_large_string(array.type)
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[array.offset : array.offset + len(array) + 1].astype(np.int64)
    lengths = np.diff(offsets)
    if len(lengths) == 0 or buffers[2] is None:
        return np.zeros(len(lengths), dtype=np.uint64)
    width = int(lengths[0])
    if width > 64 or not (lengths == width).all():
        return None
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    first = int(offsets[0])
    codes = data[first : first + width * len(lengths)].reshape(len(lengths), width)
    total = np.zeros(len(lengths), dtype=np.uint64)
    for start in range(0, width, 8):
        piece = codes[:, start : start + 8]
        lane = {8: np.uint64, 4: np.uint32, 2: np.uint16, 1: np.uint8}.get(piece.shape[1])
        if lane is None:  # 3, 5, 6 or 7 trailing bytes: widen them one by one
            word = np.zeros(len(lengths), dtype=np.uint64)
            for k in range(piece.shape[1]):
                word |= piece[:, k].astype(np.uint64) << np.uint64(8 * k)
        else:
            word = piece.view(lane)[:, 0]
        total += word * _WORD_KEYS[start // 8]
    total ^= total >> np.uint64(31)
    return total


def _fingerprint(array: pa.Array) -> npt.NDArray[np.uint64] | None:
    """Return a 64-bit fingerprint of each value (none NULL), or None for other types."""
    kind = array.type
    if _family(kind) == "text":
        return _fixed_width_text(array)
    if _family(kind) in ("int", "uint", "bool") or _family(kind) == str(kind):
        numbers = np.asarray(array.to_numpy(zero_copy_only=False))
        return numbers.astype(np.int64).view(np.uint64)
    return None


_SIEVE_BITS = 20


def _repeated(prints: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """Return the indexes (ascending) of fingerprints that occur more than once (and, from
    the compiled kernel, rarely another: the caller groups the candidates exactly).

    Without the kernels, every fingerprint is sorted, which gives the repeated ones (few),
    and a table of 2^20 flags indexed by their low bits sieves the rows in one pass."""
    if kernels.loaded():
        return kernels.repeated(prints)
    ordered = np.sort(prints)
    again = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if not len(again):
        return np.zeros(0, dtype=np.int64)
    low = np.uint64((1 << _SIEVE_BITS) - 1)
    sieve = np.zeros(1 << _SIEVE_BITS, dtype=bool)
    sieve[(again & low).view(np.int64)] = True  # below 2^20: the same number either way
    candidates = np.flatnonzero(sieve[np.bitwise_and(prints, low).view(np.int64)])
    found = prints[candidates]
    at = np.minimum(np.searchsorted(again, found), len(again) - 1)
    repeated: npt.NDArray[np.int64] = candidates[again[at] == found].astype(np.int64)
    return repeated


@dataclass
class Duplicates:
    """Rows whose complete key occurs more than once."""

    evaluated: int
    positions: npt.NDArray[np.int64]  # ascending row positions
    groups: npt.NDArray[np.int64]  # the key group of each position

    def sample(self, size: int) -> npt.NDArray[np.int64]:
        """Return every position of the keys of the first `size` duplicated rows met."""
        chosen = np.unique(self.groups[:size])
        return self.positions[np.isin(self.groups, chosen)]


def _key_prints(frame: pa.Table, keys: Sequence[str]) -> npt.NDArray[np.uint64] | None:
    """Return a fingerprint of each row's key, or None when a key column cannot have one."""
    prints: npt.NDArray[np.uint64] | None = None
    for key in keys:
        column = frame[key]
        if kernels.loaded() and _family(column.type) == "text":
            part = kernels.fingerprint(column)
        else:
            parts = [_fingerprint(chunk) for chunk in column.chunks]
            found = [part for part in parts if part is not None]
            if len(found) != len(parts):
                return None
            part = np.concatenate(found) if found else np.zeros(frame.num_rows, dtype=np.uint64)
        if prints is None:
            prints = part
            continue
        prints = (prints ^ part) * _MIX
        prints ^= prints >> np.uint64(29)
    return prints


def duplicates(table: pa.Table, keys: Sequence[str]) -> Duplicates:
    """Find the rows of `table` whose complete key (no NULL part) occurs more than once."""
    for key in keys:
        kind = table.schema.field(key).type
        if _family(kind) in ("other", "float"):
            raise Unsupported(f"a key of type {kind}")
    frame = table.select(list(keys))
    rows: npt.NDArray[np.int64] | None = None  # the table's row of each frame row (None: same)
    if any(frame[k].null_count for k in keys):
        valid = [pc.is_valid(frame[k]) for k in keys]
        complete = reduce(pc.and_, valid)
        frame = frame.filter(complete)
        rows = np.flatnonzero(np.asarray(complete.to_numpy(zero_copy_only=False), dtype=bool))
    evaluated = frame.num_rows
    prints = _key_prints(frame, keys)
    candidates = np.arange(evaluated) if prints is None else _repeated(prints)
    at = candidates if rows is None else rows[candidates]
    exact = take_rows(frame, candidates).append_column("__row", pa.array(at))
    grouped = exact.group_by(list(keys), use_threads=False).aggregate([("__row", "list")])
    lists = grouped["__row_list"].combine_chunks()
    sizes = pc.list_value_length(lists).to_numpy(zero_copy_only=False)
    repeated = np.flatnonzero(sizes > 1)
    if not len(repeated):
        return Duplicates(evaluated, np.zeros(0, np.int64), np.zeros(0, np.int64))
    kept = lists.take(pa.array(repeated))
    positions = np.asarray(kept.flatten().to_numpy(zero_copy_only=False), dtype=np.int64)
    groups = np.repeat(np.arange(len(repeated), dtype=np.int64), sizes[repeated])
    order = np.argsort(positions, kind="stable")
    return Duplicates(evaluated, positions[order], groups[order])
