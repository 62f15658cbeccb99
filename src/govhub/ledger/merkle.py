"""Merkle tree math of RFC 9162 (Certificate Transparency 2.0), with no storage attached.

Leaf hash `SHA-256(0x00 || data)`, node hash `SHA-256(0x01 || left || right)`. The log stores
the hash of every *complete aligned subtree*: node `(level, index)` covers the leaves
`[index * 2**level, (index + 1) * 2**level)`; level 0 is the leaf hashes. Every subtree that
RFC 9162's proof definitions mention, `MTH(D[lo:hi])`, starts at a multiple of a power of two
at least as large as its size, so it splits into at most log2(n) stored nodes
(`range_nodes`), and its hash is their right fold (`fold`). A proof is therefore a list of
ranges (`inclusion_ranges`, `consistency_ranges`), resolved with one read of O(log n) nodes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeId = tuple[int, int]
Range = tuple[int, int]


class ProofError(ValueError):
    """A proof, hash or tree size that does not verify."""


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 hash of a leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """Return the largest power of two strictly smaller than `n` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(lo: int, hi: int) -> list[NodeId]:
    """Split the leaves `[lo, hi)` into complete aligned subtrees, largest first."""
    if not 0 <= lo < hi:
        raise ValueError(f"empty or negative range [{lo}, {hi})")
    nodes: list[NodeId] = []
    start = lo
    while start < hi:
        size = hi - start
        level = size.bit_length() - 1
        while start % (1 << level):
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """Return the hash of consecutive aligned subtrees listed largest first (a right fold)."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def root_nodes(size: int) -> list[NodeId]:
    """Return the stored nodes whose fold is the root of a tree of `size` leaves."""
    return range_nodes(0, size) if size else []


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """Return the subtrees of RFC 9162's PATH(index, D[size]), in proof order."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo = lo + k
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[Range]:
    """Return the subtrees of RFC 9162's PROOF(first, D[second]), in proof order."""
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    ranges: list[Range] = []
    lo, hi, m, complete = 0, second, first, True
    while True:
        n = hi - lo
        if m == n:
            if not complete:
                ranges.append((lo, hi))
            break
        k = _largest_power_of_two_below(n)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    ranges.reverse()
    return ranges


def nodes_of(ranges: Iterable[Range]) -> set[NodeId]:
    """Return every stored node needed to hash the given ranges."""
    return {node for lo, hi in ranges for node in range_nodes(lo, hi)}


def resolve(ranges: Sequence[Range], nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """Hash each range from the fetched stored nodes."""
    return [fold([nodes[node] for node in range_nodes(lo, hi)]) for lo, hi in ranges]


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes long, not {HASH_SIZE}")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Compute the root an inclusion proof leads to (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hash(leaf, "the leaf hash")
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        _check_hash(sibling, "a proof hash")
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    return result


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `leaf` sits at `index` of the tree of `size` leaves with `root`."""
    _check_hash(root, "the root hash")
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError("the inclusion proof does not lead to the root")


def _consistency_roots(
    first: int, second: int, first_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """Run RFC 9162's consistency-proof loop; return the two roots the proof leads to."""
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for item in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(item, fr)
            sr = node_hash(item, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, item)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    return fr, sr


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of `second` leaves extends the tree of `first` (RFC 9162 2.1.4.2).

    Equal sizes need an empty proof and equal roots (compared as given, as the reference
    implementation does); otherwise every hash must be 32 bytes long.
    """
    if second < first:
        raise ProofError(f"size {second} is smaller than size {first}")
    if first == 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if first == second:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if first_root != second_root:
            raise ProofError("two trees of the same size have different roots")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    _check_hash(first_root, "the first root")
    _check_hash(second_root, "the second root")
    for item in proof:
        _check_hash(item, "a proof hash")
    fr, sr = _consistency_roots(first, second, first_root, proof)
    if fr != first_root:
        raise ProofError("the consistency proof does not lead to the first root")
    if sr != second_root:
        raise ProofError("the consistency proof does not lead to the second root")


class MemoryTree:
    """An in-memory log storing every complete subtree: the reference model and for `verify`."""

    def __init__(self) -> None:
        self.nodes: dict[NodeId, bytes] = {}
        self.size = 0

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        """Append a leaf hash; return the interior nodes it completes (level >= 1)."""
        index = self.size
        self.nodes[(0, index)] = leaf
        self.size += 1
        completed: list[tuple[NodeId, bytes]] = []
        level, position, current = 0, index, leaf
        while position & 1:
            current = node_hash(self.nodes[(level, position - 1)], current)
            level, position = level + 1, position >> 1
            self.nodes[(level, position)] = current
            completed.append(((level, position), current))
        return completed

    def root(self, size: int | None = None) -> bytes:
        """Return the root of the first `size` leaves (default: all)."""
        size = self.size if size is None else size
        return fold([self.nodes[node] for node in root_nodes(size)])

    def prove(self, ranges: Sequence[Range]) -> list[bytes]:
        """Return the hashes of `ranges`."""
        return resolve(ranges, self.nodes)


class Frontier:
    """The right edge of a log: the hashes of its `root_nodes`, largest first, O(log n) of them.

    Enough to append leaves (and learn the subtree hashes they complete) and to compute the
    root, without keeping the tree: what integration and the streaming audit hold in memory.
    """

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError(f"a frontier of {size} leaves has {size.bit_count()} hashes")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        """Append a leaf hash; return the interior nodes it completes (level >= 1)."""
        level, position, current = 0, self.size, leaf
        self.size += 1
        completed: list[tuple[NodeId, bytes]] = []
        hashes = self.hashes
        while position & 1:
            current = node_hash(hashes.pop(), current)
            level, position = level + 1, position >> 1
            completed.append(((level, position), current))
        hashes.append(current)
        return completed

    def root(self) -> bytes:
        """Return the root of the tree of `size` leaves."""
        return fold(self.hashes)


def frontier_after(size: int) -> list[NodeId]:
    """Return the nodes a tree of `size` leaves needs to compute the nodes of the next leaves."""
    return root_nodes(size)


NodeReader = Callable[[set[NodeId]], Mapping[NodeId, bytes]]
