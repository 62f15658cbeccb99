"""Load jobs: 202 + Location, progress, quarantine with a report, retry, delete, recovery."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.storage import get_storage
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.ingest import jobs, runner, tasks
from govhub.data.ingest.models import JobStatus, LoadJob
from govhub.identity.models import Account
from tests.data.helpers import make_resource
from tests.data.ingest import files
from tests.factories import World

Login = Callable[[Account], dict[str, str]]


@pytest.fixture
def resource(session: Session, world: World) -> Resource:
    return make_resource(session, world, title="企业登记信息")


def _start(
    client: TestClient,
    headers: dict[str, str],
    resource: Resource,
    path: Path,
    name: str | None = None,
    **form: str,
) -> Any:
    with path.open("rb") as handle:
        return client.post(
            f"/api/v1/catalog/resources/{resource.id}/loads",
            headers=headers,
            files={"file": (name or path.name, handle)},
            data=form,
        )


def _versions(session: Session, resource: Resource) -> list[int]:
    rows = session.scalars(select(DatasetVersion.version).where(
        DatasetVersion.resource_id == resource.id))  # fmt: skip
    return sorted(rows)


class TestFileLoad:
    def test_accepted_with_location_then_succeeded(
        self, client: TestClient, login: Login, world: World, resource: Resource, tmp_path: Path,
        session: Session,
    ) -> None:  # fmt: skip
        headers = login(world.city_a_admin)
        path = files.write_csv(tmp_path / "gbk.csv", files.enterprises(300), encoding="gbk")
        response = _start(client, headers, resource, path)
        assert response.status_code == 202, response.text
        location = response.headers["Location"]
        assert location == f"/api/v1/data/loads/{response.json()['id']}"
        job = client.get(location, headers=headers).json()
        assert job["status"] == "succeeded", job
        assert job["rows"] == 300
        assert job["bytes_read"] == job["bytes_total"] == path.stat().st_size
        assert job["report"]["version"] == 1
        assert job["report"]["load_log"]["rows_written"] == 300
        assert job["started_at"]
        assert job["finished_at"]
        assert job["attempts"] == 1
        assert _versions(session, resource) == [1]
        assert not get_storage().exists(jobs.staging_key(job["id"]))

    def test_out_of_scope_and_forbidden(
        self, client: TestClient, login: Login, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(5))
        assert _start(client, {}, resource, path).status_code == 401
        assert _start(client, login(world.city_a_official), resource, path).status_code == 403
        assert _start(client, login(world.city_b_admin), resource, path).status_code == 404
        job = _start(client, login(world.city_a_admin), resource, path).json()
        url = f"/api/v1/data/loads/{job['id']}"
        assert client.get(url).status_code == 401
        assert client.get(url, headers=login(world.city_a_official)).status_code == 403
        assert client.get(url, headers=login(world.city_b_admin)).status_code == 404
        assert client.get(url, headers=login(world.platform_admin)).status_code == 200
        other = client.get("/api/v1/data/loads", headers=login(world.city_b_admin))
        assert other.json() == []
        assert client.delete(url, headers=login(world.city_b_admin)).status_code == 404

    def test_bad_format_field_is_a_problem(
        self, client: TestClient, login: Login, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(5))
        response = _start(client, login(world.city_a_admin), resource, path, format="docx")
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")


class TestQuarantine:
    def test_bad_file_is_quarantined_with_a_report_and_nothing_published(
        self, client: TestClient, login: Login, world: World, resource: Resource, tmp_path: Path,
        session: Session,
    ) -> None:  # fmt: skip
        headers = login(world.city_a_admin)
        path = tmp_path / "ragged.csv"
        path.write_bytes(b"a,b,c\n1,2,3\n4,5\n")
        job = _start(client, headers, resource, path).json()
        url = f"/api/v1/data/loads/{job['id']}"
        body = client.get(url, headers=headers).json()
        assert body["status"] == "quarantined"
        assert body["report"]["reason"] == "ragged"
        assert body["report"]["line"] == 3
        assert _versions(session, resource) == []
        storage = get_storage()
        assert storage.exists(jobs.quarantine_key(job["id"]))
        assert not storage.exists(jobs.staging_key(job["id"]))
        with storage.open(jobs.report_key(job["id"])) as handle:
            stored = json.loads(handle.read())
        assert stored["reason"] == "ragged"
        assert stored["source"] == "ragged.csv"

        listed = client.get("/api/v1/data/loads?status=quarantined", headers=headers).json()
        assert [j["id"] for j in listed] == [job["id"]]
        report = client.get(f"{url}/report", headers=headers)
        assert report.status_code == 200
        assert "attachment" in report.headers["content-disposition"]
        assert report.json()["line"] == 3

        assert client.delete(url, headers=headers).status_code == 204
        assert client.get(url, headers=headers).status_code == 404
        assert not storage.exists(jobs.quarantine_key(job["id"]))
        assert not storage.exists(jobs.report_key(job["id"]))

    @pytest.mark.parametrize(
        ("body", "reason", "env"),
        [
            (b"", "empty", {}),
            (b"a,b\n\x81\x30\xff\xff,2\n", "encoding", {}),
            (b"a,b\n" + b"1,2\n" * 500 + b"x,2\n", "type_changed", {"CSV_BLOCK_BYTES": "1024"}),
            (b"a,b\n" + b"1,2\n" * 500, "too_large", {"MAX_FILE_BYTES": "1000"}),
        ],
        ids=["empty", "encoding", "type-change", "too-large"],
    )
    def test_every_bad_file_kind_is_quarantined(
        self, client: TestClient, login: Login, world: World, resource: Resource, tmp_path: Path,
        body: bytes, reason: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        for key, value in env.items():
            monkeypatch.setenv(f"GOVHUB_INGEST_{key}", value)
        headers = login(world.city_a_admin)
        path = tmp_path / "bad.csv"
        path.write_bytes(body)
        job = _start(client, headers, resource, path).json()
        found = client.get(f"/api/v1/data/loads/{job['id']}", headers=headers).json()
        assert found["status"] == "quarantined", found
        assert found["report"]["reason"] == reason

    def test_retry_with_another_format_publishes(
        self, client: TestClient, login: Login, world: World, resource: Resource, tmp_path: Path,
        session: Session,
    ) -> None:  # fmt: skip
        headers = login(world.city_a_admin)
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(20))
        job = _start(client, headers, resource, path, name="register.json").json()
        url = f"/api/v1/data/loads/{job['id']}"
        assert client.get(url, headers=headers).json()["status"] == "quarantined"
        bad = client.post(f"{url}/retry", headers=headers, json={"format": "pdf"})
        assert bad.status_code == 422
        again = client.post(f"{url}/retry", headers=headers, json={"format": "csv"})
        assert again.status_code == 202, again.text
        done = client.get(url, headers=headers).json()
        assert done["status"] == "succeeded"
        assert done["attempts"] == 2
        assert done["report"]["previous"]["reason"] == "malformed"
        assert _versions(session, resource) == [1]
        assert not get_storage().exists(jobs.quarantine_key(job["id"]))
        conflict = client.post(f"{url}/retry", headers=headers, json={})
        assert conflict.status_code == 409


class TestLifecycle:
    def test_interrupted_jobs_resume_after_a_restart(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(10))
        principal = world.principal(world.city_a_admin)
        job = jobs.stage_file(
            session, principal=principal, resource_id=resource.id, source=path, filename="a.csv"
        )
        job.status = JobStatus.RUNNING
        session.commit()
        assert jobs.recover() == [job.id]
        session.refresh(job)
        assert job.status is JobStatus.QUEUED
        assert runner.run(job.id) is JobStatus.SUCCEEDED
        assert runner.run(job.id) is None  # already done: nothing to run

    def test_staged_upload_starts_with_a_mapping_recorded_in_the_fields(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(10))
        principal = world.principal(world.city_a_admin)
        job = jobs.stage_file(session, principal=principal, resource_id=resource.id,
                              source=path, filename="a.csv", queue=False)  # fmt: skip
        assert job.status is JobStatus.STAGED
        jobs.start(session, principal=principal, job_id=job.id, mapping={"clrq": "date"})
        tasks.submit_after_commit(session, job.id)
        session.commit()
        session.refresh(resource)
        status = session.scalar(select(LoadJob.status).where(LoadJob.id == job.id))
        assert status is JobStatus.SUCCEEDED
        fields = {f["name"]: f for f in resource.fields}
        assert fields["clrq"]["element_code"] == "date"
        assert fields["tyshxydm"]["element_code"] == "uscc"

    def test_a_rolled_back_job_never_runs(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(3))
        principal = world.principal(world.city_a_admin)
        job = jobs.stage_file(
            session, principal=principal, resource_id=resource.id, source=path, filename="a.csv"
        )
        tasks.submit_after_commit(session, job.id)
        job_id = job.id
        session.rollback()
        assert session.get(LoadJob, job_id) is None

    def test_the_pool_runs_jobs_off_the_caller_thread(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(5))
        job = jobs.stage_file(session, principal=world.principal(world.city_a_admin),
                              resource_id=resource.id, source=path, filename="a.csv")  # fmt: skip
        session.commit()
        tasks.start_pool(1)
        try:
            future = tasks.submit(job.id)
            assert future is not None
            future.result(timeout=60)
        finally:
            tasks.stop_pool()
        assert tasks.submit(uuid.uuid4()) is None  # no pool: runs here (nothing to run)
        status = session.scalar(select(LoadJob.status).where(LoadJob.id == job.id))
        assert status is JobStatus.SUCCEEDED
