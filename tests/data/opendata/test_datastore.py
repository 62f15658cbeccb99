"""`datastore_search` over the Parquet file of a public dataset version."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.core.storage import get_storage
from govhub.data.catalog.models import DatasetVersion
from govhub.privacy import vault
from tests.data.opendata.conftest import ROWS, Catalog, publish, version_ids
from tests.factories import World


def search(client: TestClient, catalog: Catalog, **params: Any) -> Any:
    """POST `datastore_search` on the public dataset's first version; return the result."""
    body = {"resource_id": str(catalog.public_versions[0]), **params}
    response = client.post("/api/action/datastore_search", json=body)
    assert response.status_code == 200, response.text
    return response.json()["result"]


class TestDatastoreSearch:
    def test_defaults(self, client: TestClient, catalog: Catalog) -> None:
        found = search(client, catalog)
        assert found["total"] == len(ROWS)
        assert [f["id"] for f in found["fields"]] == ["_id", "qymc", "szqh", "zczb", "clrq"]
        types = {f["id"]: f["type"] for f in found["fields"]}
        assert (types["qymc"], types["clrq"]) == ("text", "date")
        assert [r["_id"] for r in found["records"]] == [1, 2, 3, 4, 5]
        assert found["records"][0]["qymc"] == "宁波甲公司"
        assert (found["limit"], found["offset"]) == (100, 0)

    def test_filters_list_values_and_sort(self, client: TestClient, catalog: Catalog) -> None:
        found = search(
            client, catalog, filters={"szqh": ["330106", "330203"]}, sort="clrq desc",
            fields="_id,qymc",
        )  # fmt: skip
        assert found["total"] == 3
        assert found["records"] == [
            {"_id": 5, "qymc": "杭州戊公司"},
            {"_id": 1, "qymc": "宁波甲公司"},
            {"_id": 4, "qymc": "杭州丁公司"},
        ]
        assert search(client, catalog, filters={"_id": 2})["records"][0]["qymc"] == "宁波乙公司"

    def test_full_text_and_per_field_q(self, client: TestClient, catalog: Catalog) -> None:
        assert search(client, catalog, q="杭州")["total"] == 2
        assert search(client, catalog, q={"qymc": "丙"})["total"] == 1
        # LIKE wildcards in q are plain characters.
        assert search(client, catalog, q="%")["total"] == 0
        assert search(client, catalog, q="_")["total"] == 0

    def test_paging_links(self, client: TestClient, catalog: Catalog) -> None:
        first = search(client, catalog, limit=2)
        assert [r["_id"] for r in first["records"]] == [1, 2]
        assert "offset=2" in first["_links"]["next"]
        assert first["_links"]["start"].startswith("/api/action/datastore_search?")
        second = client.get(first["_links"]["next"]).json()["result"]
        assert [r["_id"] for r in second["records"]] == [3, 4]
        last = search(client, catalog, limit=2, offset=4, include_total=False)
        assert [r["_id"] for r in last["records"]] == [5]
        assert "total" not in last


class TestSealedVersions:
    """Versions encrypted at rest read the same through every open-data path."""

    @pytest.fixture
    def sealed(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session: Session, world: World
    ) -> Iterator[Catalog]:
        monkeypatch.setenv("GOVHUB_VAULT_KEYRING_FILE", str(tmp_path / "keyring.json"))
        monkeypatch.delenv("GOVHUB_VAULT_KEYS", raising=False)
        monkeypatch.setenv("GOVHUB_VAULT_MODE", "all")
        vault.forget()
        public = publish(session, world, tmp_path, opening_type="open", title="加密存储数据")
        versions = version_ids(session, public)
        session.flush()
        yield Catalog(public, public, public, public, public, public, versions, [])
        vault.forget()

    def test_search_sql_and_download(
        self, client: TestClient, session: Session, sealed: Catalog
    ) -> None:
        version = session.get(DatasetVersion, sealed.public_versions[0])
        assert version is not None
        assert vault.read_pointer(get_storage(), version.storage_key) is not None
        found = search(client, sealed, filters={"szqh": "330106"}, fields="qymc")
        assert found["total"] == 2
        sql = f'SELECT count(*) AS n FROM "{sealed.public_versions[0]}"'  # noqa: S608
        answer = client.post("/api/action/datastore_search_sql", json={"sql": sql})
        assert answer.json()["result"]["records"] == [{"n": len(ROWS)}], answer.text
        for fmt in ("csv", "parquet"):
            download = client.get(f"/api/opendata/download/{sealed.public_versions[0]}.{fmt}")
            assert download.status_code == 200
            assert len(download.content) > 0
        csv_body = client.get(f"/api/opendata/download/{sealed.public_versions[0]}.csv").text
        assert "宁波甲公司" in csv_body


class TestDownloads:
    """The newest version of a public dataset in each DCAT distribution format."""

    def test_every_format(self, client: TestClient, catalog: Catalog) -> None:
        base = f"/dataset/{catalog.public.identifier}/download"
        csv_body = client.get(f"{base}/csv")
        assert csv_body.status_code == 200
        assert csv_body.text.splitlines()[0] == "qymc,szqh,zczb,clrq"
        records = client.get(f"{base}/json").json()
        assert [r["qymc"] for r in records] == [row[0] for row in ROWS]
        parquet = client.get(f"{base}/parquet")
        assert pq.read_table(io.BytesIO(parquet.content)).num_rows == len(ROWS)
        book = openpyxl.load_workbook(io.BytesIO(client.get(f"{base}/xlsx").content))
        rows = list(book.active.iter_rows(values_only=True))
        assert rows[0] == ("qymc", "szqh", "zczb", "clrq")
        assert [r[0] for r in rows[1:]] == [row[0] for row in ROWS]

    def test_hidden_unknown_and_bad_format(self, client: TestClient, catalog: Catalog) -> None:
        for resource in catalog.hidden:
            assert client.get(f"/dataset/{resource.identifier}/download/csv").status_code == 404
        assert client.get("/dataset/no-such-dataset/download/csv").status_code == 404
        bad = client.get(f"/dataset/{catalog.public.identifier}/download/exe")
        assert bad.status_code == 404
        assert bad.headers["content-type"].startswith("application/problem+json")
