"""Ledger operations: record an event, integrate pending entries, serve checkpoints and proofs.

`record` is the one call other domains make, inside their own transaction. `integrate` runs
in its own transaction: it locks `ledger_state` (a row lock on PostgreSQL, the write lock on
SQLite) before reading anything, so two integrators never assign the same entry twice.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, CursorResult, Table, bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govhub.core.crypto import derive_key
from govhub.core.db import utcnow
from govhub.core.errors import InvalidInput, NotFound
from govhub.core.settings import get_settings
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ledger import merkle
from govhub.ledger.checkpoint import (
    Checkpoint,
    Note,
    NoteError,
    NoteSigner,
    NoteVerifier,
    Signature,
)
from govhub.ledger.models import (
    STATE_ID,
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerEntry,
    LedgerNode,
    LedgerState,
    LedgerWitness,
)
from govhub.ledger.proofs import get_checkpoint, read_nodes
from govhub.ledger.schemas import PUBLIC_KINDS, EntryKind


class LedgerSettings(BaseSettings):
    """Tunables of the ledger (`GOVHUB_LEDGER_*`)."""

    model_config = SettingsConfigDict(env_prefix="GOVHUB_LEDGER_", env_file=".env", extra="ignore")

    batch_interval_seconds: float = 1.0
    batch_size: int = 10_000
    origin: str = ""


@lru_cache
def get_ledger_settings() -> LedgerSettings:
    """Return the ledger settings (cached)."""
    return LedgerSettings()


def origin() -> str:
    """Return the log's origin line: `GOVHUB_LEDGER_ORIGIN`, or the public host + `/ledger`."""
    configured = get_ledger_settings().origin
    if configured:
        return configured
    host = get_settings().base_url.split("://", 1)[-1].rstrip("/")
    return f"{host}/ledger"


@lru_cache(maxsize=4)
def _signer(name: str, seed: bytes) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(seed))


def log_signer() -> NoteSigner:
    """Return the platform's checkpoint key, derived from the master secret."""
    return _signer(origin(), derive_key("ledger-checkpoint-signing:v1"))


def log_verifier() -> NoteVerifier:
    """Return the public half of the platform's checkpoint key."""
    return log_signer().verifier


# --- recording -------------------------------------------------------------------------------

_INSERT_ENTRY = insert(cast(Table, LedgerEntry.__table__))
batch_ready = threading.Event()
_recorded = 0
_recorded_lock = threading.Lock()


def canonical_json(payload: Any) -> bytes:
    """Serialize `payload` as canonical JSON (sorted keys, no spaces, UTF-8)."""
    try:
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"a ledger payload must be JSON: {exc}", field="payload") from exc
    return text.encode()


def payload_digest(payload: Any) -> str:
    """Return the SHA-256 hex digest of the canonical JSON of `payload`."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def record(
    session: Session,
    *,
    kind: EntryKind,
    actor: str,
    subject: str,
    payload: Any,
    department_id: uuid.UUID | None = None,
) -> None:
    """Record an event in the caller's transaction; it is integrated after the commit."""
    if not actor or len(actor) > 100 or not subject or len(subject) > 200:
        raise InvalidInput("a ledger actor (<= 100) and subject (<= 200) are required")
    # A prepared Core insert on the session's connection: the cheapest write in this transaction.
    session.connection().execute(
        _INSERT_ENTRY,
        {
            "kind": EntryKind(kind).value,
            "actor": actor,
            "subject": subject,
            "department_id": department_id,
            "payload_digest": payload_digest(payload),
            "recorded_at": utcnow(),
        },
    )
    _count_recorded()


def actor_of(principal: Principal) -> str:
    """Return the ledger identifier of a principal: account id, client id or service name."""
    if principal.account_id is not None:
        return str(principal.account_id)
    if principal.client_id is not None:
        return f"client:{principal.client_id}"
    return f"service:{principal.username}"


def _count_recorded() -> None:
    global _recorded  # noqa: PLW0603 - a process-wide wake-up counter for the integrator
    with _recorded_lock:
        _recorded += 1
        if _recorded >= get_ledger_settings().batch_size:
            _recorded = 0
            batch_ready.set()


def timestamp_text(moment: datetime) -> str:
    """Render a timestamp the way leaves hash it: UTC, microseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def leaf_data(
    *,
    index: int,
    kind: str,
    actor: str,
    subject: str,
    department_id: uuid.UUID | str | None,
    payload_digest: str,
    recorded_at: datetime | str,
) -> bytes:
    """Return the bytes a leaf hashes: the entry's canonical JSON, including its index.

    Written out by hand in sorted key order (the hot loop of integration); it equals
    `canonical_json` of the same object, which the tests check on random entries.
    """
    at = recorded_at if isinstance(recorded_at, str) else timestamp_text(recorded_at)
    department = _string(str(department_id)) if department_id is not None else "null"
    return (
        f'{{"actor":{_string(actor)},"at":{_string(at)},"department":{department},'
        f'"digest":{_string(payload_digest)},"index":{int(index)},"kind":{_string(kind)},'
        f'"subject":{_string(subject)},"v":1}}'
    ).encode()


_string = json.JSONEncoder(ensure_ascii=False).encode


def entry_leaf_data(entry: LedgerEntry, index: int | None = None) -> bytes:
    """Return the leaf bytes of a stored entry (at `index`, default its own)."""
    position = entry.log_index if index is None else index
    if position is None:
        raise ValueError("a pending entry has no leaf yet")
    return leaf_data(
        index=position,
        kind=entry.kind,
        actor=entry.actor,
        subject=entry.subject,
        department_id=entry.department_id,
        payload_digest=entry.payload_digest,
        recorded_at=entry.recorded_at,
    )


# --- integration -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Integration:
    """What one integration did."""

    added: int
    tree_size: int
    root: bytes


def _lock_state(session: Session) -> LedgerState:
    """Take the integrator's lock and return the current state (created on first use)."""
    stamp = update(LedgerState).where(LedgerState.id == STATE_ID).values(updated_at=utcnow())
    if cast(CursorResult[Any], session.execute(stamp)).rowcount == 0:
        try:
            with session.begin_nested():
                session.add(LedgerState(id=STATE_ID, tree_size=0, root_hash=merkle.EMPTY_ROOT))
        except IntegrityError:
            session.execute(stamp)
    query = select(LedgerState).where(LedgerState.id == STATE_ID)
    return session.execute(query.execution_options(populate_existing=True)).scalar_one()


def _sign(session: Session, size: int, root: bytes) -> None:
    body = Checkpoint(origin(), size, root).body()
    note = Note(body, (log_signer().sign(body),))
    session.add(LedgerCheckpoint(tree_size=size, root_hash=root, note=note.text()))


_ENTRIES = cast(Table, LedgerEntry.__table__)
_PENDING = (
    select(
        _ENTRIES.c.seq,
        _ENTRIES.c.kind,
        _ENTRIES.c.actor,
        _ENTRIES.c.subject,
        _ENTRIES.c.department_id,
        _ENTRIES.c.payload_digest,
        _ENTRIES.c.recorded_at,
    )
    .where(_ENTRIES.c.log_index.is_(None))
    .order_by(_ENTRIES.c.seq)
)
_ASSIGN = (
    update(_ENTRIES)
    .where(_ENTRIES.c.seq == bindparam("b_seq"))
    .values(log_index=bindparam("b_index"), leaf_hash=bindparam("b_leaf"))
)
_INSERT_NODES = insert(cast(Table, LedgerNode.__table__))


_PG_ASSIGN = text(
    "UPDATE ledger_entries SET log_index = v.idx, leaf_hash = v.leaf "
    "FROM unnest(CAST(:seqs AS bigint[]), CAST(:idxs AS bigint[]), CAST(:leaves AS bytea[])) "
    "AS v(seq, idx, leaf) WHERE ledger_entries.seq = v.seq"
)
_PG_INSERT_NODES = text(
    'INSERT INTO ledger_nodes ("level", "position", "hash") '
    "SELECT * FROM unnest(CAST(:levels AS smallint[]), CAST(:positions AS bigint[]), "
    "CAST(:hashes AS bytea[]))"
)


def _write_batch(
    connection: Connection, updates: list[dict[str, Any]], nodes: list[dict[str, Any]]
) -> None:
    """Store a batch's indices, leaf hashes and subtree hashes in as few round trips as possible.

    PostgreSQL gets one statement per table (arrays unnested server-side); other databases a
    Core executemany, which SQLite runs in-process.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(
            _PG_ASSIGN,
            {
                "seqs": [u["b_seq"] for u in updates],
                "idxs": [u["b_index"] for u in updates],
                "leaves": [u["b_leaf"] for u in updates],
            },
        )
        if nodes:
            connection.execute(
                _PG_INSERT_NODES,
                {
                    "levels": [n["level"] for n in nodes],
                    "positions": [n["position"] for n in nodes],
                    "hashes": [n["hash"] for n in nodes],
                },
            )
        return
    connection.execute(_ASSIGN, updates)
    if nodes:
        connection.execute(_INSERT_NODES, nodes)


def integrate(session: Session, *, limit: int | None = None) -> Integration:
    """Give pending entries consecutive indices, store their subtree hashes, sign a checkpoint."""
    state = _lock_state(session)
    size = state.tree_size
    limit = limit or get_ledger_settings().batch_size
    connection = session.connection()
    rows = connection.execute(_PENDING.limit(limit)).all()
    if not rows:
        if session.get(LedgerCheckpoint, size) is None:
            _sign(session, size, state.root_hash)
            session.flush()
        return Integration(added=0, tree_size=size, root=state.root_hash)
    tree = merkle.MemoryTree()
    tree.nodes = read_nodes(session, set(merkle.root_nodes(size)))
    tree.size = size
    updates: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for offset, row in enumerate(rows):
        index = size + offset
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
        updates.append({"b_seq": row.seq, "b_index": index, "b_leaf": leaf})
        for (level, position), digest in tree.append(leaf):
            nodes.append({"level": level, "position": position, "hash": digest})
    _write_batch(connection, updates, nodes)
    root = tree.root()
    state.tree_size, state.root_hash = tree.size, root
    _sign(session, tree.size, root)
    session.flush()
    return Integration(added=len(rows), tree_size=tree.size, root=root)


def integrate_all(session: Session) -> Integration:
    """Integrate every pending entry, batch by batch, in the caller's transaction."""
    total = 0
    while True:
        step = integrate(session)
        total += step.added
        if step.added == 0:
            return Integration(added=total, tree_size=step.tree_size, root=step.root)


def _in_scope(session: Session, principal: Principal, department_id: uuid.UUID) -> bool:
    # Imported here: identity's service records ledger events, so it imports this module.
    from govhub.identity import service as identity_service  # noqa: PLC0415

    try:
        identity_service.get_department(session, principal=principal, department_id=department_id)
    except NotFound:
        return False
    return True


def can_read(session: Session, principal: Principal | None, entry: LedgerEntry) -> bool:
    """Tell whether `principal` may read the entry's details (public kinds: everyone)."""
    if entry.kind in PUBLIC_KINDS:
        return True
    if principal is None or not principal.can(Permission.LEDGER_READ):
        return False
    return entry.department_id is not None and _in_scope(session, principal, entry.department_id)


def get_entry(session: Session, *, principal: Principal | None, index: int) -> LedgerEntry:
    """Return an integrated entry the principal may read."""
    entry = session.scalar(select(LedgerEntry).where(LedgerEntry.log_index == index))
    if entry is None or not can_read(session, principal, entry):
        raise NotFound(f"no readable entry {index}")
    return entry


# --- witnesses -------------------------------------------------------------------------------


def witness_verifier(witness: LedgerWitness) -> NoteVerifier:
    """Return the signed-note verifier of a registered witness."""
    return NoteVerifier(witness.name, Ed25519PublicKey.from_public_bytes(witness.public_key))


def list_witnesses(session: Session) -> list[LedgerWitness]:
    """List the registered witnesses by name."""
    return list(session.scalars(select(LedgerWitness).order_by(LedgerWitness.name)))


def register_witness(
    session: Session,
    *,
    principal: Principal,
    name: str,
    department_id: uuid.UUID,
    public_key: bytes,
) -> LedgerWitness:
    """Register a department's witness key (the department must be in the principal's scope)."""
    if not principal.can(Permission.LEDGER_WITNESS):
        raise NotFound("no such department")
    if not _in_scope(session, principal, department_id):
        raise NotFound("no such department")
    try:
        NoteVerifier(name, Ed25519PublicKey.from_public_bytes(public_key))
    except (NoteError, ValueError) as exc:
        raise InvalidInput(f"invalid witness key: {exc}", field="name") from exc
    if session.get(LedgerWitness, name) is not None:
        raise InvalidInput(f"a witness named {name!r} exists", field="name")
    witness = LedgerWitness(name=name, department_id=department_id, public_key=public_key)
    session.add(witness)
    session.flush()
    return witness


def add_cosignature(
    session: Session, *, principal: Principal, tree_size: int, signature: str
) -> LedgerCosignature:
    """Store a witness's cosignature of a checkpoint after verifying it."""
    try:
        parsed = Signature.parse(signature.strip("\n"))
    except NoteError as exc:
        raise InvalidInput(f"not a signature line: {exc}", field="signature") from exc
    witness = session.get(LedgerWitness, parsed.name)
    if witness is None or witness.department_id != principal.department_id:
        raise NotFound("no such witness of your department")
    checkpoint = get_checkpoint(session, tree_size)
    body = Note.parse(checkpoint.note).body
    signed_at = witness_verifier(witness).cosignature_time(body, parsed)
    if signed_at is None:
        raise InvalidInput("the cosignature does not verify for this checkpoint", field="signature")
    row = session.get(LedgerCosignature, (tree_size, witness.name))
    if row is None:
        row = LedgerCosignature(tree_size=tree_size, witness_name=witness.name)
        session.add(row)
    row.signature, row.signed_at = parsed.line(), signed_at
    session.flush()
    return row
