"""Who may read an entry's details: everyone for public kinds, else officials in scope."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import NotFound
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ledger.models import LedgerEntry, LedgerPending
from govhub.ledger.schemas import PUBLIC_KINDS


def in_scope(session: Session, principal: Principal, department_id: uuid.UUID) -> bool:
    """Tell whether the department lies in the principal's division scope."""
    # Imported here: identity's service records ledger events, so it imports the ledger.
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
    return entry.department_id is not None and in_scope(session, principal, entry.department_id)


def get_entry(session: Session, *, principal: Principal | None, index: int) -> LedgerEntry:
    """Return an integrated entry the principal may read."""
    entry = session.get(LedgerEntry, index)
    if entry is None or not can_read(session, principal, entry):
        raise NotFound(f"no readable entry {index}")
    return entry


@dataclass(frozen=True, slots=True)
class Event:
    """One ledger event about a subject; `index` is None until it is integrated."""

    kind: str
    recorded_at: datetime
    index: int | None


def events_about(session: Session, subjects: Sequence[str], *, limit: int = 50) -> list[Event]:
    """List the newest events about `subjects`, pending ones first, then integrated ones.

    The caller authorizes: it asks only about subjects the principal may see.
    """
    pending = session.execute(
        select(LedgerPending.kind, LedgerPending.recorded_at)
        .where(LedgerPending.subject.in_(subjects))
        .order_by(LedgerPending.seq.desc())
        .limit(limit)
    ).all()
    entries = session.execute(
        select(LedgerEntry.kind, LedgerEntry.recorded_at, LedgerEntry.log_index)
        .where(LedgerEntry.subject.in_(subjects))
        .order_by(LedgerEntry.log_index.desc())
        .limit(limit)
    ).all()
    events = [Event(kind, at, None) for kind, at in pending]
    events += [Event(kind, at, int(index)) for kind, at, index in entries]
    return events[:limit]
