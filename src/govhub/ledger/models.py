"""Tables of the trust ledger: entries, stored subtree hashes, checkpoints, witnesses."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from govhub.core.db import Base, utcnow

STATE_ID = 1  # the id of the single `ledger_state` row

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigSerial = BigInteger().with_variant(Integer(), "sqlite")


class LedgerPending(Base):
    """A recorded event waiting for integration: identifiers and a payload digest.

    `record` inserts here and nothing else (one row, one primary-key index), so the write a
    domain transaction pays for stays as cheap as a write can be. Integration moves the rows
    to `ledger_entries` and deletes them here, in one transaction.
    """

    __tablename__ = "ledger_pending"

    seq: Mapped[int] = mapped_column(BigSerial, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    # No index: only a department's deletion looks rows up by it, and pending rows are few.
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT")
    )
    payload_digest: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerEntry(Base):
    """An integrated entry: its index in the log, its fields and its leaf hash."""

    __tablename__ = "ledger_entries"
    # Leaf hashes are only ever looked up by equality: PostgreSQL gets a hash index (4-byte
    # codes, cheaper to insert random keys into than a B-tree of 32-byte keys).
    __table_args__ = (Index("ix_ledger_entries_leaf_hash", "leaf_hash", postgresql_using="hash"),)

    log_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    # Not indexed: the hot path never filters by department (the foreign key keeps a
    # department with ledgered events from being deleted; that rare check may scan).
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT")
    )
    payload_digest: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column()
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerNode(Base):
    """The hash of a complete aligned subtree above the leaves (level >= 1)."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerState(Base):
    """The single row every integrator locks first: the integrated tree size and root."""

    __tablename__ = "ledger_state"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, default=0)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerCheckpoint(Base):
    """A signed checkpoint (the platform's signed note) of one tree size."""

    __tablename__ = "ledger_checkpoints"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerWitness(Base):
    """A department's witness: its signed-note key name and Ed25519 public key."""

    __tablename__ = "ledger_witnesses"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerCosignature(Base):
    """A witness's cosignature line of one checkpoint."""

    __tablename__ = "ledger_cosignatures"

    tree_size: Mapped[int] = mapped_column(
        ForeignKey("ledger_checkpoints.tree_size", ondelete="CASCADE"), primary_key=True
    )
    witness_name: Mapped[str] = mapped_column(
        ForeignKey("ledger_witnesses.name", ondelete="CASCADE"), primary_key=True
    )
    signature: Mapped[str] = mapped_column(String(400))
    signed_at: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
