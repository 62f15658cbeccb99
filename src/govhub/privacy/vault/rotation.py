"""Rotation of master keys, re-encryption of versions, retirement of old keys."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import Conflict
from govhub.core.storage import Storage, get_storage
from govhub.data.catalog.models import DatasetVersion
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.privacy.vault.keys import Keyring, VaultError, load_keyring, unwrap_dek, wrap_dek
from govhub.privacy.vault.objects import (
    Pointer,
    _dek_aad,
    _open_chunks,
    _write_sealed,
    read_pointer,
)
from govhub.privacy.vault.reading import drop


@dataclass
class Rotation:
    """What a rotation did, without any key material."""

    key_id: str
    rewrapped: int = 0
    reencrypted: int = 0
    plain: int = 0
    previous: set[str] = field(default_factory=set)
    removed: list[str] = field(default_factory=list)
    payload: dict[str, object] = field(default_factory=dict)  # what the ledger entry digests


def usage(session: Session, storage: Storage | None = None) -> dict[str, int]:
    """Count encrypted versions per master key id (`plain` for unencrypted ones)."""
    storage = storage or get_storage()
    counts: dict[str, int] = {}
    for key in session.scalars(
        select(DatasetVersion.storage_key).order_by(DatasetVersion.storage_key)
    ):
        if not storage.exists(key):
            continue
        pointer = read_pointer(storage, key)
        name = "plain" if pointer is None else pointer.key_id
        counts[name] = counts.get(name, 0) + 1
    return counts


def rotate(
    session: Session,
    *,
    actor: str,
    reencrypt: bool = False,
    storage: Storage | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Rotation:
    """Add a master key version and re-wrap every data key under it (with `reencrypt`, seal
    every version anew under fresh data keys); ledger it; old objects go only after each
    pointer switched."""
    storage = storage or get_storage()
    ring = load_keyring()
    # A file keyring gains a key; keys from the environment are rotated there (the last is active).
    new_id = ring.add() if ring.path is not None else ring.active
    done = Rotation(new_id)
    keys = list(
        session.scalars(select(DatasetVersion.storage_key).order_by(DatasetVersion.storage_key))
    )
    digest = hashlib.sha256()
    for number, key in enumerate(keys, 1):
        if storage.exists(key):
            pointer = read_pointer(storage, key)
            if pointer is None:
                done.plain += 1
            else:
                done.previous.add(pointer.key_id)
                dek = unwrap_dek(
                    ring,
                    pointer.key_id,
                    pointer.wrapped_dek,
                    _dek_aad(pointer.key_id, key, pointer),
                )
                if reencrypt:
                    fresh = _reseal(storage, key, ring, dek, pointer)
                    storage.put(key, fresh.to_bytes())  # the switch: one atomic replace
                    done.removed.append(pointer.object)
                    done.reencrypted += 1
                    pointer = fresh
                else:
                    pointer.key_id = new_id
                    pointer.wrapped_dek = wrap_dek(
                        ring, new_id, dek, _dek_aad(new_id, key, pointer)
                    )
                    storage.put(key, pointer.to_bytes())
                    done.rewrapped += 1
                drop(key, storage)  # this process decrypts afresh under the new pointer
                digest.update(f"{key}|{pointer.key_id}|{pointer.sha256}\n".encode())
        if progress is not None:
            progress(number, len(keys))
    done.payload = {
        "key_id": new_id,
        "previous_key_ids": sorted(done.previous),
        "reencrypted": done.reencrypted,
        "rewrapped": done.rewrapped,
        "versions_sha256": digest.hexdigest(),
    }
    ledger.record(
        session,
        kind=EntryKind.KEYS_ROTATED,
        actor=actor,
        subject=f"vault:{new_id}",
        payload=done.payload,
    )
    session.flush()
    return done


class _Plaintext:
    """A file-like view of decrypted chunks, for resealing without a plaintext file."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks, self.buffer = chunks, b""

    def read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.buffer += chunk
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out


def _reseal(storage: Storage, key: str, ring: Keyring, dek: bytes, pointer: Pointer) -> Pointer:
    with storage.open(pointer.object) as handle:
        plain = _Plaintext(_open_chunks(handle, dek, pointer.object))
        fresh = _write_sealed(storage, plain, ring, key)
    if fresh.sha256 != pointer.sha256:  # pragma: no cover - the chunks are authenticated
        raise VaultError(f"re-encrypting {key!r} changed its content")
    return fresh


def remove_objects(storage: Storage, keys: list[str]) -> None:
    """Delete superseded sealed objects (after the rotation committed)."""
    for key in keys:
        storage.delete(key)


def retire(session: Session, key_id: str, storage: Storage | None = None) -> None:
    """Remove a master key version from the keyring once no version depends on it."""
    ring = load_keyring()
    if key_id == ring.active:
        raise Conflict("the active master key cannot be retired; rotate first")
    ring.key(key_id)
    users = usage(session, storage).get(key_id, 0)
    if users:
        raise Conflict(f"{users} dataset versions still use master key {key_id!r}; rotate first")
    del ring.keys[key_id]
    ring.retired.append(key_id)
    ring.save()
