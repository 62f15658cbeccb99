"""Builders for the ledger's rows of the authorization matrix (tests/identity/test_authz_matrix.py).

They write through the test session factory (bound to the test's rolled-back connection): a
public entry integrated into a signed checkpoint, and a witness of city A's market bureau.
"""

from __future__ import annotations

from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govhub.core import db
from govhub.ledger import proofs, service
from govhub.ledger.checkpoint import Note, NoteSigner, public_bytes
from govhub.ledger.models import LedgerWitness
from govhub.ledger.schemas import EntryKind
from tests.factories import World

WITNESS = "a-market.witness"
_KEY = Ed25519PrivateKey.generate()


class HasWorld(Protocol):
    """The matrix's actors (only their world is used)."""

    world: World


def ready(_: HasWorld) -> dict[str, Any]:
    """Record and integrate a public entry; return its index, leaf and the tree size."""
    with db.get_sessionmaker()() as session:
        service.record(
            session,
            kind=EntryKind.DATASET_PUBLISHED,
            actor="client:matrix",
            subject="dataset:matrix",
            payload={"matrix": True},
        )
        done = service.integrate_all(session)
        proof = proofs.inclusion_proof(session, done.tree_size - 1)
        session.commit()
    return {
        "index": done.tree_size - 1,
        "tree_size": done.tree_size,
        "leaf_hash": proof.leaf_hash.hex(),
        "first": 1,
        "second": done.tree_size,
    }


def cosign_body(actors: HasWorld) -> dict[str, Any]:
    """Return a valid cosignature of the latest checkpoint by city A market's witness."""
    size = ready(actors)["tree_size"]
    with db.get_sessionmaker()() as session:
        if session.get(LedgerWitness, WITNESS) is None:
            session.add(
                LedgerWitness(
                    name=WITNESS,
                    department_id=actors.world.city_a_market.id,
                    public_key=public_bytes(_KEY.public_key()),
                )
            )
        body = Note.parse(proofs.get_checkpoint(session, size).note).body
        session.commit()
    signature = NoteSigner(WITNESS, _KEY).cosign(body, 1_800_000_000)
    return {"tree_size": size, "signature": signature.line()}
