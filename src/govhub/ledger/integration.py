"""Integration: move pending events into the log, in batches, exactly once.

`integrate` runs in a transaction of its own. It first updates the single `ledger_state` row,
which takes a row lock on PostgreSQL and the write lock on SQLite, so concurrent integrators
queue. Then one statement deletes a batch of pending rows and returns them; the batch gets
consecutive indices and leaf hashes, and is written to `ledger_entries` with the subtree
hashes it completes, the new state and a signed checkpoint. Everything commits together or
not at all, so after a crash the rows are still pending and are integrated once, later.

On PostgreSQL the entries and subtree hashes are streamed with COPY (binary); the tables it
writes have only the indexes proofs need (`ledger_entries`: primary key and leaf hash;
`ledger_nodes`: primary key), and no row is ever updated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.ledger import merkle
from govhub.ledger.leaves import leaf_data
from govhub.ledger.models import (
    STATE_ID,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerNode,
    LedgerPending,
    LedgerState,
)
from govhub.ledger.proofs import read_nodes
from govhub.ledger.settings import get_ledger_settings
from govhub.ledger.signing import signed_checkpoint


@dataclass(frozen=True, slots=True)
class Integration:
    """What one integration did."""

    added: int
    tree_size: int
    root: bytes


_STATE = cast(Table, LedgerState.__table__)
_PENDING = cast(Table, LedgerPending.__table__)
_ENTRIES = cast(Table, LedgerEntry.__table__)
_NODES = cast(Table, LedgerNode.__table__)
_CHECKPOINTS = cast(Table, LedgerCheckpoint.__table__)

_FIELDS = ("kind", "actor", "subject", "department_id", "payload_digest", "recorded_at")
_ENTRY_COLUMNS = ("log_index", *_FIELDS, "leaf_hash")
_ENTRY_TYPES = ("int8", "varchar", "varchar", "varchar", "uuid", "varchar", "timestamptz", "bytea")
_COPY_ENTRIES = f"COPY ledger_entries ({', '.join(_ENTRY_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_COPY_NODES = 'COPY ledger_nodes ("level", "position", "hash") FROM STDIN (FORMAT BINARY)'


def _take_pending(limit: int) -> Any:
    """Delete the oldest `limit` pending rows and return them (one statement)."""
    oldest = select(_PENDING.c.seq).order_by(_PENDING.c.seq).limit(limit)
    return (
        delete(_PENDING)
        .where(_PENDING.c.seq.in_(oldest.scalar_subquery()))
        .returning(_PENDING.c.seq, *(_PENDING.c[name] for name in _FIELDS))
    )


def _lock_state(connection: Connection) -> tuple[int, bytes]:
    """Take the integrator's lock; return the tree size and root (creating the state row)."""
    lock = (
        update(_STATE)
        .where(_STATE.c.id == STATE_ID)
        .values(updated_at=utcnow())
        .returning(_STATE.c.tree_size, _STATE.c.root_hash)
    )
    row = connection.execute(lock).one_or_none()
    if row is None:
        dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        first = dialect_insert(_STATE).values(
            id=STATE_ID, tree_size=0, root_hash=merkle.EMPTY_ROOT, updated_at=utcnow()
        )
        connection.execute(first.on_conflict_do_nothing())
        row = connection.execute(lock).one()
    return int(row.tree_size), bytes(row.root_hash)


def _copy(connection: Connection, statement: str, types: tuple[str, ...], rows: list[Any]) -> None:
    """Stream `rows` into PostgreSQL with a binary COPY on the transaction's connection."""
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)


def _write(connection: Connection, entries: list[tuple[Any, ...]], nodes: list[Any]) -> None:
    """Store a batch's entries and completed subtree hashes."""
    if connection.dialect.name == "postgresql":
        _copy(connection, _COPY_ENTRIES, _ENTRY_TYPES, entries)
        if nodes:
            _copy(connection, _COPY_NODES, ("int2", "int8", "bytea"), nodes)
        return
    connection.execute(
        insert(_ENTRIES), [dict(zip(_ENTRY_COLUMNS, e, strict=True)) for e in entries]
    )
    if nodes:
        connection.execute(
            insert(_NODES), [{"level": n[0], "position": n[1], "hash": n[2]} for n in nodes]
        )


def _sign(connection: Connection, size: int, root: bytes) -> None:
    connection.execute(
        insert(_CHECKPOINTS).values(
            tree_size=size, root_hash=root, note=signed_checkpoint(size, root), created_at=utcnow()
        )
    )


def integrate(session: Session, *, limit: int | None = None) -> Integration:
    """Give pending entries consecutive indices, store their subtree hashes, sign a checkpoint."""
    connection = session.connection()
    size, root = _lock_state(connection)
    taken = connection.execute(_take_pending(limit or get_ledger_settings().batch_size))
    rows = sorted(taken, key=lambda row: int(row.seq))
    if not rows:
        if session.get(LedgerCheckpoint, size) is None:
            _sign(connection, size, root)
        return Integration(added=0, tree_size=size, root=root)
    wanted = merkle.root_nodes(size)
    stored = read_nodes(session, set(wanted))
    frontier = merkle.Frontier(size, [stored[node] for node in wanted])
    entries: list[tuple[Any, ...]] = []
    nodes: list[tuple[int, int, bytes]] = []
    for index, row in enumerate(rows, start=size):
        leaf = merkle.leaf_hash(
            leaf_data(
                index=index,
                kind=row.kind,
                actor=row.actor,
                subject=row.subject,
                department_id=row.department_id,
                payload_digest=row.payload_digest,
                recorded_at=row.recorded_at,
            )
        )
        entries.append((index, *row[1:], leaf))
        for (level, position), digest in frontier.append(leaf):
            nodes.append((level, position, digest))
    _write(connection, entries, nodes)
    root = frontier.root()
    connection.execute(
        update(_STATE)
        .where(_STATE.c.id == STATE_ID)
        .values(tree_size=frontier.size, root_hash=root, updated_at=utcnow())
    )
    _sign(connection, frontier.size, root)
    return Integration(added=len(rows), tree_size=frontier.size, root=root)


def integrate_all(session: Session) -> Integration:
    """Integrate every pending entry, batch by batch, in the caller's transaction."""
    total = 0
    while True:
        step = integrate(session)
        total += step.added
        if step.added == 0:
            return Integration(added=total, tree_size=step.tree_size, root=step.root)
