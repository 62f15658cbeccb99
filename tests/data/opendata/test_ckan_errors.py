"""Bad input to every action gets CKAN's error, with CKAN's status, and never a 500."""

# ruff: noqa: S608 - the tests send SQL text to the sandbox on purpose

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.data.opendata.models import ApiKey, UsageDaily
from govhub.identity import service as identity_service
from govhub.identity.schemas import ClientCreate
from tests.data.opendata.conftest import Catalog

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def version_id(catalog: Catalog) -> str:
    """The id of the public dataset's first version (its CKAN resource id)."""
    return str(catalog.public_versions[0])


def _call(client: TestClient, name: str, params: dict[str, Any], *, post: bool) -> Any:
    if post:
        return client.post(f"/api/3/action/{name}", json=params)
    flat = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
    return client.get(f"/api/action/{name}", params=flat)


BAD_SEARCHES: list[tuple[dict[str, Any], int, str]] = [
    ({"fq": "organization:("}, 400, "Search Query Error"),
    ({"fq": "nosuchfield:1"}, 400, "Search Query Error"),
    ({"fq": "metadata_modified:[yesterday TO *]"}, 400, "Search Query Error"),
    ({"fq": "metadata_modified:2020"}, 400, "Search Query Error"),
    ({"sort": "id sideways"}, 400, "Search Query Error"),
    ({"sort": "password asc"}, 400, "Search Query Error"),
    ({"sort": "id asc,"}, 400, "Search Query Error"),
    ({"rows": 1001}, 409, "Validation Error"),
    ({"rows": "ten"}, 409, "Validation Error"),
    ({"start": -1}, 409, "Validation Error"),
    ({"facet.field": "[not json"}, 409, "Validation Error"),
    ({"facet.limit": "x"}, 409, "Validation Error"),
]


class TestPackageSearchErrors:
    def test_bad_search(self, client: TestClient, catalog: Catalog) -> None:
        for params, status, kind in BAD_SEARCHES:
            for post in (False, True):
                response = _call(client, "package_search", params, post=post)
                assert response.status_code == status, (params, response.text)
                body = response.json()
                assert body["success"] is False
                assert body["error"]["__type"] == kind
                assert body["help"].endswith("help_show?name=package_search")


class TestLookupErrors:
    def test_unknown_ids_are_not_found(self, client: TestClient, catalog: Catalog) -> None:
        for name in ["package_show", "resource_show", "organization_show", "group_show"]:
            for value in [UNKNOWN, "no-such-name", "x" * 5000, "'; DROP TABLE x; --"]:
                response = client.get(f"/api/action/{name}", params={"id": value})
                assert response.status_code == 404, response.text
                assert response.json()["error"]["__type"] == "Not Found Error"

    @pytest.mark.parametrize("name", ["package_show", "resource_show", "datastore_search"])
    def test_missing_id_is_a_validation_error(self, client: TestClient, name: str) -> None:
        response = client.get(f"/api/action/{name}")
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["__type"] == "Validation Error"
        assert error["id" if name != "datastore_search" else "resource_id"] == ["Missing value"]

    def test_unknown_action(self, client: TestClient) -> None:
        response = client.get("/api/action/package_create")
        assert response.status_code == 400
        assert response.json()["error"] == {
            "__type": "Bad request",
            "message": "Bad request - Action name not known: package_create",
        }

    @pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe"])
    def test_bad_json_body(self, client: TestClient, body: bytes) -> None:
        response = client.post(
            "/api/action/package_search", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["error"]["__type"] == "Bad request"

    def test_wrong_parameter_types(self, client: TestClient, catalog: Catalog) -> None:
        for params in [{"id": {"a": 1}}, {"id": [1, 2]}]:
            response = client.post("/api/action/package_show", json=params)
            assert response.status_code == 409
        response = client.post("/api/action/organization_list", json={"all_fields": "maybe"})
        assert response.status_code == 409
        assert response.json()["error"]["all_fields"] == ["Must be a boolean"]


class TestDatastoreErrors:
    BAD: tuple[tuple[dict[str, Any], str], ...] = (
        ({"filters": "{not json"}, "filters"),
        ({"filters": ["a"]}, "filters"),
        ({"filters": {"nosuch": "1"}}, "filters"),
        ({"filters": {"qymc": {"$gt": 1}}}, "filters"),
        ({"fields": "qymc,nosuch"}, "fields"),
        ({"sort": "nosuch desc"}, "sort"),
        ({"sort": "qymc sideways"}, "sort"),
        ({"limit": 32001}, "limit"),
        ({"limit": -5}, "limit"),
        ({"offset": "a"}, "offset"),
        ({"q": {"nosuch": "x"}}, "q"),
    )

    def test_bad_parameters(self, client: TestClient, catalog: Catalog) -> None:
        for params, field in self.BAD:
            for post in (False, True):
                response = _call(
                    client, "datastore_search", {"resource_id": version_id(catalog), **params},
                    post=post,
                )  # fmt: skip
                assert response.status_code == 409, (params, response.text)
                error = response.json()["error"]
                assert error["__type"] == "Validation Error"
                assert field in error

    def test_unknown_and_hidden_resources(self, client: TestClient, catalog: Catalog) -> None:
        for resource_id in [UNKNOWN, "not-a-uuid", *map(str, catalog.hidden_versions)]:
            response = client.get(
                "/api/action/datastore_search", params={"resource_id": resource_id}
            )
            assert response.status_code == 404
            assert response.json()["error"] == {
                "__type": "Not Found Error",
                "message": f'Not found: Resource "{resource_id}" was not found.',
            }

    def test_a_filter_value_of_the_wrong_type_matches_nothing(
        self, client: TestClient, catalog: Catalog
    ) -> None:
        response = client.get(
            "/api/action/datastore_search",
            params={"resource_id": version_id(catalog), "filters": '{"clrq": "not a date"}'},
        )
        assert response.status_code == 200
        assert response.json()["result"]["total"] == 0


class TestSqlSandbox:
    def sql(self, client: TestClient, sql: str) -> Any:
        return client.post("/api/action/datastore_search_sql", json={"sql": sql})

    WRITES = (
        'DELETE FROM "{t}"',
        'INSERT INTO "{t}" VALUES (1)',
        'UPDATE "{t}" SET qymc = 1',
        'DROP TABLE "{t}"',
        'CREATE TABLE x AS SELECT * FROM "{t}"',
        'SELECT * FROM "{t}"; SELECT 1',
        'SELECT 1; DELETE FROM "{t}"',
        "PRAGMA database_list",
        "SET enable_external_access = true",
        "ATTACH '/tmp/x.db' AS x",
        "COPY (SELECT 1) TO '/tmp/out.csv'",
        "INSTALL httpfs",
        "LOAD httpfs",
        'SELECT * INTO y FROM "{t}"',
        "SELECT * FROM (",
        "",
    )
    ESCAPES = (
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_csv_auto('/etc/passwd')",
        "SELECT * FROM read_parquet('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT getenv('HOME')",
        "SELECT current_setting('enable_external_access')",
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM catalog_resources",
        "SELECT * FROM main.accounts",
        "SELECT * FROM query('SELECT 1')",
        "SELECT (SELECT content FROM read_text('/etc/passwd'))",
    )

    def test_writes_and_statements_are_refused(self, client: TestClient, catalog: Catalog) -> None:
        for template in self.WRITES:
            response = self.sql(client, template.format(t=version_id(catalog)))
            assert response.status_code in {403, 409}, (template, response.text)
            kind = response.json()["error"]["__type"]
            assert kind in {"Validation Error", "Authorization Error"}

    def test_escapes_are_refused(self, client: TestClient, catalog: Catalog) -> None:
        for sql in self.ESCAPES:
            response = self.sql(client, sql)
            assert response.status_code in {403, 404}, (sql, response.text)
            kind = response.json()["error"]["__type"]
            assert kind in {"Authorization Error", "Not Found Error"}
            assert "root:" not in response.text

    def test_hidden_tables_are_not_found(self, client: TestClient, catalog: Catalog) -> None:
        for hidden in catalog.hidden_versions:
            response = self.sql(client, f'SELECT count(*) FROM "{hidden}"')
            assert response.status_code == 404
            assert response.json()["error"]["__type"] == "Not Found Error"

    def test_slow_query_is_interrupted(
        self, client: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("GOVHUB_OPENDATA_SQL_TIMEOUT_SECONDS", "0.5")
        started = time.monotonic()
        response = self.sql(
            client,
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1e12) "
            "SELECT count(*) FROM r",
        )
        assert time.monotonic() - started < 10
        assert response.status_code == 409
        assert response.json()["error"] == {
            "__type": "Validation Error",
            "query": ["Query took too long"],
        }

    def test_row_cap(
        self, client: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("GOVHUB_OPENDATA_SQL_ROWS_MAX", "2")
        response = self.sql(client, f'SELECT qymc FROM "{version_id(catalog)}" ORDER BY qymc')
        assert response.status_code == 200
        result = response.json()["result"]
        assert len(result["records"]) == 2
        assert result["records_truncated"] is True

    def test_joins_ctes_and_set_operations(self, client: TestClient, catalog: Catalog) -> None:
        t = version_id(catalog)
        response = self.sql(
            client,
            f'WITH big AS (SELECT * FROM "{t}" WHERE zczb >= 100) '
            f'SELECT a.qymc FROM big a JOIN "{t}" b ON a.qymc = b.qymc '
            f"UNION SELECT 'x' ORDER BY 1",
        )
        assert response.status_code == 200, response.text
        names = [r["qymc"] for r in response.json()["result"]["records"]]
        assert names == sorted(["x", "宁波甲公司", "宁波乙公司", "杭州丁公司"])

    def test_runtime_errors_are_validation_errors(
        self, client: TestClient, catalog: Catalog
    ) -> None:
        response = self.sql(client, f'SELECT nosuch FROM "{version_id(catalog)}"')
        assert response.status_code == 409
        assert response.json()["error"]["__type"] == "Validation Error"


class TestRateLimits:
    def test_anonymous_limit_per_ip(
        self, client: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("GOVHUB_OPENDATA_ANONYMOUS_PER_MINUTE", "3")
        statuses = [client.get("/api/action/package_list").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        response = client.get("/api/action/package_list")
        assert int(response.headers["Retry-After"]) >= 1
        assert response.json()["success"] is False
        assert response.json()["error"]["__type"] == "Rate Limit Error"

    def test_a_key_has_its_own_higher_limit(
        self, client: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch,
        api_key: str,
    ) -> None:  # fmt: skip
        monkeypatch.setenv("GOVHUB_OPENDATA_ANONYMOUS_PER_MINUTE", "1")
        monkeypatch.setenv("GOVHUB_OPENDATA_KEY_PER_MINUTE", "5")
        assert client.get("/api/action/package_list").status_code == 200
        assert client.get("/api/action/package_list").status_code == 429
        keyed = [
            client.get("/api/action/package_list", headers={"Authorization": api_key}).status_code
            for _ in range(6)
        ]
        assert keyed == [200] * 5 + [429]

    def test_invalid_and_revoked_keys_are_refused(
        self, client: TestClient, catalog: Catalog, api_key: str, login: Any, world: Any
    ) -> None:
        for header in ["X-CKAN-API-Key", "Authorization"]:
            response = client.get("/api/action/package_list", headers={header: "ghk_wrong"})
            assert response.status_code == 403
            assert response.json()["error"]["__type"] == "Authorization Error"
        headers = login(world.city_a_admin)
        [key] = client.get("/api/v1/opendata/keys", headers=headers).json()
        assert (
            client.delete(f"/api/v1/opendata/keys/{key['id']}", headers=headers).status_code == 200
        )
        response = client.get("/api/action/package_list", headers={"X-CKAN-API-Key": api_key})
        assert response.status_code == 403


class TestKeyRoutes:
    def test_anonymous_may_not_hold_keys(self, client: TestClient) -> None:
        assert client.post("/api/v1/opendata/keys", json={"name": "x"}).status_code == 401
        assert client.get("/api/v1/opendata/keys").status_code == 401
        assert client.delete(f"/api/v1/opendata/keys/{UNKNOWN}").status_code == 401

    def test_systems_may_not_hold_keys(
        self, client: TestClient, session: Session, world: Any
    ) -> None:
        system, secret = identity_service.create_client(
            session,
            principal=world.principal(world.platform_admin),
            data=ClientCreate(name="数据采集系统", department_id=world.city_a_market.id),
        )
        token = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(system.client_id, secret),
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        response = client.post("/api/v1/opendata/keys", json={"name": "x"}, headers=headers)
        assert response.status_code == 403
        assert client.get("/api/v1/opendata/keys", headers=headers).status_code == 403
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 0

    def test_keys_are_shown_once_and_kept_as_digests(
        self, client: TestClient, session: Session, login: Any, world: Any
    ) -> None:
        headers = login(world.city_a_admin)
        issued = client.post("/api/v1/opendata/keys", json={"name": "研究"}, headers=headers)
        assert issued.status_code == 201
        key = issued.json()["key"]
        listed = client.get("/api/v1/opendata/keys", headers=headers).json()
        assert [k["name"] for k in listed] == ["研究"]
        assert "key" not in listed[0]
        assert key not in {row.digest for row in session.scalars(select(ApiKey))}

    def test_bad_key_requests_change_nothing(
        self, client: TestClient, session: Session, login: Any, world: Any
    ) -> None:
        headers = login(world.city_a_admin)
        assert (
            client.post("/api/v1/opendata/keys", json={"name": ""}, headers=headers).status_code
            == 422
        )
        assert client.post("/api/v1/opendata/keys", json={}, headers=headers).status_code == 422
        assert client.get("/api/v1/opendata/keys", headers=headers).json() == []

    def test_another_accounts_key_cannot_be_revoked(
        self, client: TestClient, login: Any, world: Any
    ) -> None:
        mine = client.post(
            "/api/v1/opendata/keys", json={"name": "a"}, headers=login(world.city_a_admin)
        ).json()
        other = login(world.city_b_admin)
        assert (
            client.delete(f"/api/v1/opendata/keys/{mine['id']}", headers=other).status_code == 404
        )
        assert client.get("/api/v1/opendata/keys", headers=other).json() == []


class TestUsage:
    def test_calls_and_downloads_are_counted_per_day(
        self, client: TestClient, session: Session, catalog: Catalog
    ) -> None:
        rid = version_id(catalog)
        client.get("/api/action/package_show", params={"id": "a-scjg-0001"})
        client.get("/api/action/datastore_search", params={"resource_id": rid})
        client.get("/api/action/package_show", params={"id": str(catalog.closed.id)})
        download = client.get(f"/api/opendata/download/{rid}.csv")
        assert download.status_code == 200
        assert download.text.splitlines()[0] == "qymc,szqh,zczb,clrq"
        assert client.get(f"/api/opendata/download/{rid}.parquet").content[:4] == b"PAR1"
        usage = client.get("/api/opendata/datasets/a-scjg-0001/usage").json()
        assert usage["api_calls"] == 2
        assert usage["downloads"] == 2
        days = session.scalar(select(func.count()).select_from(UsageDaily))
        assert days == 1

    def test_hidden_datasets_have_no_usage_or_downloads(
        self, client: TestClient, catalog: Catalog
    ) -> None:
        for hidden in catalog.hidden_versions:
            assert client.get(f"/api/opendata/download/{hidden}.csv").status_code == 404
        assert client.get(f"/api/opendata/datasets/{catalog.closed.id}/usage").status_code == 404
        rid = version_id(catalog)
        assert client.get(f"/api/opendata/download/{rid}.exe").status_code == 404
