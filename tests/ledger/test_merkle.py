"""Merkle math against the published RFC 6962/9162 vectors, and property tests."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govhub.ledger import merkle

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "merkle"
needs_vectors = pytest.mark.skipif(
    not VECTORS.is_dir(), reason="the shared test data is not present (../shared/testdata)"
)


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _cases(kind: str) -> list[Any]:
    if not VECTORS.is_dir():
        return []
    files = sorted((VECTORS / kind).rglob("*.json"))
    return [pytest.param(json.loads(f.read_text()), id=str(f.relative_to(VECTORS))) for f in files]


def _tree(size: int) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    for i in range(size):
        tree.append(merkle.leaf_hash(i.to_bytes(4, "big")))
    return tree


@needs_vectors
class TestVectors:
    def test_reference_tree_roots(self) -> None:
        reference = json.loads((VECTORS / "reference-tree.json").read_text())
        tree = merkle.MemoryTree()
        assert tree.root().hex() == reference["empty_root_hex"]
        for leaf, root in zip(
            reference["leaf_inputs_hex"], reference["root_hashes_hex_by_size_from_1"], strict=True
        ):
            tree.append(merkle.leaf_hash(bytes.fromhex(leaf)))
            assert tree.root().hex() == root

    def test_generated_proofs_match_the_reference_tree(self) -> None:
        reference = json.loads((VECTORS / "reference-tree.json").read_text())
        tree = merkle.MemoryTree()
        for leaf in reference["leaf_inputs_hex"]:
            tree.append(merkle.leaf_hash(bytes.fromhex(leaf)))
        for size in range(1, 9):
            for index in range(size):
                proof = tree.prove(merkle.inclusion_ranges(index, size))
                merkle.verify_inclusion(index, size, tree.nodes[(0, index)], proof, tree.root(size))

    def test_there_are_vectors(self) -> None:
        assert len(_cases("inclusion")) > 50
        assert len(_cases("consistency")) > 50

    @pytest.mark.parametrize("case", _cases("inclusion"))
    def test_inclusion_vector(self, case: dict[str, Any]) -> None:
        def run() -> None:
            merkle.verify_inclusion(
                case["leafIdx"],
                case["treeSize"],
                _b64(case["leafHash"]),
                [_b64(p) for p in case["proof"] or []],
                _b64(case["root"]),
            )

        if case.get("wantErr"):
            with pytest.raises(merkle.ProofError):
                run()
        else:
            run()

    @pytest.mark.parametrize("case", _cases("consistency"))
    def test_consistency_vector(self, case: dict[str, Any]) -> None:
        def run() -> None:
            merkle.verify_consistency(
                case["size1"],
                case["size2"],
                _b64(case["root1"]),
                _b64(case["root2"]),
                [_b64(p) for p in case["proof"] or []],
            )

        if case.get("wantErr"):
            with pytest.raises(merkle.ProofError):
                run()
        else:
            run()


TREE = _tree(300)
WHERE = st.integers(0, 10**6)
FLIP = st.integers(1, 255)


class TestProperties:
    @settings(max_examples=300, deadline=None)
    @given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
    def test_every_inclusion_proof_verifies(self, case: tuple[int, int]) -> None:
        size, index = case
        proof = TREE.prove(merkle.inclusion_ranges(index, size))
        assert len(proof) <= size.bit_length()
        merkle.verify_inclusion(index, size, TREE.nodes[(0, index)], proof, TREE.root(size))

    @settings(max_examples=300, deadline=None)
    @given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
    def test_every_consistency_proof_verifies(self, case: tuple[int, int]) -> None:
        first, second = case
        proof = TREE.prove(merkle.consistency_ranges(first, second))
        merkle.verify_consistency(first, second, TREE.root(first), TREE.root(second), proof)

    @settings(max_examples=300, deadline=None)
    @given(st.integers(2, 300).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(0, n - 1), WHERE, FLIP)
    ))  # fmt: skip
    def test_altering_any_byte_breaks_an_inclusion_proof(
        self, case: tuple[int, int, int, int]
    ) -> None:
        size, index, where, flip = case
        proof = TREE.prove(merkle.inclusion_ranges(index, size))
        parts = [TREE.nodes[(0, index)], *proof, TREE.root(size)]
        blob = bytearray(b"".join(parts))
        blob[where % len(blob)] ^= flip
        leaf, root = bytes(blob[:32]), bytes(blob[-32:])
        hashes = [bytes(blob[32 * (i + 1) : 32 * (i + 2)]) for i in range(len(proof))]
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, size, leaf, hashes, root)

    @settings(max_examples=300, deadline=None)
    @given(st.integers(2, 300).flatmap(
        lambda n: st.tuples(st.integers(1, n - 1), st.just(n), WHERE, FLIP)
    ))  # fmt: skip
    def test_altering_any_byte_breaks_a_consistency_proof(
        self, case: tuple[int, int, int, int]
    ) -> None:
        first, second, where, flip = case
        proof = TREE.prove(merkle.consistency_ranges(first, second))
        blob = bytearray(b"".join([TREE.root(first), *proof, TREE.root(second)]))
        blob[where % len(blob)] ^= flip
        chunks = [bytes(blob[i : i + 32]) for i in range(0, len(blob), 32)]
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(first, second, chunks[0], chunks[-1], chunks[1:-1])

    @given(st.integers(1, 300), st.integers(1, 300))
    def test_wrong_size_or_index_is_rejected(self, size: int, index: int) -> None:
        if index < size:
            proof = TREE.prove(merkle.inclusion_ranges(index - 1, size))
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(
                    index, size, TREE.nodes[(0, index - 1)], proof, TREE.root(size)
                )
        else:
            with pytest.raises(merkle.ProofError):
                merkle.inclusion_ranges(index, size)


class TestShapes:
    def test_range_nodes_are_aligned_and_cover_the_range(self) -> None:
        for lo in range(0, 64, 8):
            for hi in range(lo + 1, 100):
                nodes = merkle.range_nodes(lo, hi)
                covered = [
                    i for level, pos in nodes for i in range(pos << level, (pos + 1) << level)
                ]
                assert covered == list(range(lo, hi))

    def test_proofs_grow_like_log_n(self) -> None:
        assert len(merkle.inclusion_ranges(0, 2**40)) == 40
        assert len(merkle.consistency_ranges(3, 2**40)) <= 2 * 40

    def test_short_hashes_are_rejected(self) -> None:
        with pytest.raises(merkle.ProofError, match="32"):
            merkle.verify_inclusion(0, 1, b"short", [], b"\x00" * 32)


class TestFrontier:
    @settings(max_examples=40, deadline=None)
    @given(st.integers(0, 300), st.integers(0, 40))
    def test_it_matches_the_full_tree_from_any_starting_size(self, start: int, more: int) -> None:
        tree = _tree(start + more)
        frontier = merkle.Frontier(start, [tree.nodes[n] for n in merkle.root_nodes(start)])
        assert frontier.root() == tree.root(start)
        for i in range(start, start + more):
            completed = frontier.append(tree.nodes[(0, i)])
            assert all(tree.nodes[node] == digest for node, digest in completed)
            assert [node[1] << node[0] for node, _ in completed] == [
                i + 1 - (1 << level) for level in range(1, len(completed) + 1)
            ]
            assert frontier.root() == tree.root(i + 1)
        assert len(frontier.hashes) == (start + more).bit_count()

    def test_a_frontier_needs_one_hash_per_set_bit_of_its_size(self) -> None:
        with pytest.raises(ValueError, match="has 2 hashes"):
            merkle.Frontier(5, [b"\x00" * 32])
