"""Recording: the one call other domains make, inside their own transaction.

`record` is a single INSERT of a pending row into `ledger_pending` (a table with nothing but
its primary key), on the session's connection, executed at once: no ORM object, no flush, no
RETURNING, no read. On PostgreSQL it is a prepared statement sent by the driver directly; the
transaction it joins commits it or rolls it back together with the change it records.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import InvalidInput
from govhub.identity.principal import Principal
from govhub.ledger.models import LedgerPending
from govhub.ledger.schemas import EntryKind
from govhub.ledger.settings import get_ledger_settings

# Other databases: a Core insert without RETURNING (`inline`), compiled once and cached.
_INSERT_PENDING = insert(cast(Table, LedgerPending.__table__)).inline()
# PostgreSQL: the driver's own statement, fixed text, so it is prepared server-side.
_PG_INSERT_PENDING = (
    "INSERT INTO ledger_pending (kind, actor, subject, department_id, payload_digest, "
    "recorded_at) VALUES (%s, %s, %s, %s, %s, %s)"
)

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
    values = (
        EntryKind(kind).value,
        actor,
        subject,
        department_id,
        payload_digest(payload),
        utcnow(),
    )
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # psycopg's own cursor on the transaction's connection: no statement compilation, no
        # result processing; `prepare=True` makes it a server-side prepared statement at once.
        driver = connection.connection.driver_connection
        driver.cursor().execute(_PG_INSERT_PENDING, values, prepare=True)  # type: ignore[union-attr]
    else:
        keys = ("kind", "actor", "subject", "department_id", "payload_digest", "recorded_at")
        connection.execute(_INSERT_PENDING, dict(zip(keys, values, strict=True)))
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
