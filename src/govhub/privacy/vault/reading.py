"""What DuckDB reads: versions in clear, or decrypted once into memory."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import duckdb
from fsspec.implementations.memory import MemoryFileSystem

from govhub.core.storage import FsspecStorage, LocalStorage, Storage, get_storage
from govhub.privacy.vault.keys import get_vault_settings
from govhub.privacy.vault.objects import _plaintext, read_pointer

PLAIN_PREFIX = "govhubplain://"


class _PlainFS(MemoryFileSystem):  # type: ignore[misc]  # fsspec is untyped
    """Decrypted versions, in memory only, for DuckDB to read by path."""

    protocol = ("govhubplain",)
    root_marker = "/"
    store: dict[str, object] = {}  # noqa: RUF012 - fsspec's class-level store, our own
    pseudo_dirs = [""]  # noqa: RUF012

    @classmethod
    def _strip_protocol(cls, path: str) -> str:
        return str(super()._strip_protocol(path.removeprefix(PLAIN_PREFIX)))


_plain_fs = _PlainFS()
_cache_lock = threading.Lock()
_cached: OrderedDict[str, int] = OrderedDict()  # plain path -> bytes, least recently used first
_plain_sources: dict[str, Source] = {}  # versions stored in clear: where they are


@dataclass(frozen=True, slots=True)
class Source:
    """What DuckDB reads for one version: a path and the filesystem to register, if any."""

    path: str
    filesystem: object | None = None


def _cache_path(storage: Storage, key: str) -> str:
    scope = hashlib.sha256(repr(storage_id(storage)).encode()).hexdigest()[:16]
    return f"/{scope}/{key}"


def storage_id(storage: Storage) -> str:
    """Return a stable identity of a storage backend (its root)."""
    if isinstance(storage, LocalStorage):
        return str(storage.root)
    if isinstance(storage, FsspecStorage):
        return storage.url("")
    return repr(storage)  # pragma: no cover


def open_dataset(key: str, storage: Storage | None = None) -> Source:
    """Resolve a dataset version's storage key to what DuckDB reads: the plain Parquet file, or
    the version decrypted into memory."""
    storage = storage or get_storage()
    path = _cache_path(storage, key)
    with _cache_lock:
        if path in _cached:
            _cached.move_to_end(path)
            return Source(f"{PLAIN_PREFIX}{path}", _plain_fs)
        if path in _plain_sources:
            return _plain_sources[path]
    if read_pointer(storage, key) is None:  # plain objects never change: remember the answer
        if isinstance(storage, LocalStorage):
            source = Source(str(storage.local_path(key)))
        elif isinstance(storage, FsspecStorage):
            source = Source(storage.url(key), storage.fs)
        else:  # pragma: no cover - two backends exist
            raise TypeError("unknown storage backend")
        with _cache_lock:
            _plain_sources[path] = source
        return source
    data = b"".join(_plaintext(storage, key))
    with _cache_lock:
        _plain_fs.pipe_file(path, data)
        _cached[path] = len(data)
        _cached.move_to_end(path)
        limit = get_vault_settings().cache_bytes
        while len(_cached) > 1 and sum(_cached.values()) > limit:
            old, _ = _cached.popitem(last=False)
            _plain_fs.rm_file(old)
    return Source(f"{PLAIN_PREFIX}{path}", _plain_fs)


def forget() -> None:
    """Drop every decrypted version held in memory."""
    with _cache_lock:
        for path in list(_cached):
            _plain_fs.rm_file(path)
        _cached.clear()
        _plain_sources.clear()


def attach(con: duckdb.DuckDBPyConnection, source: Source) -> str:
    """Make `source` readable on a fresh DuckDB connection and return the path to read."""
    if source.filesystem is not None and not con.filesystem_is_registered(
        str(getattr(source.filesystem, "protocol", ("",))[0])
    ):
        con.register_filesystem(source.filesystem)
    return source.path
