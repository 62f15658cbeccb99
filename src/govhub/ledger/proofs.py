"""Reading the log: checkpoints, and inclusion and consistency proofs from stored hashes.

Every proof is one round trip: the subtree hashes it needs and the current tree size come
back from a single query (`_fetch`), O(log n) primary-key reads whatever the tree size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import InvalidInput, NotFound
from govhub.ledger import merkle
from govhub.ledger.checkpoint import Note, Signature
from govhub.ledger.models import STATE_ID, LedgerCheckpoint, LedgerCosignature, LedgerEntry


def _int_list(values: list[int]) -> str:
    return ",".join(str(int(v)) for v in values)


# PostgreSQL: one fixed statement text for every proof, run on psycopg's own cursor with
# `prepare=True`: prepared server-side at once, no SQLAlchemy compilation or result processing.
_PG_FETCH = (
    f"SELECT -1, tree_size, root_hash FROM ledger_state WHERE id = {STATE_ID} "  # noqa: S608
    "UNION ALL SELECT 0, log_index, leaf_hash FROM ledger_entries "
    "WHERE log_index = ANY(%s::bigint[]) "
    'UNION ALL SELECT n."level", n."position", n."hash" FROM ledger_nodes n '
    "JOIN unnest(%s::smallint[], %s::bigint[]) AS w(l, p) "
    'ON n."level" = w.l AND n."position" = w.p'
)


def _fetch(session: Session, wanted: set[merkle.NodeId]) -> tuple[dict[merkle.NodeId, bytes], int]:
    """Fetch stored subtree hashes and the current tree size in one round trip.

    The hot path of every proof: level 0 comes from the entries, higher levels from the
    nodes, by primary key. PostgreSQL gets one fixed, prepared statement with arrays; SQLite
    (which does not index row-value IN lists) one probe per level, written out with integer
    literals (only ints are interpolated, through `_int_list`) so nothing is compiled per call.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        inner = [(level, position) for level, position in wanted if level > 0]
        params = (
            [position for level, position in wanted if level == 0],
            [level for level, _ in inner],
            [position for _, position in inner],
        )
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        return _collect(cursor.execute(_PG_FETCH, params, prepare=True).fetchall())
    leaves = sorted(position for level, position in wanted if level == 0)
    by_level: dict[int, list[int]] = {}
    for level, position in wanted:
        if level > 0:
            by_level.setdefault(level, []).append(position)
    parts = [f"SELECT -1, tree_size, root_hash FROM ledger_state WHERE id = {STATE_ID}"]  # noqa: S608
    if leaves:
        in_list = _int_list(leaves)
        leaf_sql = (
            f"SELECT 0, log_index, leaf_hash FROM ledger_entries WHERE log_index IN ({in_list})"  # noqa: S608
        )
        parts.append(leaf_sql)
    if by_level:
        where = " OR ".join(
            f'("level" = {int(level)} AND "position" IN ({_int_list(positions)}))'
            for level, positions in sorted(by_level.items())
        )
        parts.append(f'SELECT "level", "position", "hash" FROM ledger_nodes WHERE {where}')  # noqa: S608
    return _collect(connection.exec_driver_sql(" UNION ALL ".join(parts)))


def _collect(rows: Iterable[Any]) -> tuple[dict[merkle.NodeId, bytes], int]:
    """Split the rows of a node fetch into the hashes and the current tree size (level -1)."""
    found: dict[merkle.NodeId, bytes] = {}
    current = 0
    for level, position, digest in rows:
        if level == -1:
            current = int(position)
        elif digest is not None:
            found[(int(level), int(position))] = bytes(digest)
    return found, current


def read_nodes(session: Session, wanted: set[merkle.NodeId]) -> dict[merkle.NodeId, bytes]:
    """Fetch stored subtree hashes (level 0 from the entries), failing if any is missing."""
    found, _ = _fetch(session, wanted)
    missing = wanted - set(found)
    if missing:
        raise NotFound(f"the ledger lacks the stored subtree hashes {sorted(missing)[:3]}")
    return found


def tree_size(session: Session) -> int:
    """Return the size of the integrated tree."""
    size = (
        session.connection()
        .exec_driver_sql(
            f"SELECT tree_size FROM ledger_state WHERE id = {STATE_ID}"  # noqa: S608 - a constant
        )
        .scalar()
    )
    return int(size) if size is not None else 0


def latest_checkpoint(session: Session) -> LedgerCheckpoint:
    """Return the newest signed checkpoint."""
    row = session.scalar(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size.desc()).limit(1)
    )
    if row is None:
        raise NotFound("the ledger has no checkpoint yet")
    return row


def latest_checkpoint_text(session: Session) -> str | None:
    """Return the newest checkpoint with its cosignatures, or None before the first one."""
    try:
        return checkpoint_text(session, latest_checkpoint(session))
    except NotFound:
        return None


def get_checkpoint(session: Session, size: int) -> LedgerCheckpoint:
    """Return the checkpoint of one tree size."""
    row = session.get(LedgerCheckpoint, size)
    if row is None:
        raise NotFound(f"no checkpoint of tree size {size}")
    return row


def checkpoint_text(session: Session, checkpoint: LedgerCheckpoint) -> str:
    """Return the checkpoint's signed note with every witness cosignature appended."""
    note = Note.parse(checkpoint.note)
    lines = session.scalars(
        select(LedgerCosignature.signature)
        .where(LedgerCosignature.tree_size == checkpoint.tree_size)
        .order_by(LedgerCosignature.witness_name)
    )
    for line in lines:
        note = note.with_signature(Signature.parse(line))
    return note.text()


def _resolve_checked(
    session: Session, ranges: list[merkle.Range], extra: set[merkle.NodeId], size: int
) -> dict[merkle.NodeId, bytes]:
    """Fetch the nodes of `ranges` (and `extra`); refuse a size beyond the integrated tree."""
    wanted = merkle.nodes_of(ranges) | extra
    found, current = _fetch(session, wanted)
    if size > current:
        raise InvalidInput(f"tree size must be at most {current}", field="tree_size")
    if wanted - set(found):
        raise NotFound("the ledger lacks stored subtree hashes of this proof")
    return found


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """An inclusion proof of one leaf in one tree size."""

    index: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]


def inclusion_proof(session: Session, index: int, size: int | None = None) -> InclusionProof:
    """Prove that the entry at `index` is in the tree of `size` leaves (default: latest)."""
    if size is None:
        size = tree_size(session)
    if size <= 0:
        raise InvalidInput("tree size must be positive", field="tree_size")
    if not 0 <= index < size:
        raise NotFound(f"no entry {index} in a tree of size {size}")
    ranges = merkle.inclusion_ranges(index, size)
    nodes = _resolve_checked(session, ranges, {(0, index)}, size)
    hashes = merkle.resolve(ranges, nodes)
    return InclusionProof(index=index, tree_size=size, leaf_hash=nodes[(0, index)], hashes=hashes)


def index_of_leaf(session: Session, leaf: bytes) -> int:
    """Return the index of the entry whose leaf hash is `leaf`."""
    index = session.scalar(select(LedgerEntry.log_index).where(LedgerEntry.leaf_hash == leaf))
    if index is None:
        raise NotFound("no entry has this leaf hash")
    return index


def consistency_proof(session: Session, first: int, second: int) -> list[bytes]:
    """Prove that the tree of `second` leaves extends the tree of `first` leaves."""
    if not 0 < first <= second:
        raise InvalidInput("need 0 < first <= second", field="first")
    ranges = merkle.consistency_ranges(first, second)
    return merkle.resolve(ranges, _resolve_checked(session, ranges, set(), second))
