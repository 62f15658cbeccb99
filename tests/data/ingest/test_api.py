"""The ingestion API: upload, list and read versions; bad files answer problem+json."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.core.storage import get_storage
from govhub.data.catalog.models import Resource
from govhub.identity.models import Account
from tests.data.helpers import make_resource
from tests.data.ingest import files
from tests.factories import World

Login = Callable[[Account], dict[str, str]]


@pytest.fixture
def resource(session: Session, world: World) -> Resource:
    return make_resource(session, world, title="企业登记信息")


def _url(resource: Resource) -> str:
    return f"/api/v1/catalog/resources/{resource.id}/datasets"


def _upload(client: TestClient, headers: dict[str, str], resource: Resource, path: Path) -> object:
    with path.open("rb") as handle:
        return client.post(_url(resource), headers=headers, files={"file": (path.name, handle)})


class TestUpload:
    def test_upload_list_and_get(
        self, client: TestClient, login: Login, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        headers = login(world.city_a_admin)
        path = files.write_csv(tmp_path / "gbk.csv", files.enterprises(200), encoding="gbk")
        response = _upload(client, headers, resource, path)
        assert response.status_code == 201, response.text  # type: ignore[attr-defined]
        body = response.json()  # type: ignore[attr-defined]
        assert body["version"] == 1
        assert body["row_count"] == 200
        assert body["digest"].startswith("sha256:")
        assert body["load_log"]["rows_written"] == 200
        assert [c["name"] for c in body["columns"]] == files.HEADER
        assert get_storage().exists(body["storage_key"])

        reader = login(world.city_a_official)
        listed = client.get(_url(resource), headers=reader)
        assert [v["version"] for v in listed.json()] == [1]
        one = client.get(f"{_url(resource)}/1", headers=reader)
        assert one.status_code == 200
        assert one.json()["load_log"]["source"] == "gbk.csv"
        assert client.get(f"{_url(resource)}/2", headers=reader).status_code == 404


class TestBadUploads:
    @pytest.mark.parametrize(
        ("body", "reason", "line"),
        [
            (b"a,b,c\n1,2,3\n4,5\n", "ragged", 3),
            (b"", "empty", None),
            (b"a,b\n\x81\x30\xff\xff,2\n", "encoding", 1),
        ],
        ids=["ragged", "empty", "encoding"],
    )
    def test_bad_file_is_a_problem_and_changes_nothing(
        self,
        client: TestClient,
        login: Login,
        world: World,
        resource: Resource,
        tmp_path: Path,
        body: bytes,
        reason: str,
        line: int | None,
    ) -> None:
        path = tmp_path / "bad.csv"
        path.write_bytes(body)
        headers = login(world.city_a_admin)
        response = _upload(client, headers, resource, path)
        assert response.status_code == 422  # type: ignore[attr-defined]
        assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
        problem = response.json()  # type: ignore[attr-defined]
        assert problem["reason"] == reason
        assert problem.get("line") == line
        assert client.get(_url(resource), headers=headers).json() == []
        assert list(get_storage().list(f"datasets/{resource.id}/")) == []

    def test_zip_bomb_upload(
        self, client: TestClient, login: Login, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = files.write_zip_bomb(tmp_path / "bomb.xlsx")
        response = _upload(client, login(world.city_a_admin), resource, path)
        assert response.status_code == 422  # type: ignore[attr-defined]
        assert response.json()["reason"] == "zip_bomb"  # type: ignore[attr-defined]

    def test_another_departments_resource_is_404(
        self, client: TestClient, login: Login, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(3))
        response = _upload(client, login(world.city_b_admin), resource, path)
        assert response.status_code == 404  # type: ignore[attr-defined]
        assert list(get_storage().list(f"datasets/{resource.id}/")) == []
