"""Pickup codes: compact Ed25519-signed tokens, verifiable offline, rendered as QR codes.

A code is `GHR1.` followed by the unpadded base64url of 57 payload bytes and a 64-byte
signature. The payload is a version byte, the reservation id, the pickup point id and the
time window id (16 bytes each) and the expiry as big-endian Unix seconds (8 bytes). The key
is derived from the master secret with HKDF (purpose `reservations-pickup-signing:v1`), as
the ledger's checkpoint key is, so it needs no storage; `public_key_b64` publishes its half.
Ed25519 signatures are deterministic, so the same reservation always gets the same code.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from govhub.core.crypto import derive_key
from govhub.core.settings import get_settings
from govhub.reservations.errors import PickupCodeExpired, PickupCodeInvalid

PREFIX = "GHR1."
_VERSION = 1
_LAYOUT = struct.Struct(">B16s16s16sQ")
_SIGNATURE_BYTES = 64


@dataclass(frozen=True, slots=True)
class PickupClaim:
    """What a pickup code asserts."""

    reservation_id: uuid.UUID
    point_id: uuid.UUID
    window_id: uuid.UUID
    expires_at: datetime


@lru_cache(maxsize=4)
def _key(secret: str) -> Ed25519PrivateKey:
    seed = derive_key("reservations-pickup-signing:v1", secret=secret.encode())
    return Ed25519PrivateKey.from_private_bytes(seed)


def signing_key() -> Ed25519PrivateKey:
    """Return the platform's pickup-code signing key."""
    return _key(get_settings().secret_key.get_secret_value())


def public_key_b64() -> str:
    """Return the raw public key of pickup codes, standard base64."""
    raw = signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def issue(claim: PickupClaim) -> str:
    """Sign `claim` and return its compact pickup code."""
    payload = _LAYOUT.pack(
        _VERSION,
        claim.reservation_id.bytes,
        claim.point_id.bytes,
        claim.window_id.bytes,
        int(claim.expires_at.timestamp()),
    )
    signed = payload + signing_key().sign(payload)
    return PREFIX + base64.urlsafe_b64encode(signed).decode().rstrip("=")


def verify(
    code: str, *, now: datetime | None = None, public_key: Ed25519PublicKey | None = None
) -> PickupClaim:
    """Check a code's form, signature and expiry; return what it asserts."""
    if not code.startswith(PREFIX):
        raise PickupCodeInvalid("this is not a GovHub pickup code", field="code")
    body = code.removeprefix(PREFIX)
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise PickupCodeInvalid("the pickup code is not valid base64url", field="code") from exc
    if len(raw) != _LAYOUT.size + _SIGNATURE_BYTES:
        raise PickupCodeInvalid("the pickup code has the wrong length", field="code")
    payload, signature = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
    key = public_key or signing_key().public_key()
    try:
        key.verify(signature, payload)
    except InvalidSignature as exc:
        raise PickupCodeInvalid(
            "the pickup code's signature does not verify", field="code"
        ) from exc
    version, reservation, point, window, expiry = _LAYOUT.unpack(payload)
    if version != _VERSION:
        raise PickupCodeInvalid("unknown pickup code version", field="code")
    expires_at = datetime.fromtimestamp(expiry, UTC)
    if (now or datetime.now(UTC)) >= expires_at:
        raise PickupCodeExpired("the pickup code has expired", field="code")
    return PickupClaim(
        uuid.UUID(bytes=reservation), uuid.UUID(bytes=point), uuid.UUID(bytes=window), expires_at
    )


def qr_svg(code: str) -> str:
    """Render a pickup code as an SVG QR code (error correction level M)."""
    buffer = io.BytesIO()
    segno.make_qr(code, error="m").save(buffer, kind="svg", scale=4, border=2)
    return buffer.getvalue().decode()
