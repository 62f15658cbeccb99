"""Decrypted versions kept in memory: never on disk, bounded in bytes, dropped when they change."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.api import create_app
from govhub.core.storage import get_storage
from govhub.privacy import vault
from govhub.privacy.vault import reading
from tests.factories import World
from tests.privacy.test_vault import answer, publish

pytestmark = pytest.mark.usefixtures("own_keyring")


def versions(session: Session, world: World, tmp_path: Path, n: int) -> list[str]:
    """Publish `n` sealed versions; return their storage keys."""
    return [publish(session, world, tmp_path).storage_key for _ in range(n)]


def memory_file(path: str) -> str:
    """Return what the link at `path` leads to: the kernel's name of the open file."""
    target = os.readlink(path)
    assert target.startswith("/proc/self/fd/")
    return os.readlink(target)


def size_of(key: str) -> int:
    """Return the plaintext size of a sealed version."""
    pointer = vault.read_pointer(get_storage(), key)
    assert pointer is not None
    return pointer.size


class TestInMemory:
    def test_a_version_is_decrypted_once_into_an_anonymous_memory_file(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        [key] = versions(session, world, tmp_path, 1)
        first = vault.open_dataset(key)
        assert first.filesystem is None  # read by DuckDB's own file reader
        assert memory_file(first.path).startswith("/memfd:govhub-plain")  # no file on a disk
        assert Path(first.path).is_symlink()  # only a link has a name
        assert vault.open_dataset(key).path == first.path
        assert vault.cached_bytes() == size_of(key)
        plain = vault.local_copy(key, tmp_path)
        assert Path(first.path).read_bytes() == plain.read_bytes()

    def test_the_memory_file_cannot_be_changed(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        [key] = versions(session, world, tmp_path, 1)
        source = vault.open_dataset(key)
        with pytest.raises(PermissionError), open(source.path, "r+b") as handle:
            handle.write(b"XXXX")
        assert answer(key)[0] == 5

    def test_paths_are_never_reused(self, session: Session, world: World, tmp_path: Path) -> None:
        [key] = versions(session, world, tmp_path, 1)
        seen = set()
        for _ in range(3):
            seen.add(vault.open_dataset(key).path)
            vault.forget()
            gc.collect()
        assert len(seen) == 3
        assert not any(Path(p).exists() for p in seen)  # links go with their memory


class TestBounded:
    def test_least_recently_used_versions_leave_beyond_the_budget(
        self, session: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        keys = versions(session, world, tmp_path, 3)
        size = size_of(keys[0])
        monkeypatch.setenv("GOVHUB_VAULT_CACHE_BYTES", str(2 * size + size // 2))
        paths = [vault.open_dataset(k).path for k in keys]
        assert vault.cached_bytes() == 2 * size
        assert not Path(paths[0]).exists()  # the oldest left memory with its link
        assert all(Path(p).exists() for p in paths[1:])
        before = answer(keys[0])  # read again: decrypted afresh, the next oldest leaves
        assert before[0] == 5
        assert vault.cached_bytes() == 2 * size
        assert not Path(paths[1]).exists()

    def test_a_version_larger_than_the_budget_is_read_but_not_kept(
        self, session: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        [key] = versions(session, world, tmp_path, 1)
        monkeypatch.setenv("GOVHUB_VAULT_CACHE_BYTES", str(size_of(key) - 1))
        source = vault.open_dataset(key)
        assert vault.cached_bytes() == 0
        assert Path(source.path).exists()  # alive while its reader holds it
        assert answer(key)[0] == 5
        path = source.path
        del source
        gc.collect()
        assert not Path(path).exists()

    def test_a_held_source_outlives_its_eviction(
        self, session: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        [key] = versions(session, world, tmp_path, 1)
        held = vault.open_dataset(key)
        vault.forget()
        assert vault.cached_bytes() == 0
        assert Path(held.path).read_bytes()[:4] == b"PAR1"


class TestDropped:
    def test_a_rotation_drops_the_decrypted_copy(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        keys = versions(session, world, tmp_path, 2)
        before = [answer(k) for k in keys]
        old = [vault.open_dataset(k).path for k in keys]
        vault.rotate(session, actor="service:test")
        gc.collect()
        assert vault.cached_bytes() == 0
        assert not any(Path(p).exists() for p in old)
        assert [answer(k) for k in keys] == before
        assert {vault.open_dataset(k).path for k in keys}.isdisjoint(old)

    def test_a_pointer_changed_by_another_process_is_noticed_after_the_check_time(
        self, session: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        [key] = versions(session, world, tmp_path, 1)
        storage = get_storage()
        with storage.open(key) as handle:
            first_pointer = handle.read()
        vault.rotate(session, actor="service:test", reencrypt=True)
        current = vault.open_dataset(key).path
        storage.put(key, first_pointer)  # another process switched the version's pointer
        assert vault.open_dataset(key).path == current  # within the check time: not looked at
        monkeypatch.setenv("GOVHUB_VAULT_CACHE_CHECK_SECONDS", "0")
        again = vault.open_dataset(key)
        assert again.path != current
        assert not Path(current).exists()
        assert vault.cached_bytes() == size_of(key)
        assert answer(key)[0] == 5


class TestShutdown:
    def test_closing_removes_the_links_and_reading_goes_on_after(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        [key] = versions(session, world, tmp_path, 1)
        links = Path(vault.open_dataset(key).path).parent
        vault.close()
        assert not links.exists()
        assert vault.cached_bytes() == 0
        assert answer(key)[0] == 5  # a new directory for the next reader

    def test_the_app_closes_the_vault_when_it_stops(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        [key] = versions(session, world, tmp_path, 1)
        with TestClient(create_app()):
            links = Path(vault.open_dataset(key).path).parent
            assert links.exists()
        assert not links.exists()


class TestWithoutMemfd:
    """Where the system has no memfd, decrypted versions live in a Python in-memory filesystem."""

    def test_pages_are_the_same_bounded_and_dropped(
        self, session: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        keys = versions(session, world, tmp_path, 2)
        expected = [answer(key) for key in keys]
        vault.forget()
        monkeypatch.setattr(reading, "HAS_MEMFD", False)
        monkeypatch.setattr(reading, "_memory_file", reading.PythonMemoryFile)
        monkeypatch.setenv("GOVHUB_VAULT_CACHE_BYTES", str(size_of(keys[0]) + 1))
        source = vault.open_dataset(keys[0])
        assert source.path.startswith(reading.PLAIN_PREFIX)
        assert source.filesystem is not None
        assert [answer(key) for key in keys] == expected
        assert vault.cached_bytes() == size_of(keys[1])  # the first left, over the budget
        stored = reading._plain_fs.store
        assert any(name.endswith(".parquet") for name in stored)
        del source
        vault.forget()
        gc.collect()
        assert not any(name.endswith(".parquet") for name in stored)
