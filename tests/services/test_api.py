"""HTTP tests of online services and the GovStack Registration mirror."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.identity.models import Account
from govhub.services.models import Application, Material
from tests.factories import World
from tests.services.helpers import PDF, Catalog, build_catalog, resident, restaurant_form

Login = Callable[[Account], dict[str, str]]
PROBLEM = "application/problem+json"


@pytest.fixture
def catalog(session: Session, world: World) -> Catalog:
    return build_catalog(session, world)


@pytest.fixture
def citizen(session: Session) -> Account:
    return resident(session)


def _upload(client: TestClient, headers: dict[str, str], code: str = "premises") -> str:
    response = client.post(
        "/api/v1/services/documents",
        headers=headers,
        files={"file": (f"{code}.pdf", PDF, "application/pdf")},
        data={"material_code": code},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _body(document: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "matter_code": "SC-001",
        "division_code": "330100",
        "form": restaurant_form(),
        "document_ids": [document],
    }
    body.update(overrides)
    return body


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Application)) or 0


class TestCatalogApi:
    def test_matters_bundles_and_search_are_public(
        self, client: TestClient, catalog: Catalog
    ) -> None:
        matters = client.get("/api/v1/services/matters").json()
        assert len(matters) >= 30
        one = client.get("/api/v1/services/matters/SC-003").json()
        assert one["form_schema"]["required"][:2] == ["applicant_name", "phone"]
        assert client.get("/api/v1/services/matters/NOPE").status_code == 404
        bundles = client.get("/api/v1/services/bundles").json()
        assert {b["code"] for b in bundles} == {"YJS-CANYIN", "YJS-CHUSHENG", "YJS-GOUFANG"}
        canyin = client.get("/api/v1/services/bundles/YJS-CANYIN").json()
        assert canyin["matter_codes"] == ["SC-001", "SC-003", "GA-004", "ZF-001"]
        assert client.get("/api/v1/services/bundles/NOPE").status_code == 404
        missing = client.get(
            "/api/v1/govstack/registration/services/" + str(uuid.uuid4()) + "/eForms"
        )
        assert missing.status_code == 404
        hits = client.get("/api/v1/services/search", params={"q": "我要买房 过户"}).json()
        assert hits[0]["code"] == "ZF-002"
        assert client.get("/api/v1/services/search", params={"q": " "}).json() == []
        too_long = client.get("/api/v1/services/search", params={"q": "办" * 201})
        assert too_long.status_code == 422


class TestApplyApi:
    def test_apply_track_and_approve(
        self, client: TestClient, login: Login, catalog: Catalog, citizen: Account, world: World
    ) -> None:
        me = login(citizen)
        document = _upload(client, me)
        created = client.post("/api/v1/services/applications", headers=me, json=_body(document))
        assert created.status_code == 201, created.text
        application = created.json()
        assert application["status"] == "in_review"
        assert application["tasks"][0]["step"] == "accept"
        admin = login(world.city_a_admin)
        for outcome in ("accept", "approve", "approve"):
            [task] = client.get("/api/v1/services/tasks", headers=admin).json()["items"]
            done = client.post(
                f"/api/v1/services/tasks/{task['id']}/complete",
                headers=admin,
                json={"outcome": outcome},
            )
            assert done.status_code == 200, done.text
        mine = client.get(f"/api/v1/services/applications/{application['id']}", headers=me)
        assert mine.json()["status"] == "approved"
        assert [
            a["id"] for a in client.get("/api/v1/services/applications", headers=me).json()
        ] == [application["id"]]
        stats = client.get("/api/v1/services/statistics", headers=admin).json()
        assert stats["applications"] == {"approved": 1}

    def test_double_submission_is_one_application(
        self, client: TestClient, login: Login, catalog: Catalog, citizen: Account, session: Session
    ) -> None:
        me = login(citizen)
        body = _body(_upload(client, me))
        keyed = {**me, "Idempotency-Key": "submit-0001"}
        first = client.post("/api/v1/services/applications", headers=keyed, json=body)
        again = client.post("/api/v1/services/applications", headers=keyed, json=body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"]
        changed = {**body, "form": {**body["form"], "scope": "零售"}}
        clash = client.post("/api/v1/services/applications", headers=keyed, json=changed)
        assert clash.status_code == 409
        assert clash.headers["content-type"].startswith(PROBLEM)
        unkeyed = client.post("/api/v1/services/applications", headers=me, json=body)
        assert unkeyed.status_code == 409
        assert _count(session) == 1

    def test_bad_input_answers_problems_and_changes_nothing(
        self, client: TestClient, login: Login, catalog: Catalog, citizen: Account, session: Session
    ) -> None:
        me = login(citizen)
        document = _upload(client, me)
        bad_form = _body(document, form={**restaurant_form(), "phone": "call me"})
        response = client.post("/api/v1/services/applications", headers=me, json=bad_form)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["errors"][0]["field"] == "form.phone"
        missing = client.post(
            "/api/v1/services/applications", headers=me, json=_body(document, document_ids=[])
        )
        assert missing.status_code == 422
        assert "premises" in missing.json()["detail"]
        elsewhere = client.post(
            "/api/v1/services/applications",
            headers=me,
            json=_body(document, division_code="330000"),
        )
        assert elsewhere.status_code == 404
        wrong_type = client.post(
            "/api/v1/services/documents",
            headers=me,
            files={"file": ("x.pdf", b"<html></html>", "application/pdf")},
        )
        assert wrong_type.status_code == 422
        assert _count(session) == 0
        assert session.scalar(select(func.count()).select_from(Material)) == 1

    def test_wrong_department_gets_not_found(
        self, client: TestClient, login: Login, catalog: Catalog, citizen: Account, world: World
    ) -> None:
        me = login(citizen)
        client.post("/api/v1/services/applications", headers=me, json=_body(_upload(client, me)))
        [task] = client.get("/api/v1/services/tasks", headers=login(world.city_a_admin)).json()[
            "items"
        ]
        for outsider in (world.city_b_admin, catalog.fire_approver):
            headers = login(outsider)
            assert client.get("/api/v1/services/tasks", headers=headers).json()["total"] == 0
            response = client.post(
                f"/api/v1/services/tasks/{task['id']}/complete",
                headers=headers,
                json={"outcome": "accept"},
            )
            assert response.status_code == 404
        not_waiting = client.put(
            f"/api/v1/services/applications/{task['application_id']}",
            headers=me,
            json={"form": restaurant_form()},
        )
        assert not_waiting.status_code == 409
        forbidden = client.post(
            f"/api/v1/services/tasks/{task['id']}/complete",
            headers=login(world.city_a_official),
            json={"outcome": "accept"},
        )
        assert forbidden.status_code == 403
        still = client.get("/api/v1/services/tasks", headers=login(world.city_a_admin)).json()
        assert still["items"][0]["status"] == "open"


class TestGovStack:
    def test_registration_paths(
        self,
        client: TestClient,
        login: Login,
        catalog: Catalog,
        citizen: Account,
        world: World,
        session: Session,
    ) -> None:
        base = "/api/v1/govstack/registration"
        services = client.get(f"{base}/services").json()
        sc001 = next(s for s in services if s["code"] == "SC-001")
        forms = client.get(f"{base}/services/{sc001['id']}/eForms").json()
        assert forms[0]["schema"]["type"] == "object"
        me = login(citizen)
        document = client.post(
            f"{base}/documents",
            headers=me,
            files={"file": ("premises.pdf", PDF, "application/pdf")},
            data={"material_code": "premises"},
        ).json()
        created = client.post(
            f"{base}/services/{sc001['id']}/applications",
            headers=me,
            json={
                "divisionCode": "330100",
                "eFormData": restaurant_form(),
                "documentIds": [document["documentId"]],
            },
        )
        assert created.status_code == 201, created.text
        file_id = created.json()["fileId"]
        assert [a["fileId"] for a in client.get(f"{base}/applications", headers=me).json()] == [
            file_id
        ]
        admin = login(world.city_a_admin)
        [task] = client.get(f"{base}/tasks", headers=admin).json()
        assert (task["fileId"], task["name"]) == (file_id, "accept")
        returned = client.post(
            f"{base}/tasks/{task['id']}/complete",
            headers=admin,
            json={"outcome": "correct", "comment": "请补充经营范围"},
        )
        assert returned.json()["status"] == "completed"
        assert client.get(f"{base}/applications/{file_id}", headers=me).json()["status"] == (
            "correction"
        )
        corrected = client.put(
            f"{base}/applications/{file_id}",
            headers=me,
            json={"eFormData": {**restaurant_form(), "scope": "餐饮服务"}},
        )
        assert corrected.json()["status"] == "in_review"
        stats = client.get(f"{base}/data/statistics/1.0", headers=admin).json()
        assert stats["applications"] == {"in_review": 1}
        other = login(resident(session))
        assert client.get(f"{base}/applications/{file_id}", headers=other).status_code == 404
