"""Lineage over HTTP: graphs and runs across roles and departments, OpenLineage, bad input."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.identity.models import Account
from tests.data.lineage.helpers import Chain, build_chain
from tests.factories import World

Login = Callable[[Account], dict[str, str]]


@pytest.fixture
def chain(session: Session, world: World) -> Chain:
    return build_chain(session, world)


def _labels(body: dict[str, object]) -> list[str]:
    nodes = body["nodes"]
    assert isinstance(nodes, list)
    return sorted(n["label"] for n in nodes if n["kind"] == "dataset")


class TestDatasetGraph:
    def test_owner_sees_the_whole_upstream(
        self, client: TestClient, login: Login, world: World, chain: Chain
    ) -> None:
        response = client.get(
            f"/api/v1/lineage/datasets/{chain.aggregate.id}",
            params={"direction": "up", "depth": 5},
            headers=login(world.city_a_official),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["root"] == str(chain.aggregate.id)
        assert _labels(body) == ["企业数量统计 v1", "企业登记原始库 v1", "企业登记原始库 v2"]
        assert {e["kind"] for e in body["edges"]} == {"used", "generated"}

    @pytest.mark.parametrize("who", ["anonymous", "city_b_admin", "county_a_official"])
    def test_others_see_the_open_output_and_placeholders(
        self, client: TestClient, login: Login, world: World, chain: Chain, who: str
    ) -> None:
        headers = {} if who == "anonymous" else login(getattr(world, who))
        response = client.get(
            f"/api/v1/lineage/datasets/{chain.aggregate.id}",
            params={"direction": "up"},
            headers=headers,
        )
        assert response.status_code == 200
        body = response.json()
        assert _labels(body) == ["企业数量统计 v1"]
        assert "原始库" not in response.text
        assert str(chain.raw.id) not in response.text
        assert sum(n["restricted"] for n in body["nodes"]) >= 2

    def test_the_province_bureau_covers_every_city(
        self, client: TestClient, login: Login, world: World, chain: Chain
    ) -> None:
        response = client.get(
            f"/api/v1/lineage/datasets/{chain.joined.id}",
            params={"direction": "up"},
            headers=login(world.platform_admin),
        )
        assert response.status_code == 200
        assert "宁波企业登记 v1" in _labels(response.json())

    @pytest.mark.parametrize("who", ["anonymous", "city_b_admin", "county_a_official"])
    def test_a_closed_dataset_out_of_scope_looks_missing(
        self, client: TestClient, login: Login, world: World, chain: Chain, who: str
    ) -> None:
        headers = {} if who == "anonymous" else login(getattr(world, who))
        foreign = client.get(f"/api/v1/lineage/datasets/{chain.raw.id}", headers=headers)
        missing = client.get(f"/api/v1/lineage/datasets/{uuid.uuid4()}", headers=headers)
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json()["detail"] == missing.json()["detail"]

    @pytest.mark.parametrize(
        "params",
        [{"depth": 0}, {"depth": 51}, {"depth": "x"}, {"direction": "sideways"}],
    )
    def test_bad_queries_are_problems(
        self,
        client: TestClient,
        login: Login,
        world: World,
        chain: Chain,
        params: dict[str, str | int],
    ) -> None:
        response = client.get(
            f"/api/v1/lineage/datasets/{chain.aggregate.id}",
            params=params,
            headers=login(world.city_a_admin),
        )
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")

    def test_a_malformed_id_is_a_problem(self, client: TestClient) -> None:
        response = client.get("/api/v1/lineage/datasets/not-a-uuid")
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")


class TestColumnsAndResources:
    def test_column_upstream(
        self, client: TestClient, login: Login, world: World, chain: Chain
    ) -> None:
        response = client.get(
            f"/api/v1/lineage/datasets/{chain.aggregate.id}/columns/zczb_sum",
            params={"direction": "up"},
            headers=login(world.city_a_admin),
        )
        assert response.status_code == 200
        body = response.json()
        assert sorted(n["label"] for n in body["nodes"]) == ["zczb", "zczb", "zczb", "zczb_sum"]
        assert {e["expression"] for e in body["edges"]} == {"sum(zczb)", "trim(zczb)", ""}

    def test_unknown_and_overlong_columns(
        self, client: TestClient, login: Login, world: World, chain: Chain
    ) -> None:
        headers = login(world.city_a_admin)
        base = f"/api/v1/lineage/datasets/{chain.aggregate.id}/columns/"
        assert client.get(base + "nope", headers=headers).status_code == 404
        assert client.get(base + "x" * 201, headers=headers).status_code == 422

    def test_resource_graph_and_scope(
        self, client: TestClient, login: Login, world: World, chain: Chain
    ) -> None:
        url = f"/api/v1/lineage/resources/{chain.raw_resource.id}"
        response = client.get(url, params={"depth": 1}, headers=login(world.city_a_admin))
        assert response.status_code == 200
        assert len(_labels(response.json())) >= 3
        assert client.get(url, headers=login(world.city_b_admin)).status_code == 404
        assert client.get(url).status_code == 404


class TestRuns:
    def test_run_and_its_openlineage_event(
        self, client: TestClient, login: Login, world: World, chain: Chain
    ) -> None:
        headers = login(world.city_a_admin)
        run_id = chain.runs["aggregate"]
        run = client.get(f"/api/v1/lineage/runs/{run_id}", headers=headers).json()
        assert run["kind"] == "aggregate"
        assert [c["expression"] for c in run["columns"]] == ["count(qymc)", "sum(zczb)"]
        response = client.get(f"/api/v1/lineage/runs/{run_id}/openlineage", headers=headers)
        assert response.status_code == 200
        event = response.json()
        assert event["eventType"] == "COMPLETE"
        assert event["run"]["runId"] == str(run_id)
        assert event["schemaURL"].endswith("#/$defs/RunEvent")
        assert event["job"]["name"] == "govhub.aggregate"
        assert event["eventTime"].endswith("Z")
        (output,) = event["outputs"]
        assert output["name"] == f"datasets/{chain.open_resource.id}/v1"
        fields = output["facets"]["columnLineage"]["fields"]
        (source,) = fields["zczb_sum"]["inputFields"]
        assert source["name"] == f"datasets/{chain.raw_resource.id}/v2"
        assert source["field"] == "zczb"
        assert source["transformations"][0]["description"] == "sum(zczb)"

    def test_ingest_file_is_named_by_digest(
        self, client: TestClient, login: Login, world: World, chain: Chain
    ) -> None:
        event = client.get(
            f"/api/v1/lineage/runs/{chain.runs['ingest']}/openlineage",
            headers=login(world.city_a_admin),
        ).json()
        (source,) = event["inputs"]
        assert source["namespace"] == "file"
        assert source["name"].startswith("sha256:")

    @pytest.mark.parametrize("who", ["anonymous", "city_b_admin"])
    def test_a_run_out_of_scope_looks_missing(
        self, client: TestClient, login: Login, world: World, chain: Chain, who: str
    ) -> None:
        headers = {} if who == "anonymous" else login(getattr(world, who))
        for suffix in ("", "/openlineage"):
            foreign = client.get(
                f"/api/v1/lineage/runs/{chain.runs['join']}{suffix}", headers=headers
            )
            missing = client.get(f"/api/v1/lineage/runs/{uuid.uuid4()}{suffix}", headers=headers)
            assert foreign.status_code == missing.status_code == 404
            assert foreign.json()["detail"] == missing.json()["detail"]
