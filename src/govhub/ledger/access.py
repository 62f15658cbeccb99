"""Who may read an entry's details: everyone for public kinds, else officials in scope."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from govhub.core.errors import NotFound
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ledger.models import LedgerEntry
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
