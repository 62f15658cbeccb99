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

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Connection, Table, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.ledger import merkle
from govhub.ledger.leaves import leaf_data, timestamp_text
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

# A pending row as integration uses it: seq, kind, actor, subject, department (text or None),
# payload digest, and the recording time as leaves render it (UTC, microseconds, `Z`).
Pending = tuple[int, str, str, str, str | None, str, str]

# PostgreSQL: one statement, one snapshot, so it deletes exactly the rows it returns: those
# visible when it started, below the first seq not taken. A row with a smaller seq whose
# transaction commits meanwhile is not in the snapshot; it stays pending for the next batch.
# The server renders department and time as the leaf needs them, so Python parses nothing.
_PG_TAKE = (
    "DELETE FROM ledger_pending WHERE seq < COALESCE((SELECT seq FROM ledger_pending "
    "ORDER BY seq OFFSET %s LIMIT 1), 9223372036854775807) RETURNING seq, kind, actor, "
    "subject, department_id::text, payload_digest, "
    """to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
)
_SQLITE_TAKE = (
    "DELETE FROM ledger_pending WHERE seq < COALESCE((SELECT seq FROM ledger_pending "
    "ORDER BY seq LIMIT 1 OFFSET ?), 9223372036854775807) RETURNING seq, kind, actor, "
    "subject, department_id, payload_digest, recorded_at"
)
_SQLITE_INSERT_ENTRIES = (
    "INSERT INTO ledger_entries (log_index, kind, actor, subject, department_id, "
    "payload_digest, recorded_at, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_INSERT_NODES = 'INSERT INTO ledger_nodes ("level", "position", "hash") VALUES (?, ?, ?)'
_PG_COPY_ENTRIES = (
    "COPY ledger_entries (log_index, kind, actor, subject, department_id, payload_digest, "
    "recorded_at, leaf_hash) FROM STDIN"
)
_PG_COPY_NODES = 'COPY ledger_nodes ("level", "position", "hash") FROM STDIN'
# COPY's text format: backslash, tab, newline and carriage return are escaped in values.
_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _sqlite_time(stored: str) -> str:
    """Render a time as SQLite stores it (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC) as leaves do."""
    if len(stored) == 26:
        return f"{stored[:10]}T{stored[11:]}Z"
    return timestamp_text(datetime.fromisoformat(stored).replace(tzinfo=UTC))


def _take_pending(connection: Connection, limit: int) -> list[Pending]:
    """Delete the oldest `limit` pending rows and return them in recording order."""
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        cursor = driver.cursor()  # type: ignore[union-attr]
        rows: list[Pending] = cursor.execute(_PG_TAKE, (limit,), prepare=True).fetchall()
    else:
        # SQLite: the integrator holds the database's write lock, so no row commits while
        # this runs. The driver's rows are read as stored (UUIDs as hex, times as text).
        taken = connection.exec_driver_sql(_SQLITE_TAKE, (limit,))
        rows = [
            (
                int(seq),
                kind,
                actor,
                subject,
                str(uuid.UUID(department)) if department is not None else None,
                digest,
                _sqlite_time(at),
            )
            for seq, kind, actor, subject, department, digest, at in taken
        ]
    rows.sort()
    return rows


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


def _copy(connection: Connection, statement: str, lines: list[str]) -> None:
    """Send rows already rendered in COPY's text format, in one COPY."""
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        copy.write("".join(lines).encode())


def _write(
    connection: Connection,
    size: int,
    rows: list[Pending],
    leaves: list[bytes],
    nodes: list[tuple[int, int, bytes]],
) -> None:
    """Store a batch's entries (from index `size`) and the subtree hashes they complete."""
    if connection.dialect.name == "postgresql":
        esc = _COPY_ESCAPES
        _copy(
            connection,
            _PG_COPY_ENTRIES,
            [
                f"{index}\t{kind.translate(esc)}\t{actor.translate(esc)}\t"
                f"{subject.translate(esc)}\t{department or _NULL}\t{digest.translate(esc)}\t"
                f"{at}\t\\\\x{leaf.hex()}\n"
                for index, (_, kind, actor, subject, department, digest, at), leaf in zip(
                    range(size, size + len(rows)), rows, leaves, strict=True
                )
            ],
        )
        if nodes:
            lines = [
                f"{level}\t{position}\t\\\\x{digest.hex()}\n" for level, position, digest in nodes
            ]
            _copy(connection, _PG_COPY_NODES, lines)
        return
    connection.exec_driver_sql(
        _SQLITE_INSERT_ENTRIES,
        [
            (
                index,
                kind,
                actor,
                subject,
                department.replace("-", "") if department is not None else None,
                digest,
                f"{at[:10]} {at[11:26]}",
                leaf,
            )
            for index, (_, kind, actor, subject, department, digest, at), leaf in zip(
                range(size, size + len(rows)), rows, leaves, strict=True
            )
        ],
    )
    if nodes:
        connection.exec_driver_sql(_SQLITE_INSERT_NODES, nodes)


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
    rows = _take_pending(connection, limit or get_ledger_settings().batch_size)
    if not rows:
        if session.get(LedgerCheckpoint, size) is None:
            _sign(connection, size, root)
        return Integration(added=0, tree_size=size, root=root)
    wanted = merkle.root_nodes(size)
    stored = read_nodes(session, set(wanted))
    frontier = merkle.Frontier(size, [stored[node] for node in wanted])
    leaves: list[bytes] = []
    nodes: list[tuple[int, int, bytes]] = []
    for index, (_, kind, actor, subject, department, digest, at) in enumerate(rows, start=size):
        leaf = merkle.leaf_hash(
            leaf_data(
                index=index,
                kind=kind,
                actor=actor,
                subject=subject,
                department_id=department,
                payload_digest=digest,
                recorded_at=at,
            )
        )
        leaves.append(leaf)
        for (level, position), node in frontier.append(leaf):
            nodes.append((level, position, node))
    _write(connection, size, rows, leaves, nodes)
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
