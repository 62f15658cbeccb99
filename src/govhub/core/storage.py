"""File storage: a local directory by default, any fsspec URL (s3://, gcs://, memory://) otherwise.

Writes are atomic on the local backend (write to a temporary name, then rename), so a crash
never leaves a half-written object under its final key.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

import fsspec

from govhub.core.errors import InvalidInput, NotFound
from govhub.core.settings import get_settings


def _clean_key(key: str) -> str:
    path = PurePosixPath(key)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise InvalidInput(f"invalid storage key: {key!r}", field="key")
    return str(path)


class Storage(Protocol):
    """What every storage backend offers."""

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, replacing any previous object."""

    def open(self, key: str) -> BinaryIO:
        """Open the object at `key` for reading."""

    def exists(self, key: str) -> bool:
        """Tell whether an object exists at `key`."""

    def delete(self, key: str) -> None:
        """Remove the object at `key` if present."""

    def list(self, prefix: str = "") -> Iterator[str]:
        """Yield the keys under `prefix`, sorted."""


class LocalStorage:
    """Objects as files under a root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / _clean_key(key)

    def local_path(self, key: str) -> Path:
        """Return the file that holds the object at `key` (for engines that read files)."""
        return self._path(key)

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` atomically."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        """Open the object at `key` for reading."""
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"no stored object {key!r}")
        return path.open("rb")

    def exists(self, key: str) -> bool:
        """Tell whether an object exists at `key`."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the object at `key` if present."""
        self._path(key).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> Iterator[str]:
        """Yield the keys under `prefix`, sorted."""
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key


class FsspecStorage:
    """Objects in any fsspec filesystem, addressed by a base URL."""

    def __init__(self, url: str) -> None:
        self.fs, self.base = fsspec.core.url_to_fs(url)

    def _path(self, key: str) -> str:
        return f"{self.base.rstrip('/')}/{_clean_key(key)}"

    def url(self, key: str) -> str:
        """Return the full URL of the object at `key`, protocol included."""
        return str(self.fs.unstrip_protocol(self._path(key)))

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`."""
        self.fs.pipe_file(self._path(key), data)

    def open(self, key: str) -> BinaryIO:
        """Open the object at `key` for reading."""
        if not self.exists(key):
            raise NotFound(f"no stored object {key!r}")
        handle: BinaryIO = self.fs.open(self._path(key), "rb")
        return handle

    def exists(self, key: str) -> bool:
        """Tell whether an object exists at `key`."""
        return bool(self.fs.exists(self._path(key)))

    def delete(self, key: str) -> None:
        """Remove the object at `key` if present."""
        if self.exists(key):
            self.fs.rm_file(self._path(key))

    def list(self, prefix: str = "") -> Iterator[str]:
        """Yield the keys under `prefix`, sorted."""
        base = self.base.rstrip("/")
        if not self.fs.exists(base):
            return
        for path in sorted(self.fs.find(base)):
            key = str(path)[len(base) :].lstrip("/")
            if key.startswith(prefix):
                yield key


def open_storage(url: str) -> Storage:
    """Return the backend for `url`: a plain path is local, anything with a scheme is fsspec."""
    if "://" in url and not url.startswith("file://"):
        return FsspecStorage(url)
    return LocalStorage(Path(url.removeprefix("file://")))


def put_file(storage: Storage, key: str, path: Path) -> None:
    """Store a local file under `key` without reading it into memory where the backend allows."""
    if isinstance(storage, LocalStorage):
        target = storage.local_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        os.close(fd)
        try:
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    elif isinstance(storage, FsspecStorage):
        storage.fs.put_file(str(path), storage._path(key))
    else:  # pragma: no cover - two backends exist
        storage.put(key, path.read_bytes())


_opened: list[tuple[tuple[object, ...], Storage]] = []  # the last backend and what chose it


def get_storage() -> Storage:
    """Return the configured storage backend (opened again only when the settings change)."""
    settings = get_settings()
    # Resolving the directory costs system calls: hot paths ask for the backend on every call.
    chosen = (id(settings), settings.storage_url, settings.var_dir)
    if _opened and _opened[0][0] == chosen:
        return _opened[0][1]
    storage = open_storage(settings.resolved_storage_url)
    _opened[:] = [(chosen, storage)]
    return storage
