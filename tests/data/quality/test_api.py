"""Quality API: rules in YAML, JSON and Table Schema, runs, trend, samples; bad input is 4xx."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import frictionless
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.data.catalog.models import Resource
from govhub.data.quality.models import QualityRules
from govhub.identity.models import Account
from tests.data.helpers import make_resource
from tests.data.quality.test_service import fields, publish, register_csv
from tests.factories import World

Login = Callable[[Account], dict[str, str]]
PROBLEM = "application/problem+json"


@pytest.fixture
def resource(session: Session, world: World, tmp_path: Path) -> Resource:
    resource = make_resource(session, world, fields=fields())
    publish(session, world, resource, register_csv(tmp_path / "r.csv"))
    return resource


def _url(resource: Resource, tail: str) -> str:
    return f"/api/v1/catalog/resources/{resource.id}/quality/{tail}"


class TestRules:
    def test_put_yaml_then_json_and_read_back(
        self, client: TestClient, login: Login, world: World, resource: Resource
    ) -> None:
        headers = login(world.city_a_admin)
        yaml_body = "version: 1\nkeys: [tyshxydm]\nfields:\n  qymc: {required: true}\n"
        put = client.put(
            _url(resource, "rules"),
            headers={**headers, "content-type": "application/yaml"},
            content=yaml_body,
        )
        assert put.status_code == 200, put.text
        assert put.json()["declared"]["keys"] == ["tyshxydm"]
        assert put.json()["effective"]["fields"]["tyshxydm"] == {"element": "uscc"}
        put = client.put(_url(resource, "rules"), headers=headers, json={"expected_rows": 5})
        assert put.status_code == 200
        got = client.get(_url(resource, "rules"), headers=login(world.city_a_official)).json()
        assert got["declared"] == {"version": 1, "expected_rows": 5}
        assert got["digest"].startswith("sha256:")

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ("version: 1\nfields:\n  a: {required: maybe}\n", "fields.a.required"),
            ("fields: {a: {required: true\n", ""),
            ('{"checks": [{"name": "x", "expr": "1=1; DROP TABLE dataset"}]}', "checks.0"),
            (
                '{"checks": [{"name": "x", "expr": "a IN (SELECT code FROM ref_divisions)"}]}',
                "checks.0",
            ),
            (
                '{"checks": [{"name": "x", "expr": "read_csv(\'/etc/passwd\') IS NULL"}]}',
                "checks.0",
            ),
            ('{"fields": {"a": {"element": "no_such_element"}}}', "fields.a.element"),
            ("", "body"),
        ],
    )
    def test_bad_rules_answer_a_problem_and_change_nothing(
        self,
        client: TestClient,
        login: Login,
        world: World,
        resource: Resource,
        session: Session,
        body: str,
        field: str,
    ) -> None:
        response = client.put(
            _url(resource, "rules"), headers=login(world.city_a_admin), content=body.encode()
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["errors"][0]["field"] == field
        assert session.get(QualityRules, resource.id) is None

    def test_table_schema_export_and_import(
        self, client: TestClient, login: Login, world: World, resource: Resource
    ) -> None:
        headers = login(world.city_a_admin)
        client.put(
            _url(resource, "rules"),
            headers=headers,
            json={"keys": ["tyshxydm"], "fields": {"qymc": {"max_length": 50}}},
        )
        exported = client.get(_url(resource, "table-schema"), headers=headers).json()
        assert frictionless.validate(exported, type="schema").valid
        assert exported["primaryKey"] == ["tyshxydm"]
        exported["fields"].append({"name": "zczb", "type": "number", "constraints": {"minimum": 0}})
        put = client.put(_url(resource, "table-schema"), headers=headers, json=exported)
        assert put.status_code == 200, put.text
        assert put.json()["declared"]["fields"]["zczb"] == {"type": "number", "minimum": 0.0}
        bad = client.put(_url(resource, "table-schema"), headers=headers, content=b"{nope")
        assert bad.status_code == 422
        bad = client.put(
            _url(resource, "table-schema"),
            headers=headers,
            json={"fields": [{"name": "a", "type": "colour"}]},
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "fields.0.type"


class TestAssessments:
    def test_run_list_and_get_with_samples(
        self, client: TestClient, login: Login, world: World, resource: Resource
    ) -> None:
        headers = login(world.city_a_admin)
        run = client.post(_url(resource, "assessments"), headers=headers)
        assert run.status_code == 201, run.text
        body = run.json()
        assert body["dataset_version"] == 1
        check = next(c for c in body["checks"] if c["name"] == "tyshxydm.element")
        assert check["failed"] == 4
        assert len(check["samples"]) == 4
        listed = client.get(_url(resource, "assessments"), headers=headers).json()
        assert listed[0]["id"] == body["id"]
        assert len(listed) == 2
        one = client.get(_url(resource, f"assessments/{body['id']}"), headers=headers)
        assert one.json()["checks"] == body["checks"]
        masked = client.get(
            _url(resource, f"assessments/{body['id']}"), headers=login(world.platform_admin)
        ).json()
        sample = next(c for c in masked["checks"] if c["name"] == "tyshxydm.element")["samples"][0]
        assert "*" in sample["sfzh"]
        assert "*" not in sample["tyshxydm"]

    def test_version_parameter_and_unknown_ids(
        self, client: TestClient, login: Login, world: World, resource: Resource
    ) -> None:
        headers = login(world.city_a_admin)
        assert (
            client.post(_url(resource, "assessments?version=1"), headers=headers).status_code == 201
        )
        missing = client.post(_url(resource, "assessments?version=9"), headers=headers)
        assert missing.status_code == 404
        bad = client.post(_url(resource, "assessments?version=abc"), headers=headers)
        assert bad.status_code == 422
        other = "00000000-0000-0000-0000-000000000000"
        gone = client.get(_url(resource, f"assessments/{other}"), headers=headers)
        assert gone.status_code == 404
        assert gone.headers["content-type"].startswith(PROBLEM)

    def test_foreign_and_anonymous_callers_see_nothing_of_a_closed_resource(
        self, client: TestClient, login: Login, world: World, resource: Resource
    ) -> None:
        for headers in ({}, login(world.city_b_admin), login(world.county_a_official)):
            response = client.get(_url(resource, "assessments"), headers=headers)
            assert response.status_code == 404
        assert (
            client.get(_url(resource, "rules"), headers=login(world.city_b_admin)).status_code
            == 404
        )
        denied = client.post(_url(resource, "assessments"), headers=login(world.city_a_official))
        assert denied.status_code == 403
