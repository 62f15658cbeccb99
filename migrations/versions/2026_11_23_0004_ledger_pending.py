"""ledger: pending events in a table of their own; integrated entries keyed by index

Recording inserts into `ledger_pending` (primary key only); integration moves rows into
`ledger_entries`, now keyed by `log_index`, without the pending, department and `seq`
indexes, and with a hash index (on PostgreSQL) for lookups by leaf hash. Pending rows of an
existing log move across; integrated rows keep their index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigSerial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FIELDS = "kind, actor, subject, department_id, payload_digest, recorded_at"


def upgrade() -> None:
    op.create_table(
        "ledger_pending",
        sa.Column("seq", BigSerial, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("payload_digest", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_ledger_pending_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_pending")),
    )
    op.execute(
        f"INSERT INTO ledger_pending ({FIELDS}) SELECT {FIELDS} FROM ledger_entries "  # noqa: S608
        "WHERE log_index IS NULL ORDER BY seq"
    )
    op.execute("DELETE FROM ledger_entries WHERE log_index IS NULL")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_pending")
        batch_op.drop_index(batch_op.f("ix_ledger_entries_department_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_leaf_hash"))
        batch_op.drop_constraint(batch_op.f("uq_ledger_entries_log_index"), type_="unique")
        batch_op.drop_constraint(batch_op.f("pk_ledger_entries"), type_="primary")
        batch_op.drop_column("seq")
        batch_op.alter_column("log_index", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("leaf_hash", existing_type=sa.LargeBinary(length=32), nullable=False)
        batch_op.create_primary_key(batch_op.f("pk_ledger_entries"), ["log_index"])
        batch_op.create_index(
            "ix_ledger_entries_leaf_hash", ["leaf_hash"], unique=False, postgresql_using="hash"
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_leaf_hash")
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_leaf_hash"), ["leaf_hash"], unique=False
        )
        batch_op.drop_constraint(batch_op.f("pk_ledger_entries"), type_="primary")
        batch_op.alter_column("leaf_hash", existing_type=sa.LargeBinary(length=32), nullable=True)
        batch_op.alter_column("log_index", existing_type=sa.BigInteger(), nullable=True)
        batch_op.add_column(sa.Column("seq", BigSerial, nullable=True))
    # Integrated rows take their index as sequence number; pending ones follow.
    op.execute("UPDATE ledger_entries SET seq = log_index + 1")
    op.execute(
        f"INSERT INTO ledger_entries (seq, {FIELDS}) "  # noqa: S608
        f"SELECT seq + (SELECT COUNT(*) FROM ledger_entries), {FIELDS} FROM ledger_pending"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE ledger_entries_seq_seq OWNED BY ledger_entries.seq")
        op.execute("SELECT setval('ledger_entries_seq_seq', COALESCE(MAX(seq), 0) + 1, false) "
                    "FROM ledger_entries")  # fmt: skip
        op.execute("ALTER TABLE ledger_entries ALTER COLUMN seq "
                   "SET DEFAULT nextval('ledger_entries_seq_seq')")  # fmt: skip
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=BigSerial, nullable=False)
        batch_op.create_primary_key(batch_op.f("pk_ledger_entries"), ["seq"])
        batch_op.create_unique_constraint(batch_op.f("uq_ledger_entries_log_index"), ["log_index"])
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            "ix_ledger_entries_pending",
            ["seq"],
            unique=False,
            postgresql_where=sa.text("log_index IS NULL"),
            sqlite_where=sa.text("log_index IS NULL"),
        )
    op.drop_table("ledger_pending")
