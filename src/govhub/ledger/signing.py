"""The platform's checkpoint key and the signed note of a new checkpoint."""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govhub.core.crypto import derive_key
from govhub.ledger.checkpoint import Checkpoint, Note, NoteSigner, NoteVerifier
from govhub.ledger.settings import origin


@lru_cache(maxsize=4)
def _signer(name: str, seed: bytes) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(seed))


def log_signer() -> NoteSigner:
    """Return the platform's checkpoint key, derived from the master secret."""
    return _signer(origin(), derive_key("ledger-checkpoint-signing:v1"))


def log_verifier() -> NoteVerifier:
    """Return the public half of the platform's checkpoint key."""
    return log_signer().verifier


def signed_checkpoint(size: int, root: bytes) -> str:
    """Return the signed note of the checkpoint of `size` leaves and `root`."""
    body = Checkpoint(origin(), size, root).body()
    return Note(body, (log_signer().sign(body),)).text()
