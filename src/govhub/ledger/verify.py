"""Verification: a standalone check of one entry, and what the lookup page shows.

`verify_entry` needs nothing but an entry, its inclusion proof, a checkpoint and public keys
(it never touches the database), so any party can run it. The audit of the whole log
(`govhub ledger verify`) lives in `audit`; `audit_log` is re-exported here.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from govhub.core.errors import NotFound
from govhub.identity.principal import Principal
from govhub.ledger import merkle, proofs, service
from govhub.ledger.audit import AuditReport, Finding, audit_log
from govhub.ledger.checkpoint import NoteError, NoteVerifier, b64, open_checkpoint, unb64

__all__ = [
    "AuditReport",
    "Finding",
    "Lookup",
    "VerificationFailed",
    "Verified",
    "audit_log",
    "entry_leaf",
    "lookup",
    "verify_entry",
]


class VerificationFailed(ValueError):
    """An entry, proof or checkpoint that does not verify; the message says what failed."""


@dataclass(frozen=True, slots=True)
class Verified:
    """What a successful verification established."""

    index: int
    tree_size: int
    root: bytes
    cosigners: list[str]


def _hash(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else unb64(value)


def entry_leaf(entry: Mapping[str, Any]) -> bytes:
    """Return the leaf hash of an entry given as the API's JSON fields."""
    at = entry["recorded_at"]
    moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    department = entry.get("department_id")
    return merkle.leaf_hash(
        service.leaf_data(
            index=int(entry["index"]),
            kind=str(entry["kind"]),
            actor=str(entry["actor"]),
            subject=str(entry["subject"]),
            department_id=str(uuid.UUID(str(department))) if department else None,
            payload_digest=str(entry["payload_digest"]),
            recorded_at=moment,
        )
    )


def verify_entry(
    entry: Mapping[str, Any],
    proof: Mapping[str, Any],
    checkpoint: str,
    *,
    log_key: str,
    witness_keys: Sequence[str] = (),
    min_cosignatures: int = 0,
) -> Verified:
    """Check an entry's inclusion in a signed, cosigned checkpoint; raise what failed."""
    try:
        log = NoteVerifier.from_vkey(log_key)
        witnesses = tuple(NoteVerifier.from_vkey(key) for key in witness_keys)
        body, _, cosigners = open_checkpoint(
            checkpoint, log, witnesses=witnesses, min_cosignatures=min_cosignatures
        )
        leaf = entry_leaf(entry)
        if int(proof["index"]) != int(entry["index"]):
            raise VerificationFailed("the proof is for another index")
        if leaf != _hash(proof["leaf_hash"]):
            raise VerificationFailed("the entry's fields do not hash to the proven leaf")
        if int(proof["tree_size"]) != body.size:
            raise VerificationFailed("the proof and the checkpoint have different tree sizes")
        hashes = [_hash(h) for h in proof["hashes"]]
        merkle.verify_inclusion(int(entry["index"]), body.size, leaf, hashes, body.root)
    except (NoteError, merkle.ProofError, KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, VerificationFailed):
            raise
        raise VerificationFailed(str(exc)) from exc
    return Verified(
        index=int(entry["index"]), tree_size=body.size, root=body.root, cosigners=cosigners
    )


# --- the lookup page -------------------------------------------------------------------------


@dataclass
class Lookup:
    """What the lookup page shows about one index: entry (if readable), proof, verdict."""

    index: int
    tree_size: int
    checkpoint: str
    leaf_hash: str = ""
    proof: list[str] = field(default_factory=list)
    entry: dict[str, Any] | None = None
    verified: Verified | None = None
    failure: str | None = None


def lookup(session: Session, *, principal: Principal | None, index: int) -> Lookup:
    """Fetch an entry's proof and the latest checkpoint, and verify them as a client would."""
    row = proofs.latest_checkpoint(session)
    text = proofs.checkpoint_text(session, row)
    result = Lookup(index=index, tree_size=row.tree_size, checkpoint=text)
    if not 0 <= index < row.tree_size:
        result.failure = f"no entry {index} in the latest checkpoint"
        return result
    proof = proofs.inclusion_proof(session, index, row.tree_size)
    result.leaf_hash, result.proof = b64(proof.leaf_hash), [b64(h) for h in proof.hashes]
    proof_json = {
        "index": index,
        "tree_size": proof.tree_size,
        "leaf_hash": result.leaf_hash,
        "hashes": result.proof,
    }
    keys = [service.witness_verifier(w).vkey for w in service.list_witnesses(session)]
    try:
        entry = service.get_entry(session, principal=principal, index=index)
    except NotFound:
        entry = None
    try:
        if entry is not None:
            result.entry = {
                "index": index,
                "kind": entry.kind,
                "actor": entry.actor,
                "subject": entry.subject,
                "department_id": str(entry.department_id) if entry.department_id else None,
                "payload_digest": entry.payload_digest,
                "recorded_at": service.timestamp_text(entry.recorded_at),
            }
            result.verified = verify_entry(
                result.entry,
                proof_json,
                text,
                log_key=service.log_verifier().vkey,
                witness_keys=keys,
            )
        else:
            witnesses = tuple(NoteVerifier.from_vkey(k) for k in keys)
            body, _, cosigners = open_checkpoint(text, service.log_verifier(), witnesses=witnesses)
            merkle.verify_inclusion(index, body.size, proof.leaf_hash, proof.hashes, body.root)
            result.verified = Verified(index, body.size, body.root, cosigners)
    except (VerificationFailed, NoteError, merkle.ProofError) as exc:
        result.failure = str(exc)
    return result
