"""Health-code tokens: compact Ed25519-signed, short-lived, verifiable offline.

A token is ``GHHC1.<payload>.<signature>``, both parts unpadded base64url. The payload is 42
bytes: version (1), color (1: 0 green, 1 yellow, 2 red), the pseudonymous subject (16: an HMAC
of the account id, never the ID number), issued-at and expiry as big-endian Unix seconds (8
each) and the key id (8: the first bytes of the SHA-256 of the raw public key). The signature
covers the ASCII text ``GHHC1.<payload>``, so the prefix and version are bound to it.

The key is derived from the master secret with HKDF (purpose ``health-code-signing:v1``), as the
pickup-code key is; `jwks` publishes its public half. `OfflineVerifier` is what a checkpoint
app runs: it holds ready public-key objects by key id and does one decode, one table lookup,
one Ed25519 check and two comparisons per token. A scanner decodes the same QR code in
frame after frame, so the verifier remembers the last few thousand codes whose signature
it checked (the exact text, never a partial match) and only re-checks their validity period.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import re
import struct
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from govhub.core.crypto import derive_key
from govhub.core.settings import get_settings
from govhub.reservations.health.errors import HealthCodeExpired, HealthCodeInvalid
from govhub.reservations.health.models import HealthColor

PREFIX = "GHHC1."
VERSION = 1
LIFETIME_SECONDS = 300
CLOCK_SKEW_SECONDS = 60
COLORS: tuple[HealthColor, ...] = (HealthColor.GREEN, HealthColor.YELLOW, HealthColor.RED)
_COLOR_BYTE = {color: i for i, color in enumerate(COLORS)}
_LAYOUT = struct.Struct(">BB16sQQ8s")
_PAYLOAD_CHARS = 56  # 42 bytes in unpadded base64url
_HEAD_CHARS = len(PREFIX) + _PAYLOAD_CHARS
# The one spelling of a code: base64url only, and the signature's last character carries no
# stray padding bits, so no two texts verify as the same code.
_CANONICAL = re.compile(r"GHHC1\.[A-Za-z0-9_-]{56}\.[A-Za-z0-9_-]{85}[AQgw]", re.ASCII)


@dataclass(frozen=True, slots=True)
class HealthClaim:
    """What a health code asserts."""

    subject: str  # 32 hex characters
    color: HealthColor
    issued_at: int
    expires_at: int
    key_id: str  # 16 hex characters


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@lru_cache(maxsize=4)
def _key(secret: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(
        derive_key("health-code-signing:v1", secret=secret.encode())
    )


def signing_key() -> Ed25519PrivateKey:
    """Return the platform's health-code signing key."""
    return _key(get_settings().secret_key.get_secret_value())


def key_id_of(public_key: Ed25519PublicKey) -> bytes:
    """Return the 8-byte id of a public key (a SHA-256 prefix of its raw form)."""
    return hashlib.sha256(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).digest()[:8]


@lru_cache(maxsize=4)
def _subject_key(secret: str) -> bytes:
    return derive_key("health-code-subject:v1", secret=secret.encode())


def subject_of(account_id: uuid.UUID) -> str:
    """Return the pseudonymous subject of an account (keyed HMAC, 32 hex characters)."""
    key = _subject_key(get_settings().secret_key.get_secret_value())
    return hmac.digest(key, account_id.bytes, hashlib.sha256)[:16].hex()


def issue(
    subject: str,
    color: HealthColor,
    *,
    now: int | None = None,
    lifetime: int = LIFETIME_SECONDS,
    key: Ed25519PrivateKey | None = None,
) -> str:
    """Sign a health code for `subject` in `color`, valid `lifetime` seconds from `now`."""
    signer = key or signing_key()
    issued = int(time.time()) if now is None else now
    payload = _LAYOUT.pack(
        VERSION,
        _COLOR_BYTE[color],
        bytes.fromhex(subject),
        issued,
        issued + lifetime,
        key_id_of(signer.public_key()),
    )
    head = PREFIX + _b64url(payload)
    return head + "." + _b64url(signer.sign(head.encode("ascii")))


def jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """Return a public key as an RFC 8037 OKP JSON Web Key."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "alg": "EdDSA",
        "use": "sig",
        "kid": key_id_of(public_key).hex(),
        "x": _b64url(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)),
    }


def jwks() -> dict[str, list[dict[str, str]]]:
    """Return the JSON Web Key Set that verifies health codes offline."""
    return {"keys": [jwk(signing_key().public_key())]}


class OfflineVerifier:
    """Verify health codes with public keys only, as a checkpoint app does."""

    __slots__ = ("_keys", "_memo", "_memo_size")

    def __init__(self, public_keys: list[Ed25519PublicKey], *, memo_size: int = 4096) -> None:
        self._keys = {key_id_of(k): k for k in public_keys}
        self._memo: OrderedDict[str, HealthClaim] = OrderedDict()
        self._memo_size = memo_size

    @classmethod
    def from_jwks(cls, document: dict[str, Any]) -> OfflineVerifier:
        """Build a verifier from a JSON Web Key Set of Ed25519 keys."""
        keys = []
        for entry in document.get("keys", []):
            if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
                continue
            x = str(entry["x"])
            keys.append(Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "==")))
        return cls(keys)

    def verify(self, token: str, *, now: float | None = None) -> HealthClaim:
        """Check a token's form, signature and validity period; return what it asserts."""
        claim = self._memo.get(token)
        if claim is None:
            claim = self._check_signed(token)
            if len(self._memo) >= self._memo_size:
                with contextlib.suppress(KeyError):  # another thread took it first
                    self._memo.popitem(last=False)  # the oldest entry
            self._memo[token] = claim
        moment = time.time() if now is None else now
        if moment >= claim.expires_at:
            raise HealthCodeExpired("the health code has expired; refresh it", field="token")
        if claim.issued_at > moment + CLOCK_SKEW_SECONDS:
            raise HealthCodeInvalid("the health code is issued in the future", field="token")
        return claim

    def _check_signed(self, token: str) -> HealthClaim:
        """Check a token's form and signature; return what it asserts."""
        if _CANONICAL.fullmatch(token) is None:
            raise HealthCodeInvalid("this is not a GovHub health code", field="token")
        payload = base64.urlsafe_b64decode(token[len(PREFIX) : _HEAD_CHARS])
        signature = base64.urlsafe_b64decode(token[_HEAD_CHARS + 1 :] + "==")
        message = token[:_HEAD_CHARS].encode("ascii")
        version, color, subject, issued, expires, kid = _LAYOUT.unpack(payload)
        key = self._keys.get(kid)
        if key is None:
            raise HealthCodeInvalid("the health code is signed by an unknown key", field="token")
        try:
            key.verify(signature, message)
        except InvalidSignature as exc:
            raise HealthCodeInvalid(
                "the health code's signature does not verify", field="token"
            ) from exc
        if version != VERSION or color >= len(COLORS):
            raise HealthCodeInvalid("unknown health code version or color", field="token")
        return HealthClaim(subject.hex(), COLORS[color], issued, expires, kid.hex())


@lru_cache(maxsize=4)
def _platform_verifier(secret: str) -> OfflineVerifier:
    return OfflineVerifier([_key(secret).public_key()])


def platform_verifier() -> OfflineVerifier:
    """Return a verifier holding the platform's current public key."""
    return _platform_verifier(get_settings().secret_key.get_secret_value())
