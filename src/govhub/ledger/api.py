"""HTTP API of the trust ledger (`/api/v1/ledger`): checkpoints and proofs are public."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from fastapi.responses import PlainTextResponse

from govhub.core.errors import InvalidInput
from govhub.identity.deps import DbSession, MaybePrincipal, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ledger import proofs, service
from govhub.ledger.checkpoint import b64
from govhub.ledger.models import LedgerEntry
from govhub.ledger.schemas import (
    ConsistencyProofRead,
    CosignatureCreate,
    CosignatureRead,
    EntryRead,
    InclusionProofRead,
    KeysRead,
    WitnessRead,
)

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])

LedgerWitnessUse = Annotated[Principal, Depends(require(Permission.LEDGER_WITNESS))]
Index = Annotated[int, Path(ge=0, le=2**62)]
Size = Annotated[int, Path(ge=0, le=2**62)]
OptionalSize = Annotated[int | None, Query(ge=1, le=2**62)]
NOTE_TYPE = "text/plain; charset=utf-8"


def entry_read(entry: LedgerEntry) -> EntryRead:
    """Shape an integrated entry for the API."""
    return EntryRead(
        index=entry.log_index,
        kind=entry.kind,
        actor=entry.actor,
        subject=entry.subject,
        department_id=entry.department_id,
        payload_digest=entry.payload_digest,
        recorded_at=entry.recorded_at,
        leaf_hash=b64(entry.leaf_hash),
    )


def _proof_read(proof: proofs.InclusionProof) -> InclusionProofRead:
    return InclusionProofRead(
        index=proof.index,
        tree_size=proof.tree_size,
        leaf_hash=b64(proof.leaf_hash),
        hashes=[b64(h) for h in proof.hashes],
    )


@router.get("/checkpoint", response_class=PlainTextResponse)
def latest_checkpoint(session: DbSession) -> PlainTextResponse:
    """Return the newest checkpoint as a signed note with its witness cosignatures."""
    text = proofs.checkpoint_text(session, proofs.latest_checkpoint(session))
    return PlainTextResponse(text, media_type=NOTE_TYPE)


@router.get("/checkpoints/{tree_size}", response_class=PlainTextResponse)
def checkpoint(tree_size: Size, session: DbSession) -> PlainTextResponse:
    """Return the checkpoint of one tree size as a signed note."""
    text = proofs.checkpoint_text(session, proofs.get_checkpoint(session, tree_size))
    return PlainTextResponse(text, media_type=NOTE_TYPE)


@router.get("/keys", response_model=KeysRead)
def keys(session: DbSession) -> KeysRead:
    """Return the log's verifier key and every witness's."""
    return KeysRead(
        origin=service.origin(),
        log=service.log_verifier().vkey,
        witnesses=[
            WitnessRead(
                name=w.name,
                department_id=w.department_id,
                vkey=service.witness_verifier(w).vkey,
            )
            for w in service.list_witnesses(session)
        ],
    )


@router.get("/entries/{index}", response_model=EntryRead)
def entry(index: Index, session: DbSession, principal: MaybePrincipal) -> EntryRead:
    """Return an entry (public kinds to anyone; others to officials whose scope covers it)."""
    return entry_read(service.get_entry(session, principal=principal, index=index))


@router.get("/proofs/inclusion/{index}", response_model=InclusionProofRead)
def inclusion_proof(
    index: Index, session: DbSession, tree_size: OptionalSize = None
) -> InclusionProofRead:
    """Return the inclusion proof of the entry at `index` (default: in the latest tree)."""
    return _proof_read(proofs.inclusion_proof(session, index, tree_size))


@router.get("/proofs/leaf/{leaf_hash}", response_model=InclusionProofRead)
def inclusion_proof_by_leaf(
    leaf_hash: Annotated[str, Path(pattern=r"^[0-9a-fA-F]{64}$")],
    session: DbSession,
    tree_size: OptionalSize = None,
) -> InclusionProofRead:
    """Return the inclusion proof of the entry whose leaf hash is `leaf_hash` (hex)."""
    index = proofs.index_of_leaf(session, bytes.fromhex(leaf_hash))
    return _proof_read(proofs.inclusion_proof(session, index, tree_size))


@router.get("/proofs/consistency/{first}/{second}", response_model=ConsistencyProofRead)
def consistency_proof(first: Size, second: Size, session: DbSession) -> ConsistencyProofRead:
    """Return the proof that the tree of `second` leaves extends the tree of `first`."""
    hashes = proofs.consistency_proof(session, first, second)
    return ConsistencyProofRead(first=first, second=second, hashes=[b64(h) for h in hashes])


@router.post("/cosignatures", response_model=CosignatureRead, status_code=status.HTTP_201_CREATED)
def add_cosignature(
    body: CosignatureCreate, session: DbSession, principal: LedgerWitnessUse
) -> CosignatureRead:
    """Store a department witness's cosignature of a checkpoint."""
    if "\n" in body.signature.strip("\n"):
        raise InvalidInput("send one signature line", field="signature")
    row = service.add_cosignature(
        session, principal=principal, tree_size=body.tree_size, signature=body.signature
    )
    return CosignatureRead.model_validate(row)
