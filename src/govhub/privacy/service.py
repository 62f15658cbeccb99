"""Consent service: give, list, withdraw, and check before reading a person's own records.

Consents are the person's own: only they list or withdraw them, anyone else's ids answer 404.
Giving and withdrawing are ledgered (identifiers and digests only), so a department can prove
it read a record under a consent that held at the time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.data.catalog.models import Resource
from govhub.identity.models import AccountKind, Department
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.privacy.models import Consent
from govhub.privacy.schemas import ConsentCreate, ConsentRead

NO_CONSENT = "no such consent"


PERSONS = frozenset({AccountKind.CITIZEN, AccountKind.ENTERPRISE})


def _own(principal: Principal) -> uuid.UUID:
    """Return the caller's account id; only citizens and enterprises hold consents."""
    if principal.account_id is None or principal.kind not in PERSONS:
        raise NotFound("consents are given by citizens and enterprises")
    return principal.account_id


def give(session: Session, *, principal: Principal, data: ConsentCreate) -> Consent:
    """Record the caller's consent for a department to read the named resources."""
    account_id = _own(principal)
    if session.get(Department, data.department_id) is None:
        raise InvalidInput("no such department", field="department_id")
    ids = list(dict.fromkeys(data.resource_ids))
    found = set(session.scalars(select(Resource.id).where(Resource.id.in_(ids))))
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise InvalidInput(f"no such resources: {', '.join(missing)}", field="resource_ids")
    now = utcnow()
    consent = Consent(
        account_id=account_id,
        department_id=data.department_id,
        resource_ids=[str(i) for i in ids],
        purpose=data.purpose,
        granted_at=now,
        expires_at=now + timedelta(days=data.duration_days),
    )
    session.add(consent)
    session.flush()
    _ledger(session, principal, EntryKind.CONSENT_GIVEN, consent)
    return consent


def list_own(session: Session, *, principal: Principal) -> Sequence[Consent]:
    """List the caller's consents, newest first."""
    return session.scalars(
        select(Consent)
        .where(Consent.account_id == _own(principal))
        .order_by(Consent.granted_at.desc())
    ).all()


def withdraw(session: Session, *, principal: Principal, consent_id: uuid.UUID) -> Consent:
    """Withdraw one of the caller's consents now."""
    consent = session.get(Consent, consent_id)
    if consent is None or consent.account_id != _own(principal):
        raise NotFound(NO_CONSENT)
    if consent.withdrawn_at is not None:
        raise Conflict("the consent is already withdrawn")
    consent.withdrawn_at = utcnow()
    _ledger(session, principal, EntryKind.CONSENT_WITHDRAWN, consent)
    return consent


def consent_for(
    session: Session,
    *,
    account_id: uuid.UUID,
    department_id: uuid.UUID,
    resource_id: uuid.UUID,
    now: datetime | None = None,
) -> Consent | None:
    """Return the consent under which a department may read a person's records of a
    resource, or None (the once-only check every service makes before reading)."""
    moment = now or utcnow()
    for consent in session.scalars(
        select(Consent).where(
            Consent.account_id == account_id,
            Consent.department_id == department_id,
            Consent.withdrawn_at.is_(None),
            Consent.expires_at > moment,
        )
    ):
        if str(resource_id) in consent.resource_ids:
            return consent
    return None


def to_read(consent: Consent) -> ConsentRead:
    """Return the giver's view of a consent."""
    return ConsentRead(
        id=consent.id,
        department_id=consent.department_id,
        department_name=consent.department.name,
        resource_ids=consent.resource_ids,
        purpose=consent.purpose,
        granted_at=consent.granted_at,
        expires_at=consent.expires_at,
        withdrawn_at=consent.withdrawn_at,
        active=consent.is_active(utcnow()),
    )


def _ledger(session: Session, principal: Principal, kind: EntryKind, consent: Consent) -> None:
    ledger.record(
        session,
        kind=kind,
        actor=ledger.actor_of(principal),
        subject=f"consent:{consent.id}",
        payload={
            "consent": str(consent.id),
            "account": str(consent.account_id),
            "department": str(consent.department_id),
            "resources": consent.resource_ids,
            "purpose": consent.purpose,
            "expires_at": consent.expires_at.isoformat(),
            "withdrawn_at": consent.withdrawn_at.isoformat() if consent.withdrawn_at else None,
        },
        department_id=consent.department_id,
    )
