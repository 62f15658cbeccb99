"""`govhub data gc` finds storage objects no row owns (a crash between the Parquet write and the
commit), reports them, and removes them only when asked; progress of a running load is stored."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from govhub import cli
from govhub.core.db import session_scope
from govhub.core.settings import get_settings
from govhub.core.storage import get_storage
from govhub.data.catalog.models import Resource
from govhub.data.ingest import jobs, runner, service
from govhub.data.ingest.models import JobStatus, LoadJob
from tests.data.helpers import make_resource
from tests.data.ingest import files
from tests.factories import World


@pytest.fixture
def resource(session: Session, world: World) -> Resource:
    return make_resource(session, world, title="企业登记信息")


@pytest.fixture(autouse=True)
def own_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A storage of this test alone (other tests leave objects whose rows rolled back)."""
    monkeypatch.setenv("GOVHUB_STORAGE_URL", str(tmp_path / "objects"))
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("GOVHUB_STORAGE_URL")
    get_settings.cache_clear()


def _gc(*args: str) -> str:
    result = CliRunner().invoke(cli.app, ["data", "gc", *args])
    assert result.exit_code == 0, result.output
    return result.output


class TestGarbageCollection:
    def test_objects_of_a_rolled_back_load_are_found_then_removed(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        principal = world.principal(world.city_a_admin)
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(20))
        kept, _ = service.ingest(
            session, principal=principal, resource_id=resource.id, source=path, filename="a.csv"
        )
        session.commit()
        savepoint = session.begin_nested()
        lost, _ = service.ingest(
            session, principal=principal, resource_id=resource.id, source=path, filename="a.csv"
        )
        lost_key = lost.storage_key
        savepoint.rollback()  # the crash: the objects are written, the row never commits
        stray = f"loads/staging/{uuid.uuid4()}/source"
        storage = get_storage()
        storage.put(stray, b"a,b\n1,2\n")

        assert "Would remove 0" in _gc()  # everything is younger than an hour
        dry = _gc("--min-age-minutes", "0")
        assert lost_key in dry
        assert stray in dry
        assert kept.storage_key not in dry
        assert "Would remove 3 orphaned objects" in dry
        assert storage.exists(lost_key)

        report = json.loads(_gc("--min-age-minutes", "0", "--delete", "--json"))
        assert report["deleted"] is True
        assert sorted(o["kind"] for o in report["orphans"]) == ["dataset", "load_log", "staging"]
        assert not storage.exists(lost_key)
        assert not storage.exists(stray)
        assert storage.exists(kept.storage_key)
        assert storage.exists(service.log_key(kept.storage_key))

    def test_quarantined_files_of_live_jobs_are_kept(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = tmp_path / "bad.csv"
        path.write_bytes(b"a,b\n1,2,3\n")
        job = jobs.stage_file(session, principal=world.principal(world.city_a_admin),
                              resource_id=resource.id, source=path, filename="bad.csv")  # fmt: skip
        assert runner.run(job.id) is JobStatus.QUARANTINED
        assert "Would remove 0" in _gc("--min-age-minutes", "0")


class TestProgress:
    def test_a_running_load_reports_bytes_as_it_reads(
        self, session: Session, world: World, resource: Resource, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        monkeypatch.setenv("GOVHUB_INGEST_CSV_BLOCK_BYTES", "4096")
        monkeypatch.setattr(runner, "PROGRESS_INTERVAL", 0.0)
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(8000))
        job = jobs.stage_file(session, principal=world.principal(world.city_a_admin),
                              resource_id=resource.id, source=path, filename="a.csv")  # fmt: skip
        seen: list[tuple[JobStatus, int]] = []

        def echo(read: int, _rows: int) -> None:
            with session_scope() as probe:
                row = probe.scalars(select(LoadJob).where(LoadJob.id == job.id)).one()
                seen.append((row.status, row.bytes_read))

        assert runner.run(job.id, echo=echo) is JobStatus.SUCCEEDED
        total = path.stat().st_size
        assert len(seen) > 5
        assert {status for status, _ in seen} == {JobStatus.RUNNING}
        stored = [n for _, n in seen]
        assert stored == sorted(stored)
        assert 0 < stored[len(stored) // 2] < total
