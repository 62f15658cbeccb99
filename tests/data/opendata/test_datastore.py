"""`datastore_search` over the Parquet file of a public dataset version."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.data.opendata.conftest import ROWS, Catalog


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
