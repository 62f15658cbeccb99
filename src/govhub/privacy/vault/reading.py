"""What DuckDB reads: versions in clear, or decrypted once into anonymous memory.

A sealed version is decrypted once per process into a memfd (an anonymous memory file: it has
no name on any disk and vanishes with the process), sealed against any change, and read by
DuckDB's own file reader: no Python call per read. DuckDB reaches it through a link named
with a random token in a private directory (in `/dev/shm` where it exists) pointing at
`/proc/self/fd/N`: fd numbers are reused after a close, tokens never are, so anything that
keys on paths (DuckDB, the open data column cache) never meets another version's bytes.

The cache is bounded by `GOVHUB_VAULT_CACHE_BYTES` (least recently used out first; a version
larger than the whole budget is decrypted for its caller only). A rotation in this process
drops the versions it rotates; otherwise a use at least `GOVHUB_VAULT_CACHE_CHECK_SECONDS`
after the last look compares the version's pointer with the one the bytes were decrypted
under, so another process's re-wrap, re-encryption or replacement drops the entry too. An
entry leaves memory (link removed, fd closed) once neither the cache nor a `Source` a reader
still holds refers to it: keep the `Source` while DuckDB reads its path.

Where the system has no memfd (macOS, a developer's laptop), the decrypted bytes are kept in
a process-private in-memory filesystem that DuckDB reads through Python instead: slower per
read, with the same bounds and the same guarantee that nothing decrypted reaches a disk.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import os
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from fsspec.implementations.memory import MemoryFileSystem

from govhub.core.storage import FsspecStorage, LocalStorage, Storage, get_storage
from govhub.privacy.vault.keys import get_vault_settings
from govhub.privacy.vault.objects import Pointer, _plaintext, read_pointer

_SEALS = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE


@dataclass(frozen=True, slots=True)
class Source:
    """What DuckDB reads for one version: a path and the filesystem to register, if any.

    `pin` keeps a decrypted version's memory (and so `path`) alive while the source is held.
    """

    path: str
    filesystem: object | None = None
    pin: object | None = field(default=None, compare=False, repr=False)


class _Links:
    """This process's private directory of links to its memory files (made on first use)."""

    def __init__(self) -> None:
        self.pid = -1
        self.path = Path()

    def directory(self) -> Path:
        if self.pid != os.getpid():  # a forked child makes its own
            shm = Path("/dev/shm")  # noqa: S108 - memory-backed; only links go there
            parent = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
            self.path = Path(tempfile.mkdtemp(prefix="govhub-plain-", dir=parent))
            self.pid = os.getpid()
            atexit.register(_remove_links, self.path, self.pid)
        return self.path

    def remove(self) -> None:
        """Remove this process's directory (a later use makes a new one)."""
        if self.pid == os.getpid():
            shutil.rmtree(self.path, ignore_errors=True)
            self.pid = -1


def _remove_links(path: Path, pid: int) -> None:
    if os.getpid() == pid:
        shutil.rmtree(path, ignore_errors=True)


def _release(fd: int, link: Path) -> None:
    link.unlink(missing_ok=True)
    os.close(fd)


class MemoryFile:
    """One decrypted version in a sealed memory file, readable at a unique path."""

    __slots__ = ("__weakref__", "checked_at", "path", "pointer", "size")
    filesystem: object | None = None  # DuckDB reads the path with its own file reader

    def __init__(self, chunks: Iterable[bytes], pointer: Pointer, links: Path) -> None:
        fd = os.memfd_create("govhub-plain", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            size = 0
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    written = os.write(fd, view)
                    view, size = view[written:], size + written
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, _SEALS)
            link = links / f"{secrets.token_hex(16)}.parquet"
            os.symlink(f"/proc/self/fd/{fd}", link)
        except BaseException:
            os.close(fd)
            raise
        self.path, self.pointer, self.size = str(link), pointer, size
        self.checked_at = time.monotonic()  # when `pointer` was last seen in storage
        weakref.finalize(self, _release, fd, link)


PLAIN_PREFIX = "govhubplain://"


class _PlainFS(MemoryFileSystem):  # type: ignore[misc]  # fsspec is untyped
    """Decrypted versions, in this process's memory only, where there is no memfd."""

    protocol = ("govhubplain",)
    root_marker = "/"
    store: dict[str, object] = {}  # noqa: RUF012 - fsspec's class-level store, our own
    pseudo_dirs = [""]  # noqa: RUF012

    @classmethod
    def _strip_protocol(cls, path: str) -> str:
        return str(super()._strip_protocol(path.removeprefix(PLAIN_PREFIX)))


_plain_fs = _PlainFS()


class PythonMemoryFile:
    """One decrypted version in the in-memory filesystem, read by DuckDB through Python."""

    __slots__ = ("__weakref__", "checked_at", "path", "pointer", "size")
    filesystem: object | None = _plain_fs

    def __init__(self, chunks: Iterable[bytes], pointer: Pointer, _links: Path) -> None:
        name = f"/{secrets.token_hex(16)}.parquet"
        data = b"".join(chunks)
        _plain_fs.pipe_file(name, data)
        self.path, self.pointer, self.size = f"{PLAIN_PREFIX}{name}", pointer, len(data)
        self.checked_at = time.monotonic()
        weakref.finalize(self, _plain_fs.rm_file, name)


HAS_MEMFD = hasattr(os, "memfd_create") and Path("/proc/self/fd").is_dir()
_memory_file: type[MemoryFile] | type[PythonMemoryFile] = (
    MemoryFile if HAS_MEMFD else PythonMemoryFile
)
_links = _Links()
_cache_lock = threading.Lock()
# least recently used first
_cached: OrderedDict[str, MemoryFile | PythonMemoryFile] = OrderedDict()
_plain_sources: dict[str, Source] = {}  # versions stored in clear: where they are


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
    the version decrypted into memory (hold the returned `Source` while reading it)."""
    storage = storage or get_storage()
    path = _cache_path(storage, key)
    settings = get_vault_settings()
    with _cache_lock:
        if path in _plain_sources:  # plain objects never change: the answer holds
            return _plain_sources[path]
        entry = _cached.get(path)
        if entry is not None and time.monotonic() - entry.checked_at < settings.cache_check_seconds:
            _cached.move_to_end(path)
            return Source(entry.path, entry.filesystem, pin=entry)
    pointer = read_pointer(storage, key)
    if pointer is None:
        return _remember_plain(storage, key, path)
    with _cache_lock:
        entry = _cached.get(path)
        if entry is not None and entry.pointer == pointer:
            entry.checked_at = time.monotonic()
            _cached.move_to_end(path)
            return Source(entry.path, entry.filesystem, pin=entry)
        _cached.pop(path, None)  # re-wrapped, re-encrypted or replaced: decrypt afresh
    links = _links.directory() if HAS_MEMFD else Path()
    entry = _memory_file(_plaintext(storage, key), pointer, links)
    with _cache_lock:
        limit = settings.cache_bytes
        if entry.size <= limit:
            _cached[path] = entry
            _cached.move_to_end(path)
            while sum(e.size for e in _cached.values()) > limit:
                _cached.popitem(last=False)
    return Source(entry.path, entry.filesystem, pin=entry)


def _remember_plain(storage: Storage, key: str, path: str) -> Source:
    if isinstance(storage, LocalStorage):
        source = Source(str(storage.local_path(key)))
    elif isinstance(storage, FsspecStorage):
        source = Source(storage.url(key), storage.fs)
    else:  # pragma: no cover - two backends exist
        raise TypeError("unknown storage backend")
    with _cache_lock:
        _plain_sources[path] = source
    return source


def cached_bytes() -> int:
    """Return how many decrypted bytes the cache holds."""
    with _cache_lock:
        return sum(e.size for e in _cached.values())


def drop(key: str, storage: Storage | None = None) -> None:
    """Drop what this process keeps of one version (after it was rotated or removed)."""
    path = _cache_path(storage or get_storage(), key)
    with _cache_lock:
        _cached.pop(path, None)
        _plain_sources.pop(path, None)


def forget() -> None:
    """Drop every decrypted version held in memory."""
    with _cache_lock:
        _cached.clear()
        _plain_sources.clear()


def close() -> None:
    """Drop every decrypted version and remove this process's links (at server shutdown: a
    server stopped by a signal may end without running exit handlers)."""
    forget()
    _links.remove()


def attach(con: duckdb.DuckDBPyConnection, source: Source) -> str:
    """Make `source` readable on a fresh DuckDB connection and return the path to read."""
    if source.filesystem is not None and not con.filesystem_is_registered(
        str(getattr(source.filesystem, "protocol", ("",))[0])
    ):
        con.register_filesystem(source.filesystem)
    return source.path
