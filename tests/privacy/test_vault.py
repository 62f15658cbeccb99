"""Encryption at rest of dataset versions: sealed bytes, clear failures, rotation, retirement."""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from govhub import cli
from govhub.core.errors import Conflict
from govhub.core.settings import get_settings
from govhub.core.storage import LocalStorage, get_storage
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.ingest import service as ingest_service
from govhub.data.quality import service as quality_service
from govhub.ledger import service as ledger
from govhub.ledger.models import LedgerPending
from govhub.ledger.schemas import EntryKind
from govhub.privacy import vault
from tests.data.helpers import make_resource
from tests.data.sharing.helpers import PERSON_FIELDS
from tests.factories import World, make_id_number

DIVISIONS = ["330203", "330204", "330205", "330106", "330206"]
ID_NUMBERS = [make_id_number(d, seq=f"{i:03d}") for i, d in enumerate(DIVISIONS)]
NAMES = ["张三", "李四", "王五", "赵六", "孙七"]
QUERY = "SELECT count(*), string_agg(fddbr_sfzh::VARCHAR, ',' ORDER BY fddbr_sfzh), sum(zczb) FROM "


pytestmark = pytest.mark.usefixtures("own_keyring")


def publish(session: Session, world: World, tmp_path: Path, **overrides: Any) -> DatasetVersion:
    """Publish five enterprises with their representatives' names and ID numbers."""
    resource = make_resource(
        session,
        world,
        fields=[*PERSON_FIELDS, {"name": "zczb", "type": "decimal"}],
        **overrides,
    )
    lines = ["tyshxydm,qymc,fddbr,fddbr_sfzh,szqh,zczb"]
    for i, (division, name, number) in enumerate(zip(DIVISIONS, NAMES, ID_NUMBERS, strict=True)):
        lines.append(f"91330200MA000000{i}A,公司{i},{name},{number},{division},{100 + i}")
    source = tmp_path / f"{resource.identifier}.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dataset, _ = ingest_service.ingest(
        session,
        principal=world.principal(world.city_a_admin),
        resource_id=resource.id,
        source=source,
        filename=source.name,
    )
    return dataset


def answer(key: str) -> tuple[Any, ...]:
    """Run one query over a version through the vault, on a fresh DuckDB connection."""
    con = duckdb.connect()
    try:
        source = vault.open_dataset(key)  # held while DuckDB reads its path
        path = vault.attach(con, source)
        row = con.execute(QUERY + "read_parquet($path)", {"path": path}).fetchone()
        assert row is not None
        return tuple(row)
    finally:
        con.close()


def stored_bytes(key: str) -> bytes:
    """Return every byte stored for a version: the object at its key and what that points to."""
    storage = get_storage()
    with storage.open(key) as handle:
        data = handle.read()
    pointer = vault.read_pointer(storage, key)
    if pointer is not None:
        with storage.open(pointer.object) as handle:
            data += handle.read()
    return data


def sealed_path(key: str) -> Path:
    """Return the local file of a version's sealed object."""
    storage = get_storage()
    assert isinstance(storage, LocalStorage)
    pointer = vault.read_pointer(storage, key)
    assert pointer is not None
    return storage.local_path(pointer.object)


def shared_windows(plain: bytes, stored: bytes, width: int = 16) -> int:
    """Count the `width`-byte windows of the plain Parquet file found in the stored bytes."""
    windows = (plain[i : i + width] for i in range(0, len(plain) - width, width))
    return sum(1 for w in windows if w in stored)


class TestAtRest:
    def test_personal_data_is_ciphertext_on_disk(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        dataset = publish(session, world, tmp_path)
        stored = stored_bytes(dataset.storage_key)
        assert vault.read_pointer(get_storage(), dataset.storage_key) is not None
        plain_file = vault.local_copy(dataset.storage_key, tmp_path)
        plain = plain_file.read_bytes()
        numbers = [str(n) for n in pq.read_table(plain_file).column("fddbr_sfzh").to_pylist()]
        assert numbers == ID_NUMBERS
        needles = [s.encode() for s in [*ID_NUMBERS, *NAMES]]
        needles += [int(n).to_bytes(8, "little") for n in ID_NUMBERS]  # stored as int64
        assert all(needle in plain for needle in needles[-5:])
        for needle in needles:
            assert needle not in stored
        assert b"PAR1" not in stored
        assert shared_windows(plain, stored) == 0

    def test_without_encryption_the_stored_bytes_are_the_plain_file(
        self, session: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("GOVHUB_VAULT_MODE", "off")
        dataset = publish(session, world, tmp_path)
        stored = stored_bytes(dataset.storage_key)
        plain = vault.local_copy(dataset.storage_key, tmp_path).read_bytes()
        assert stored.startswith(b"PAR1")
        assert shared_windows(plain, stored) == len(plain) // 16 - (len(plain) % 16 == 0)

    def test_non_personal_data_stays_plain(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        resource = make_resource(session, world, fields=[{"name": "qymc", "type": "string"}])
        source = tmp_path / "names.csv"
        source.write_text("qymc\n公司甲\n公司乙\n", encoding="utf-8")
        dataset, _ = ingest_service.ingest(
            session,
            principal=world.principal(world.city_a_admin),
            resource_id=resource.id,
            source=source,
            filename=source.name,
        )
        assert vault.read_pointer(get_storage(), dataset.storage_key) is None

    def test_readers_see_the_plain_rows(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        dataset = publish(session, world, tmp_path)
        count, numbers, total = answer(dataset.storage_key)
        assert count == 5
        assert numbers == ",".join(sorted(ID_NUMBERS))
        assert total == sum(range(100, 105))

    def test_quality_assesses_the_decrypted_version(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        dataset = publish(session, world, tmp_path)
        resource = session.get(Resource, dataset.resource_id)
        assert resource is not None
        result = quality_service.assess_dataset(
            session, resource=resource, dataset=dataset, actor=None
        )
        assert result.row_count == 5
        assert result.scores["accessibility"] == 100.0


class TestFailures:
    def test_a_tampered_object_fails_clearly(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        dataset = publish(session, world, tmp_path)
        path = sealed_path(dataset.storage_key)
        data = bytearray(path.read_bytes())
        data[100] ^= 0x01
        path.write_bytes(bytes(data))
        with pytest.raises(vault.VaultError, match="altered or truncated"):
            answer(dataset.storage_key)

    def test_a_truncated_object_fails_clearly(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        dataset = publish(session, world, tmp_path)
        path = sealed_path(dataset.storage_key)
        path.write_bytes(path.read_bytes()[:-1])
        with pytest.raises(vault.VaultError, match="altered or truncated"):
            answer(dataset.storage_key)

    def test_a_tampered_wrapped_key_fails_clearly(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        dataset = publish(session, world, tmp_path)
        storage = get_storage()
        pointer = vault.read_pointer(storage, dataset.storage_key)
        assert pointer is not None
        raw = bytearray(base64.b64decode(pointer.wrapped_dek))
        raw[-1] ^= 0x01
        pointer.wrapped_dek = base64.b64encode(bytes(raw)).decode()
        storage.put(dataset.storage_key, pointer.to_bytes())
        with pytest.raises(vault.VaultError, match="cannot be unwrapped"):
            answer(dataset.storage_key)

    def test_a_pointer_moved_to_another_version_fails(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        first = publish(session, world, tmp_path)
        second = publish(session, world, tmp_path)
        storage = get_storage()
        with storage.open(first.storage_key) as handle:
            storage.put(second.storage_key, handle.read())
        with pytest.raises(vault.VaultError, match="cannot be unwrapped"):
            answer(second.storage_key)

    def test_a_wrong_master_key_fails_at_read(
        self, session: Session, world: World, tmp_path: Path, own_keyring: Path
    ) -> None:
        dataset = publish(session, world, tmp_path)
        body = json.loads(own_keyring.read_text())
        body["keys"]["k1"] = base64.b64encode(b"\x07" * 32).decode()
        own_keyring.write_text(json.dumps(body))
        with pytest.raises(vault.VaultError, match="'k1'"):
            answer(dataset.storage_key)

    def test_a_missing_master_key_fails_at_read(
        self, session: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        dataset = publish(session, world, tmp_path)
        monkeypatch.setenv("GOVHUB_VAULT_KEYS", "k9=" + base64.b64encode(b"\x01" * 32).decode())
        with pytest.raises(vault.VaultError, match="'k1' is not in the keyring"):
            answer(dataset.storage_key)

    def test_no_keyring_in_production_fails_at_startup(
        self, monkeypatch: pytest.MonkeyPatch, own_keyring: Path
    ) -> None:
        monkeypatch.setenv("GOVHUB_ENV", "production")
        get_settings.cache_clear()
        try:
            with pytest.raises(vault.VaultError, match="no master key"):
                vault.load_keyring()
        finally:
            monkeypatch.undo()
            get_settings.cache_clear()
        assert not own_keyring.exists()

    @pytest.mark.parametrize(
        ("value", "message"),
        [("k1", "id=base64 pairs"), ("k1=not-base64!", "not base64"), ("k1=AAAA", "32 bytes")],
    )
    def test_malformed_environment_keys_fail_clearly(
        self, monkeypatch: pytest.MonkeyPatch, value: str, message: str
    ) -> None:
        monkeypatch.setenv("GOVHUB_VAULT_KEYS", value)
        with pytest.raises(vault.VaultError, match=message):
            vault.load_keyring()

    def test_the_keyring_file_is_private_and_keys_stay_out_of_errors(
        self, session: Session, world: World, tmp_path: Path, own_keyring: Path
    ) -> None:
        publish(session, world, tmp_path)
        assert own_keyring.stat().st_mode & 0o077 == 0
        key = json.loads(own_keyring.read_text())["keys"]["k1"]
        error = vault.VaultError("x")
        assert key not in str(error)


def versions(session: Session, world: World, tmp_path: Path, n: int = 3) -> list[str]:
    """Publish `n` encrypted versions and return their storage keys."""
    return [publish(session, world, tmp_path).storage_key for _ in range(n)]


def rotation_entries(session: Session) -> list[LedgerPending]:
    """Return the ledger's recorded rotation events."""
    return list(
        session.scalars(select(LedgerPending).where(LedgerPending.kind == EntryKind.KEYS_ROTATED))
    )


class TestRotation:
    def test_rewrap_keeps_every_answer_and_the_ciphertext(
        self, session: Session, world: World, tmp_path: Path, own_keyring: Path
    ) -> None:
        keys = versions(session, world, tmp_path)
        before = [answer(k) for k in keys]
        sealed = [sealed_path(k).read_bytes() for k in keys]
        vault.forget()
        result = vault.rotate(session, actor="service:test")
        assert (result.key_id, result.rewrapped, result.reencrypted) == ("k2", 3, 0)
        assert [answer(k) for k in keys] == before
        assert [sealed_path(k).read_bytes() for k in keys] == sealed
        storage = get_storage()
        assert {vault.read_pointer(storage, k).key_id for k in keys} == {"k2"}  # type: ignore[union-attr]
        [entry] = rotation_entries(session)
        assert entry.subject == "vault:k2"
        assert entry.payload_digest == ledger.payload_digest(result.payload)
        assert result.payload["previous_key_ids"] == ["k1"]
        text = json.dumps(result.payload)
        for key in json.loads(own_keyring.read_text())["keys"].values():
            assert key not in text

    def test_reencrypt_writes_new_objects_and_removes_old_ones_after(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        keys = versions(session, world, tmp_path)
        before = [answer(k) for k in keys]
        old = [sealed_path(k) for k in keys]
        vault.forget()
        result = vault.rotate(session, actor="service:test", reencrypt=True)
        assert result.reencrypted == 3
        assert all(p.exists() for p in old)  # nothing removed before the switch is committed
        vault.remove_objects(get_storage(), result.removed)
        assert not any(p.exists() for p in old)
        new = [sealed_path(k) for k in keys]
        assert set(new).isdisjoint(old)
        assert [answer(k) for k in keys] == before

    def test_readers_never_see_a_broken_state(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        [key] = versions(session, world, tmp_path, 1)
        expected = answer(key)
        errors: list[BaseException] = []
        seen: list[tuple[Any, ...]] = []
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                try:
                    vault.forget()  # every read resolves the pointer and decrypts afresh
                    seen.append(answer(key))
                except BaseException as exc:
                    errors.append(exc)

        reader = threading.Thread(target=read)
        reader.start()
        try:
            for _ in range(4):
                result = vault.rotate(session, actor="service:test", reencrypt=True)
                vault.remove_objects(get_storage(), result.removed)
        finally:
            stop.set()
            reader.join()
        assert errors == []
        assert seen
        assert set(seen) == {expected}

    def test_keys_from_the_environment_rotate_to_the_last_one(
        self, session: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        first = "k1=" + base64.b64encode(b"\x11" * 32).decode()
        monkeypatch.setenv("GOVHUB_VAULT_KEYS", first)
        [key] = versions(session, world, tmp_path, 1)
        before = answer(key)
        monkeypatch.setenv(
            "GOVHUB_VAULT_KEYS", first + ",k2=" + base64.b64encode(b"\x22" * 32).decode()
        )
        result = vault.rotate(session, actor="service:test")
        assert (result.key_id, result.rewrapped) == ("k2", 1)
        vault.forget()
        assert answer(key) == before
        monkeypatch.setenv("GOVHUB_VAULT_KEYS", first)  # k2 withdrawn too early
        vault.forget()
        with pytest.raises(vault.VaultError, match="'k2' is not in the keyring"):
            answer(key)

    def test_retirement(
        self, session: Session, world: World, tmp_path: Path, own_keyring: Path
    ) -> None:
        keys = versions(session, world, tmp_path, 2)
        storage = get_storage()
        with storage.open(keys[0]) as handle:
            stale = handle.read()  # wrapped under k1
        with pytest.raises(Conflict, match="active master key"):
            vault.retire(session, "k1")
        vault.rotate(session, actor="service:test")
        storage.put(keys[0], stale)  # as if a rotation had stopped half-way
        with pytest.raises(Conflict, match="1 dataset versions still use master key 'k1'"):
            vault.retire(session, "k1")
        result = vault.rotate(session, actor="service:test")
        assert (result.key_id, result.previous) == ("k3", {"k1", "k2"})
        vault.retire(session, "k1")
        ring = json.loads(own_keyring.read_text())
        assert set(ring["keys"]) == {"k2", "k3"}
        assert ring["retired"] == ["k1"]
        vault.forget()
        assert [answer(k)[0] for k in keys] == [5, 5]
        storage.put(keys[0], stale)
        vault.forget()
        with pytest.raises(vault.VaultError, match="'k1' was retired"):
            answer(keys[0])
        assert vault.load_keyring().add() == "k4"  # retired ids are never reused


runner = CliRunner()


class TestCommand:
    def test_rotate_status_and_retire(self, session: Session, world: World, tmp_path: Path) -> None:
        keys = versions(session, world, tmp_path, 2)
        before = [answer(k) for k in keys]
        result = runner.invoke(cli.app, ["keys", "data", "rotate", "--reencrypt"])
        assert result.exit_code == 0, result.output
        assert "k2" in result.output
        assert "2 re-encrypted" in " ".join(result.output.split())
        vault.forget()
        assert [answer(k) for k in keys] == before
        status = runner.invoke(cli.app, ["keys", "data", "status"])
        assert status.exit_code == 0
        cells = [[c.strip() for c in line.split("│")[1:-1]] for line in status.output.splitlines()]
        rows = {row[0]: row[1:] for row in cells if row}
        assert rows["k2"] == ["active", "2"]
        assert rows["k1"] == ["verifies", "0"]
        retired = runner.invoke(cli.app, ["keys", "data", "retire", "k1"])
        assert retired.exit_code == 0, retired.output
        assert len(rotation_entries(session)) == 1

    def test_retiring_a_key_in_use_changes_nothing(
        self, session: Session, world: World, tmp_path: Path, own_keyring: Path
    ) -> None:
        versions(session, world, tmp_path, 1)
        before = own_keyring.read_text()
        result = runner.invoke(cli.app, ["keys", "data", "retire", "k1"])
        assert result.exit_code == 1
        assert "active master key cannot be retired" in " ".join(result.output.split())
        assert own_keyring.read_text() == before
