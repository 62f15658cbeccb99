"""Helpers for reservation tests: residents with ID numbers, and campaigns to publish."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.crypto import encrypt_field
from govhub.core.db import utcnow
from govhub.identity import authn
from govhub.identity import service as identity_service
from govhub.identity.models import Account, AccountKind, AccountRole
from govhub.identity.permissions import Role
from govhub.ledger.models import LedgerPending
from govhub.reservations.schemas import CampaignCreate
from tests.factories import PASSWORD, make_id_number

_FAST_HASH: dict[str, str] = {}


def add_citizen(
    session: Session,
    username: str | None = None,
    *,
    born: str = "19900307",
    division: str = "330102",
    with_password: bool = True,
) -> Account:
    """Insert a citizen whose ID number encodes `born` and `division`."""
    number = make_id_number(division, born, f"{uuid.uuid4().int % 1000:03d}")
    if with_password and "hash" not in _FAST_HASH:
        _FAST_HASH["hash"] = authn.hash_password(PASSWORD)
    account = Account(
        kind=AccountKind.CITIZEN,
        username=username or f"res{uuid.uuid4().hex[:10]}",
        display_name="Resident",
        password_hash=_FAST_HASH.get("hash", "!") if with_password else "!",
        id_number_encrypted=encrypt_field(number, context=identity_service.ID_NUMBER_CONTEXT),
        id_number_index=uuid.uuid4().hex,  # unique stand-in: lookups are not under test here
    )
    account.role_rows = [AccountRole(role=Role.CITIZEN)]
    session.add(account)
    session.flush()
    return account


def campaign_data(**overrides: Any) -> CampaignCreate:
    """Return a first-come-first-served campaign open now, two points, one window."""
    now = utcnow()
    values: dict[str, Any] = {
        "title": "Masks, week 48",
        "item": "surgical masks, 5 pieces",
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(hours=2),
        "points": [
            {"name": "Qingbo pharmacy", "division_code": "330102001"},
            {"name": "Shangcheng clinic", "division_code": "330102"},
        ],
        "windows": [
            {"starts_at": now + timedelta(days=1), "ends_at": now + timedelta(days=1, hours=4)}
        ],
        "quota_per_slot": 3,
        "shards": 2,
    }
    values.update(overrides)
    return CampaignCreate.model_validate(values)


def ledgered(session: Session, subject: str) -> list[tuple[str, str]]:
    """Return (kind, payload digest) of the pending ledger rows about `subject`, in order."""
    rows = session.execute(
        select(LedgerPending.kind, LedgerPending.payload_digest)
        .where(LedgerPending.subject == subject)
        .order_by(LedgerPending.seq)
    )
    return [(kind, digest) for kind, digest in rows.all()]


def as_json(data: CampaignCreate) -> dict[str, Any]:
    """Return `data` as a JSON body."""
    return data.model_dump(mode="json", exclude_none=True)
