"""Keys derived from the master secret, AES-GCM field encryption and keyed HMAC indexes.

Personal identifiers are stored as `encrypt_field(...)` (readable only with the key) next to
`blind_index(...)` (an HMAC for exact-match lookups that reveals nothing without the key).
Ciphertexts carry a key id so the field key can rotate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from govhub.core.settings import get_settings

FIELD_KEY_ID = "f1"


def derive_key(purpose: str, *, length: int = 32, secret: bytes | None = None) -> bytes:
    """Derive a purpose-bound key from the master secret with HKDF-SHA256."""
    master = secret if secret is not None else _master_secret()
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=b"govhub", info=purpose.encode())
    return hkdf.derive(master)


def _master_secret() -> bytes:
    return get_settings().secret_key.get_secret_value().encode()


@lru_cache(maxsize=8)
def _aead(key_id: str, secret: bytes) -> AESGCM:
    return AESGCM(derive_key(f"field-encryption:{key_id}", secret=secret))


def encrypt_field(plaintext: str, *, context: str) -> str:
    """Encrypt `plaintext` with AES-256-GCM, binding it to `context` (e.g. the column name)."""
    nonce = os.urandom(12)
    sealed = _aead(FIELD_KEY_ID, _master_secret()).encrypt(
        nonce, plaintext.encode(), context.encode()
    )
    return f"{FIELD_KEY_ID}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt_field(token: str, *, context: str) -> str:
    """Decrypt a value produced by `encrypt_field` with the same `context`."""
    key_id, _, data = token.partition(":")
    raw = base64.urlsafe_b64decode(data)
    return _aead(key_id, _master_secret()).decrypt(raw[:12], raw[12:], context.encode()).decode()


def blind_index(value: str, *, purpose: str) -> str:
    """Return a keyed HMAC-SHA256 of `value` for equality lookups without storing it in clear."""
    key = derive_key(f"blind-index:{purpose}")
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 hex digest of `data`."""
    return hashlib.sha256(data).hexdigest()
