"""Storage backends: the local directory and an fsspec filesystem behave alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from govhub.core.errors import InvalidInput, NotFound
from govhub.core.storage import FsspecStorage, LocalStorage, Storage, open_storage


@pytest.fixture(params=["local", "memory"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return open_storage(str(tmp_path / "files"))
    return open_storage(f"memory://govhub-test-{tmp_path.name}")


class TestStorage:
    def test_round_trip_and_listing(self, storage: Storage) -> None:
        storage.put("datasets/a/v1.parquet", b"one")
        storage.put("datasets/a/v2.parquet", b"two")
        storage.put("other/x.bin", b"x")
        with storage.open("datasets/a/v2.parquet") as handle:
            assert handle.read() == b"two"
        assert list(storage.list("datasets/")) == ["datasets/a/v1.parquet", "datasets/a/v2.parquet"]
        assert storage.exists("other/x.bin")

    def test_put_replaces(self, storage: Storage) -> None:
        storage.put("k", b"old")
        storage.put("k", b"new")
        with storage.open("k") as handle:
            assert handle.read() == b"new"

    def test_delete_and_missing(self, storage: Storage) -> None:
        storage.put("gone", b"1")
        storage.delete("gone")
        storage.delete("gone")  # deleting twice is harmless
        assert not storage.exists("gone")
        with pytest.raises(NotFound):
            storage.open("gone")

    @pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a/../../b", ""])
    def test_keys_cannot_escape_the_root(self, storage: Storage, key: str) -> None:
        with pytest.raises(InvalidInput):
            storage.put(key, b"x")


def test_backend_is_chosen_by_url(tmp_path: Path) -> None:
    assert isinstance(open_storage(str(tmp_path)), LocalStorage)
    assert isinstance(open_storage(f"file://{tmp_path}"), LocalStorage)
    assert isinstance(open_storage("memory://bucket"), FsspecStorage)


def test_local_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.put("a/b", b"data")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b"]
