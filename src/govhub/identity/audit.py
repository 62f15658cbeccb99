"""The security audit trail: who did what, when; no secrets, no raw identifiers."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from govhub.core.crypto import derive_key
from govhub.identity.models import AuditAction, AuditEvent, Department
from govhub.identity.principal import Principal

FORBIDDEN_DETAIL_KEYS = frozenset({"password", "secret", "token", "id_number", "client_secret"})


def hash_ip(ip: str | None) -> str | None:
    """Return a short keyed hash of a client address (enough to correlate, not to recover)."""
    if not ip:
        return None
    key = derive_key("audit-ip", length=16)
    return hashlib.blake2b(ip.encode(), key=key, digest_size=8).hexdigest()


def record(
    session: Session,
    action: AuditAction,
    *,
    account_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    department_id: uuid.UUID | None = None,
    client_id: str | None = None,
    ip: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append a security event to the audit trail."""
    leaked = FORBIDDEN_DETAIL_KEYS & set(detail)
    if leaked:
        raise ValueError(f"audit details may not carry {sorted(leaked)}")
    event = AuditEvent(
        action=action,
        account_id=account_id,
        actor_id=actor_id,
        department_id=department_id,
        client_id=client_id,
        ip_hash=hash_ip(ip),
        detail=detail,
    )
    session.add(event)
    session.flush()
    return event


def list_events(
    session: Session,
    *,
    principal: Principal,
    action: AuditAction | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEvent], int]:
    """List events of departments in the principal's division subtree, newest first."""
    prefix = principal.scope_prefix
    in_scope = select(Department.id).where(
        Department.division_code.startswith(prefix, autoescape=True) if prefix else false()
    )
    query = select(AuditEvent).where(
        or_(
            AuditEvent.department_id.in_(in_scope),
            AuditEvent.actor_id == principal.account_id,
        )
    )
    if action is not None:
        query = query.where(AuditEvent.action == action)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id).limit(limit).offset(offset)
    )
    return list(rows), total
