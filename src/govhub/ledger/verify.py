"""Verification: a standalone check of one entry, and an audit that re-derives the whole log.

`verify_entry` needs nothing but an entry, its inclusion proof, a checkpoint and public keys
(it never touches the database), so any party can run it. `audit_log` rebuilds the tree
from the entries' contents and compares every stored leaf hash, subtree hash, checkpoint
root, signature and cosignature, reporting the exact index of each discrepancy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import NotFound
from govhub.identity.principal import Principal
from govhub.ledger import merkle, proofs, service
from govhub.ledger.checkpoint import NoteError, NoteVerifier, b64, open_checkpoint, unb64
from govhub.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerNode, LedgerWitness


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


# --- the full audit --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One discrepancy: the first entry index it concerns (if any) and what is wrong."""

    index: int | None
    message: str

    def __str__(self) -> str:
        where = f"index {self.index}" if self.index is not None else "log"
        return f"{where}: {self.message}"


@dataclass
class AuditReport:
    """The outcome of `audit_log`."""

    tree_size: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether nothing was found."""
        return not self.findings


def _entries(session: Session) -> Iterator[LedgerEntry]:
    query = (
        select(LedgerEntry)
        .where(LedgerEntry.log_index.is_not(None))
        .order_by(LedgerEntry.log_index)
        .execution_options(yield_per=5000)
    )
    yield from session.scalars(query)


def _rebuild(session: Session, report: AuditReport) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    broken = False
    for entry in _entries(session):
        index = entry.log_index
        assert index is not None  # noqa: S101 - filtered by the query
        if index != tree.size and not broken:
            what = "is missing" if index > tree.size else "is duplicated"
            report.findings.append(Finding(tree.size, f"entry {what} (next stored: {index})"))
            broken = True
        leaf = merkle.leaf_hash(service.entry_leaf_data(entry))
        if leaf != entry.leaf_hash:
            report.findings.append(Finding(index, "entry content does not match its leaf hash"))
        if not broken:
            tree.append(leaf)
    report.tree_size = tree.size
    return tree


def _check_nodes(session: Session, tree: merkle.MemoryTree, report: AuditReport) -> None:
    seen: set[merkle.NodeId] = set()
    query = select(LedgerNode).order_by(LedgerNode.level, LedgerNode.position)
    for node in session.scalars(query.execution_options(yield_per=5000)):
        key = (node.level, node.position)
        first = node.position << node.level
        expected = tree.nodes.get(key)
        if expected is None:
            report.findings.append(Finding(first, f"unexpected subtree hash {key}"))
        elif expected != node.hash:
            report.findings.append(Finding(first, f"subtree hash {key} does not match"))
        seen.add(key)
    for key in sorted(k for k in tree.nodes if k[0] > 0 and k not in seen):
        report.findings.append(Finding(key[1] << key[0], f"subtree hash {key} is missing"))


def _check_checkpoints(session: Session, tree: merkle.MemoryTree, report: AuditReport) -> None:
    log = service.log_verifier()
    witnesses = tuple(service.witness_verifier(w) for w in session.scalars(select(LedgerWitness)))
    latest = -1
    for row in session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size)):
        report.checkpoints += 1
        latest = row.tree_size
        try:
            body, _, _ = open_checkpoint(row.note, log)
        except NoteError as exc:
            report.findings.append(Finding(None, f"checkpoint {row.tree_size}: {exc}"))
            continue
        if body.size != row.tree_size or body.root != row.root_hash:
            report.findings.append(
                Finding(None, f"checkpoint {row.tree_size}: row and note differ")
            )
        if body.size > tree.size:
            report.findings.append(Finding(tree.size, f"checkpoint {body.size}: entries missing"))
        elif tree.root(body.size) != body.root:
            report.findings.append(
                Finding(None, f"checkpoint {body.size}: root does not match the entries")
            )
        text = proofs.checkpoint_text(session, row)
        try:
            _, _, cosigners = open_checkpoint(text, log, witnesses=witnesses)
        except NoteError as exc:  # pragma: no cover - the platform signature was checked above
            report.findings.append(Finding(None, f"checkpoint {row.tree_size}: {exc}"))
            continue
        stored = text.count("\n\u2014 ") - 1
        report.cosignatures += len(cosigners)
        if len(cosigners) != stored:
            report.findings.append(
                Finding(None, f"checkpoint {row.tree_size}: a cosignature does not verify")
            )
    if tree.size > max(latest, 0):
        report.findings.append(Finding(max(latest, 0), "entries not covered by any checkpoint"))


def audit_log(session: Session) -> AuditReport:
    """Re-derive the tree from every entry and check every stored hash and signature."""
    report = AuditReport()
    tree = _rebuild(session, report)
    _check_nodes(session, tree, report)
    _check_checkpoints(session, tree, report)
    return report


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
