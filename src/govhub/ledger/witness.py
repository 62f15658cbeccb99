"""A department witness: remembers the last checkpoint it cosigned and only moves forward.

Given a new checkpoint (a signed note) and a consistency proof from its last one, a witness
checks the platform's signature, the origin, that the tree did not shrink or fork, and the
proof; then it cosigns with a C2SP tlog-cosignature v1 line. Its state is a small JSON file.
"""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from govhub.ledger import merkle
from govhub.ledger.checkpoint import (
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    Signature,
    open_checkpoint,
)


class WitnessRejected(ValueError):
    """A checkpoint the witness refuses to cosign, with the reason."""


@dataclass(frozen=True, slots=True)
class WitnessState:
    """The last checkpoint a witness cosigned."""

    size: int
    root: bytes

    def dumps(self) -> str:
        """Serialize the state as JSON."""
        return json.dumps({"size": self.size, "root": base64.b64encode(self.root).decode()})

    @classmethod
    def loads(cls, text: str) -> WitnessState:
        """Read a state serialized by `dumps`."""
        data = json.loads(text)
        return cls(size=int(data["size"]), root=base64.b64decode(data["root"]))


class Witness:
    """Verify that each new checkpoint extends the last one, then cosign it."""

    def __init__(
        self, signer: NoteSigner, log: NoteVerifier, state: WitnessState | None = None
    ) -> None:
        self.signer = signer
        self.log = log
        self.state = state

    def cosign(
        self, note_text: str, proof: list[bytes], *, now: int | None = None
    ) -> tuple[Checkpoint, Signature]:
        """Check `note_text` against the last state with `proof`; cosign and advance."""
        try:
            checkpoint, note, _ = open_checkpoint(note_text, self.log)
        except NoteError as exc:
            raise WitnessRejected(f"rejected: {exc}") from exc
        state = self.state
        if state is not None:
            if checkpoint.size < state.size:
                raise WitnessRejected(
                    f"rejected: rollback from size {state.size} to {checkpoint.size}"
                )
            try:
                if state.size == 0:
                    if checkpoint.size == 0 and checkpoint.root != state.root:
                        raise merkle.ProofError("the empty tree changed its root")
                else:
                    merkle.verify_consistency(
                        state.size, checkpoint.size, state.root, checkpoint.root, proof
                    )
            except merkle.ProofError as exc:
                raise WitnessRejected(f"rejected: fork or inconsistent proof: {exc}") from exc
        signature = self.signer.cosign(note.body, int(time.time()) if now is None else now)
        self.state = WitnessState(size=checkpoint.size, root=checkpoint.root)
        return checkpoint, signature


def new_key_file(path: Path) -> Ed25519PrivateKey:
    """Create a witness private key file (raw seed, base64, mode 0600)."""
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(seed).decode() + "\n")
    return key


def load_key_file(path: Path) -> Ed25519PrivateKey:
    """Read a witness private key file written by `new_key_file`."""
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(path.read_text().strip()))


def load_state(path: Path) -> WitnessState | None:
    """Read a witness state file (None when it does not exist yet)."""
    return WitnessState.loads(path.read_text()) if path.exists() else None


def save_state(path: Path, state: WitnessState) -> None:
    """Write a witness state file atomically."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(state.dumps())
    temporary.replace(path)
