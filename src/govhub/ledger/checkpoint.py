"""Checkpoints as C2SP signed notes, signed with Ed25519 and cosigned by witnesses.

* `tlog-checkpoint`: the note body is `<origin>\\n<tree size>\\n<base64 root hash>\\n`.
* `signed-note`: the body, a blank line, then one line per signature,
  `— <key name> <base64(key ID || signature)>`; an Ed25519 key's ID is the first 4 bytes of
  `SHA-256(name || 0x0A || 0x01 || public key)` and its verifier key is written
  `<name>+<hex key ID>+<base64(0x01 || public key)>`.
* `tlog-cosignature` (timestamped cosignature v1): a witness signs
  `cosignature/v1\\ntime <unix seconds>\\n<body>`; its signature line carries
  `key ID || 8-byte big-endian timestamp || signature`, with the key ID computed over the
  algorithm byte 0x04.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
SIGNATURE_PREFIX = "\u2014 "
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A note or checkpoint that is malformed or whose signature does not verify."""


def b64(data: bytes) -> str:
    """Encode bytes as standard base64."""
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    """Decode standard base64, rejecting anything else."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError("not valid base64") from exc


def public_bytes(key: Ed25519PublicKey) -> bytes:
    """Return the 32 raw bytes of an Ed25519 public key."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"invalid key name {name!r}")


def key_id(name: str, algorithm: int, public_key: bytes) -> bytes:
    """Return the 4-byte key ID of a signed-note key."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()[:4]


@dataclass(frozen=True, slots=True)
class Signature:
    """One signature line of a note."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """Render the signature line (without the newline)."""
        return f"{SIGNATURE_PREFIX}{self.name} {b64(self.key_id + self.signature)}"

    @classmethod
    def parse(cls, line: str) -> Signature:
        """Parse a signature line."""
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("a signature line starts with an em dash and a space")
        name, _, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
        _check_name(name)
        raw = unb64(encoded)
        if len(raw) < 5:
            raise NoteError("a signature is too short")
        return cls(name=name, key_id=raw[:4], signature=raw[4:])


@dataclass(frozen=True, slots=True)
class Note:
    """A signed note: a text body and its signatures."""

    body: str
    signatures: tuple[Signature, ...]

    def text(self) -> str:
        """Render the note as text."""
        lines = "".join(sig.line() + "\n" for sig in self.signatures)
        return f"{self.body}\n{lines}"

    @classmethod
    def parse(cls, text: str) -> Note:
        """Split a signed note into its body and signature lines."""
        body, sep, rest = text.rpartition("\n\n")
        if not sep or not rest.endswith("\n"):
            raise NoteError("a note is a body, a blank line and signature lines, each ending \\n")
        lines = rest[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise NoteError("too many signatures")
        return cls(body=body + "\n", signatures=tuple(Signature.parse(line) for line in lines))

    def with_signature(self, signature: Signature) -> Note:
        """Return this note with `signature` added (replacing one by the same key)."""
        others = tuple(
            s for s in self.signatures if (s.name, s.key_id) != (signature.name, signature.key_id)
        )
        return Note(body=self.body, signatures=(*others, signature))


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The body of a checkpoint: origin, tree size and root hash."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        """Render the checkpoint note body."""
        return f"{self.origin}\n{self.size}\n{b64(self.root)}\n"

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Parse a checkpoint note body (extension lines are ignored)."""
        lines = body.split("\n")
        if len(lines) < 4 or lines[-1] != "" or not lines[0]:
            raise NoteError("a checkpoint body has an origin, a size and a root hash")
        size_text = lines[1]
        if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
            raise NoteError("the tree size is not a canonical decimal number")
        root = unb64(lines[2])
        if len(root) != 32:
            raise NoteError("the root hash is not 32 bytes long")
        return cls(origin=lines[0], size=int(size_text), root=root)


class NoteSigner:
    """An Ed25519 signed-note key with its name."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        self.name = name
        self.private_key = private_key
        self.verifier = NoteVerifier(name, private_key.public_key())

    def sign(self, body: str) -> Signature:
        """Sign a note body."""
        return Signature(self.name, self.verifier.key_id, self.private_key.sign(body.encode()))

    def cosign(self, body: str, timestamp: int) -> Signature:
        """Cosign a checkpoint body as a witness (tlog-cosignature v1)."""
        message = cosignature_message(body, timestamp)
        raw = struct.pack(">Q", timestamp) + self.private_key.sign(message)
        return Signature(self.name, self.verifier.cosignature_key_id, raw)


def cosignature_message(body: str, timestamp: int) -> bytes:
    """Return the bytes a witness signs for a cosignature v1."""
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


class NoteVerifier:
    """The public half of a signed-note key."""

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        _check_name(name)
        self.name = name
        self.public_key = public_key
        raw = public_bytes(public_key)
        self.key_id = key_id(name, ALG_ED25519, raw)
        self.cosignature_key_id = key_id(name, ALG_COSIGNATURE_V1, raw)

    @property
    def vkey(self) -> str:
        """The verifier key string `<name>+<hex key ID>+<base64(0x01 || key)>`."""
        raw = public_bytes(self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{b64(bytes([ALG_ED25519]) + raw)}"

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse a verifier key string, checking its key ID."""
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key is <name>+<key id>+<key>")
        name, hex_id, encoded = parts
        raw = unb64(encoded)
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("only Ed25519 verifier keys are supported")
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(raw[1:]))
        if verifier.key_id.hex() != hex_id.lower():
            raise NoteError("the verifier key's ID does not match its key")
        return verifier

    def verifies(self, body: str, signature: Signature) -> bool:
        """Tell whether `signature` is this key's valid signature of `body`."""
        if signature.name != self.name or signature.key_id != self.key_id:
            return False
        try:
            self.public_key.verify(signature.signature, body.encode())
        except InvalidSignature:
            return False
        return True

    def cosignature_time(self, body: str, signature: Signature) -> int | None:
        """Return the timestamp of this witness's valid cosignature of `body`, else None."""
        if signature.name != self.name or signature.key_id != self.cosignature_key_id:
            return None
        if len(signature.signature) != 8 + 64:
            return None
        (timestamp,) = struct.unpack(">Q", signature.signature[:8])
        try:
            self.public_key.verify(signature.signature[8:], cosignature_message(body, timestamp))
        except InvalidSignature:
            return None
        return int(timestamp)


def open_checkpoint(
    text: str,
    log: NoteVerifier,
    *,
    witnesses: tuple[NoteVerifier, ...] = (),
    min_cosignatures: int = 0,
) -> tuple[Checkpoint, Note, list[str]]:
    """Verify a signed checkpoint; return it, its note and the names of valid cosigners."""
    note = Note.parse(text)
    if not any(log.verifies(note.body, sig) for sig in note.signatures):
        raise NoteError(f"the checkpoint carries no valid signature of {log.name}")
    checkpoint = Checkpoint.parse(note.body)
    if checkpoint.origin != log.name:
        raise NoteError(f"the checkpoint's origin is not {log.name}")
    cosigners = sorted(
        {
            witness.name
            for witness in witnesses
            for sig in note.signatures
            if witness.cosignature_time(note.body, sig) is not None
        }
    )
    if len(cosigners) < min_cosignatures:
        raise NoteError(
            f"the checkpoint has {len(cosigners)} valid cosignatures, {min_cosignatures} required"
        )
    return checkpoint, note, cosigners
