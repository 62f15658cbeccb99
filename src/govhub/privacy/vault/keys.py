"""Master keys: settings, the versioned keyring, and wrapping of data keys."""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from govhub.core.errors import Conflict, GovHubError
from govhub.core.settings import environment_cached, get_settings


class VaultError(GovHubError):
    """An encrypted object cannot be opened: missing or wrong master key, or tampered bytes."""

    status = 500
    slug = "vault-error"
    title = "Encrypted data cannot be opened"


class VaultSettings(BaseSettings):
    """Encryption-at-rest settings (``GOVHUB_VAULT_*``)."""

    model_config = SettingsConfigDict(env_prefix="GOVHUB_VAULT_", env_file=".env", extra="ignore")

    mode: Literal["personal", "all", "off"] = Field(
        default="personal", description="Which dataset versions are encrypted at rest"
    )
    keys: SecretStr = Field(
        default=SecretStr(""), description="Master keys as id=base64 pairs, the last one active"
    )
    keyring_file: Path | None = Field(
        default=None, description="Keyring file; empty = <var_dir>/vault/keyring.json"
    )
    cache_bytes: int = Field(
        default=1 << 30,
        ge=0,
        description="Most decrypted bytes a process keeps in memory for readers (LRU; 0: none)",
    )
    cache_check_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a decrypted version is read without looking at its pointer again "
        "(a rotation in this process drops it at once; 0: look on every read)",
    )


get_vault_settings = environment_cached("GOVHUB_VAULT_", VaultSettings)
"""Return the vault settings, read again whenever a `GOVHUB_VAULT_*` variable changed."""


@dataclass
class Keyring:
    """Master key versions: id -> 256-bit key; `active` wraps new data keys."""

    keys: dict[str, bytes]
    active: str
    retired: list[str] = field(default_factory=list)
    path: Path | None = None  # None: the keys come from the environment and are read-only

    def key(self, key_id: str) -> bytes:
        """Return the master key `key_id`, or fail clearly."""
        try:
            return self.keys[key_id]
        except KeyError:
            state = "was retired" if key_id in self.retired else "is not in the keyring"
            raise VaultError(f"master key {key_id!r} {state}") from None

    def save(self) -> None:
        """Write the keyring file atomically with owner-only permissions."""
        if self.path is None:
            raise Conflict("master keys come from GOVHUB_VAULT_KEYS; change them there")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "active": self.active,
            "retired": self.retired,
            "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()},
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(body, handle)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add(self) -> str:
        """Add a fresh master key version, make it active, and save; return its id."""
        number = 1 + max(
            (int(k[1:]) for k in [*self.keys, *self.retired] if k[1:].isdigit()), default=0
        )
        key_id = f"k{number}"
        self.keys[key_id] = secrets.token_bytes(32)
        self.active = key_id
        self.save()
        return key_id


def keyring_path() -> Path:
    """Return where the keyring file lives."""
    configured = get_vault_settings().keyring_file
    return configured or get_settings().var_dir / "vault" / "keyring.json"


def _decode_key(key_id: str, text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise VaultError(f"master key {key_id!r} is not base64") from None
    if len(raw) != 32:
        raise VaultError(f"master key {key_id!r} must be 32 bytes")
    return raw


def load_keyring(*, create: bool | None = None) -> Keyring:
    """Load the master keys from the environment or the keyring file (made on first use
    outside production)."""
    configured = get_vault_settings().keys.get_secret_value().strip()
    if configured:
        keys: dict[str, bytes] = {}
        for part in configured.split(","):
            key_id, sep, text = part.strip().partition("=")
            if not sep or not key_id:
                raise VaultError("GOVHUB_VAULT_KEYS must be id=base64 pairs separated by commas")
            keys[key_id] = _decode_key(key_id, text)
        return Keyring(keys=keys, active=list(keys)[-1])
    path = keyring_path()
    if not path.exists():
        if create is False or (create is None and get_settings().env == "production"):
            raise VaultError(
                "no master key: set GOVHUB_VAULT_KEYS or create a keyring with "
                "`govhub keys rotate-data`"
            )
        ring = Keyring(keys={}, active="", path=path)
        ring.add()
        return ring
    try:
        body = json.loads(path.read_text())
        keys = {k: _decode_key(k, v) for k, v in body["keys"].items()}
        ring = Keyring(keys=keys, active=body["active"], retired=list(body["retired"]), path=path)
    except (OSError, ValueError, KeyError, TypeError):
        raise VaultError("the keyring file cannot be read") from None
    ring.key(ring.active)
    return ring


def wrap_dek(ring: Keyring, key_id: str, dek: bytes, aad: bytes) -> str:
    """Wrap a data key with a master key (AES-256-GCM, `aad` bound); return base64."""
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(ring.key(key_id)).encrypt(nonce, dek, aad)).decode()


def unwrap_dek(ring: Keyring, key_id: str, wrapped: str, aad: bytes) -> bytes:
    """Unwrap a data key; a wrong key or altered wrapping fails clearly."""
    raw = base64.b64decode(wrapped)
    try:
        return AESGCM(ring.key(key_id)).decrypt(raw[:12], raw[12:], aad)
    except InvalidTag:
        raise VaultError(
            f"the data key cannot be unwrapped with master key {key_id!r} "
            "(wrong key or altered key material)"
        ) from None
