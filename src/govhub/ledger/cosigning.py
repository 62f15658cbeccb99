"""Department witnesses: their registered keys and the cosignatures they submit."""

from __future__ import annotations

import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import InvalidInput, NotFound
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ledger.access import in_scope
from govhub.ledger.checkpoint import Note, NoteError, NoteVerifier, Signature
from govhub.ledger.models import LedgerCosignature, LedgerWitness
from govhub.ledger.proofs import get_checkpoint


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
    if not in_scope(session, principal, department_id):
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
