"""Helpers for ledger tests: record events and build witnesses."""

from __future__ import annotations

import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from govhub.identity.principal import Principal
from govhub.ledger import service
from govhub.ledger.checkpoint import NoteSigner, public_bytes
from govhub.ledger.schemas import EntryKind
from govhub.ledger.witness import Witness


def record_many(
    session: Session,
    count: int,
    *,
    kind: EntryKind = EntryKind.DATASET_PUBLISHED,
    department_id: uuid.UUID | None = None,
) -> None:
    """Record `count` events with distinct payloads."""
    for i in range(count):
        service.record(
            session,
            kind=kind,
            actor="client:tax-system",
            subject=f"dataset:{i}",
            payload={"n": i},
            department_id=department_id,
        )


def add_witness(
    session: Session, principal: Principal, department_id: uuid.UUID, name: str = "tax.witness"
) -> Witness:
    """Register a new witness of `department_id` and return it with an empty state."""
    key = Ed25519PrivateKey.generate()
    service.register_witness(
        session,
        principal=principal,
        name=name,
        department_id=department_id,
        public_key=public_bytes(key.public_key()),
    )
    return Witness(NoteSigner(name, key), service.log_verifier())
