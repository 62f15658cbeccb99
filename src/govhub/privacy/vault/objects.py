"""Sealed objects: the pointer, AES-GCM chunks, storing and reading versions."""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import pyarrow.parquet as pq
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from govhub.core.errors import NotFound
from govhub.core.storage import LocalStorage, Storage, get_storage, put_file
from govhub.data.catalog.models import Resource
from govhub.privacy.detect import ELEMENT_CATEGORY, SAMPLE_ROWS, detect
from govhub.privacy.vault.keys import (
    Keyring,
    VaultError,
    get_vault_settings,
    load_keyring,
    unwrap_dek,
    wrap_dek,
)

CHUNK = 1 << 20
TAG = 16
POINTER_FORMAT = "govhub-vault/1"
_PARQUET_MAGIC = b"PAR1"


class Readable(Protocol):
    """Anything with a binary `read(size)`."""

    def read(self, size: int, /) -> bytes:
        """Return up to `size` bytes."""
        ...


def _dek_aad(key_id: str, storage_key: str, pointer: Pointer) -> bytes:
    return f"govhub-dek|{key_id}|{storage_key}|{pointer.object}|{pointer.sha256}".encode()


# --- objects ---------------------------------------------------------------------------------


@dataclass
class Pointer:
    """What a version's storage key holds when it is encrypted."""

    object: str
    key_id: str
    wrapped_dek: str
    sha256: str  # of the plaintext Parquet file
    size: int

    def to_bytes(self) -> bytes:
        """Serialize the pointer."""
        body = {"format": POINTER_FORMAT, **self.__dict__}
        return json.dumps(body, sort_keys=True).encode()

    @classmethod
    def parse(cls, data: bytes) -> Pointer:
        """Parse a pointer, or fail clearly."""
        try:
            body = json.loads(data)
            if body.pop("format") != POINTER_FORMAT:
                raise ValueError
            return cls(**body)
        except (ValueError, TypeError, KeyError):
            raise VaultError("the stored object is neither Parquet nor a vault pointer") from None


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _chunk_aad(object_key: str, index: int, final: bool) -> bytes:
    return f"govhub-chunk|{object_key}|{index}|{int(final)}".encode()


def _seal(source: Readable, sink: BinaryIO, dek: bytes, object_key: str) -> tuple[str, int]:
    """Encrypt `source` into `sink` chunk by chunk; return the plaintext digest and size."""
    aead, digest, size, index = AESGCM(dek), hashlib.sha256(), 0, 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        final = not following
        digest.update(chunk)
        size += len(chunk)
        sink.write(aead.encrypt(_nonce(index), chunk, _chunk_aad(object_key, index, final)))
        if final:
            return digest.hexdigest(), size
        chunk, index = following, index + 1


def _open_chunks(source: BinaryIO, dek: bytes, object_key: str) -> Iterator[bytes]:
    """Yield the decrypted chunks of an object; any alteration fails clearly."""
    aead, index = AESGCM(dek), 0
    sealed = source.read(CHUNK + TAG)
    while sealed:
        following = source.read(CHUNK + TAG)
        try:
            yield aead.decrypt(_nonce(index), sealed, _chunk_aad(object_key, index, not following))
        except InvalidTag:
            raise VaultError(f"encrypted object {object_key!r} was altered or truncated") from None
        sealed, index = following, index + 1


def _write_sealed(
    storage: Storage,
    plain: Readable,
    ring: Keyring,
    storage_key: str,
    put: Callable[[Storage, str, Path], None] | None = None,
) -> Pointer:
    """Seal a plaintext stream under a fresh data key as a new object; return its pointer."""
    object_key = f"vault/{storage_key.removeprefix('datasets/')}.{uuid.uuid4().hex}.sealed"
    dek = secrets.token_bytes(32)
    with tempfile.TemporaryDirectory(prefix="govhub-vault-") as tmp:
        sealed = Path(tmp) / "object"
        with sealed.open("wb") as sink:
            digest, size = _seal(plain, sink, dek, object_key)
        (put or put_file)(storage, object_key, sealed)
    pointer = Pointer(object_key, ring.active, "", digest, size)
    pointer.wrapped_dek = wrap_dek(
        ring, ring.active, dek, _dek_aad(ring.active, storage_key, pointer)
    )
    return pointer


def read_pointer(storage: Storage, key: str) -> Pointer | None:
    """Return the pointer stored under `key`, or None when it holds plain Parquet."""
    with storage.open(key) as handle:
        head = handle.read(len(_PARQUET_MAGIC))
        if head == _PARQUET_MAGIC:
            return None
        return Pointer.parse(head + handle.read(64 * 1024))


def _plaintext(storage: Storage, key: str, ring: Keyring | None = None) -> Iterator[bytes]:
    """Yield the plaintext of the encrypted version at `key` (re-reading the pointer once if a
    rotation removed the object in between)."""
    for attempt in range(2):
        pointer = read_pointer(storage, key)
        if pointer is None:
            raise VaultError(f"{key!r} is not encrypted")
        ring = ring or load_keyring()
        dek = unwrap_dek(
            ring, pointer.key_id, pointer.wrapped_dek, _dek_aad(pointer.key_id, key, pointer)
        )
        try:
            handle = storage.open(pointer.object)
        except NotFound:
            if attempt:
                raise
            continue
        with handle:
            yield from _open_chunks(handle, dek, pointer.object)
        return


def should_encrypt(resource: Resource, parquet: Path) -> bool:
    """Tell whether a new version of `resource` must be encrypted at rest."""
    mode = get_vault_settings().mode
    if mode != "personal":
        return mode == "all"
    if resource.sensitivity.value in ("sensitive", "highly_sensitive"):
        return True
    if any(
        f.get("is_personal") or f.get("element_code") in ELEMENT_CATEGORY for f in resource.fields
    ):
        return True
    source = pq.ParquetFile(parquet)
    if source.metadata.num_row_groups == 0:
        return False
    return bool(detect(source.read_row_group(0).slice(0, SAMPLE_ROWS)))


def store_dataset(
    storage: Storage,
    key: str,
    parquet: Path,
    *,
    encrypt: bool,
    put: Callable[[Storage, str, Path], None] | None = None,
) -> Pointer | None:
    """Store a version's Parquet file under `key`, sealed when `encrypt` (`put` copies a local
    file into storage); return the pointer."""
    put = put or put_file
    if not encrypt:
        put(storage, key, parquet)
        return None
    ring = load_keyring()
    with parquet.open("rb") as plain:
        pointer = _write_sealed(storage, plain, ring, key, put)
    storage.put(key, pointer.to_bytes())
    return pointer


def discard_dataset(storage: Storage, key: str) -> None:
    """Remove a version's stored objects (the pointer and what it points to)."""
    if storage.exists(key):
        try:
            pointer = read_pointer(storage, key)
        except VaultError:
            pointer = None
        if pointer is not None:
            storage.delete(pointer.object)
    storage.delete(key)


def local_copy(
    key: str, workdir: Path, storage: Storage | None = None, name: str = "dataset"
) -> Path:
    """Return a local plain Parquet file of a version: the stored file itself when it is local and
    plain, else a copy (decrypted if sealed) in `workdir`, which the caller removes."""
    storage = storage or get_storage()
    pointer = read_pointer(storage, key)
    if pointer is None and isinstance(storage, LocalStorage):
        return storage.local_path(key)
    target = workdir / f"{name}.parquet"
    with target.open("wb") as sink:
        if pointer is None:
            with storage.open(key) as source:
                shutil.copyfileobj(source, sink, CHUNK)
        else:
            for chunk in _plaintext(storage, key):
                sink.write(chunk)
    return target


def read_bytes(key: str, storage: Storage | None = None) -> bytes:
    """Return the plain Parquet bytes of a version (decrypted if sealed)."""
    storage = storage or get_storage()
    if read_pointer(storage, key) is None:
        with storage.open(key) as handle:
            return handle.read()
    return b"".join(_plaintext(storage, key))
