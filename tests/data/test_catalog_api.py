"""Catalog API: create, read by view, edit into versions, search, bad input, scope."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.data.catalog.models import Resource, ResourceVersion
from govhub.identity.models import Account
from tests.data.helpers import OPEN, make_resource, resource_body
from tests.factories import World

Login = Callable[[Account], dict[str, str]]
RESOURCES = "/api/v1/catalog/resources"
NON_PUBLIC = {"sharing_type", "security_class", "sensitivity", "contact_name", "contact_phone",
              "contact_email", "sharing_conditions", "opening_conditions"}  # fmt: skip


def _counts(session: Session) -> tuple[int, int]:
    resources = session.scalar(select(func.count()).select_from(Resource)) or 0
    versions = session.scalar(select(func.count()).select_from(ResourceVersion)) or 0
    return resources, versions


class TestCreateAndRead:
    def test_create_then_read_in_full_within_scope(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        response = client.post(RESOURCES, json=resource_body(), headers=login(world.city_a_admin))
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["view"] == "full"
        assert created["identifier"] == "A-SCJG-0001"
        assert created["department"]["code"] == "A-SCJG"
        assert created["fields"][2] == {
            "name": "fddbr",
            "type": "string",
            "description": "法定代表人",
            "element_code": "chinese_name",
            "is_personal": True,
        }
        read = client.get(f"{RESOURCES}/{created['id']}", headers=login(world.city_a_leader))
        assert read.status_code == 200
        assert read.json()["contact_phone"] == "0571-87000000"

    def test_the_public_reads_public_metadata_of_open_resources_only(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        opened = make_resource(session, world, **OPEN)
        closed = make_resource(session, world)
        public = client.get(f"{RESOURCES}/{opened.id}")
        assert public.status_code == 200
        body = public.json()
        assert body["view"] == "public"
        assert NON_PUBLIC.isdisjoint(body)
        assert "is_personal" not in body["fields"][0]
        hidden = client.get(f"{RESOURCES}/{closed.id}")
        assert hidden.status_code == 404
        assert (
            hidden.json()["detail"] == client.get(f"{RESOURCES}/{closed.id}0"[:-1]).json()["detail"]
        )

    def test_another_divisions_official_gets_404_for_closed_and_public_view_for_open(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        opened = make_resource(session, world, **OPEN)
        closed = make_resource(session, world)
        headers = login(world.city_b_admin)
        assert client.get(f"{RESOURCES}/{closed.id}", headers=headers).status_code == 404
        view = client.get(f"{RESOURCES}/{opened.id}", headers=headers).json()
        assert view["view"] == "public"
        for path in (f"{RESOURCES}/{closed.id}/versions", f"{RESOURCES}/{opened.id}/versions/1"):
            assert client.get(path, headers=headers).status_code == 404

    def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        headers = login(world.city_a_admin)
        before = _counts(session)
        cases = {
            "fields.0.element_code": resource_body(fields=[{"name": "a", "element_code": "x"}]),
            "fields.0.name": resource_body(fields=[{"name": "<script>"}]),
            "themes.0": resource_body(themes=["astrology"]),
            "keywords": resource_body(keywords=[f"k{i}" for i in range(21)]),
            "division_codes": resource_body(division_codes=["330200"]),
            "title": resource_body(title=""),
            "contact_email": resource_body(contact_email="not-an-address"),
            "department_id": resource_body(department_id="not-a-uuid"),
        }
        for field, body in cases.items():
            response = client.post(RESOURCES, json=body, headers=headers)
            assert response.status_code == 422, (field, response.text)
            fields = [e["field"] for e in response.json()["errors"]]
            assert any(f.startswith(field) for f in fields), (field, fields)
        assert _counts(session) == before

    def test_hostile_strings_are_stored_as_text_and_escaped_on_pages(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        hostile = "<script>alert(1)</script>'; DROP TABLE catalog_resources; --"
        headers = login(world.city_a_admin)
        response = client.post(RESOURCES, json=resource_body(title=hostile), headers=headers)
        assert response.status_code == 201
        assert response.json()["title"] == hostile
        page = client.get(f"/catalog/resources/{response.json()['id']}", headers=headers)
        assert "<script>alert(1)" not in page.text
        assert "&lt;script&gt;alert(1)" in page.text

    def test_another_departments_id_is_404(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        before = _counts(session)
        body = resource_body(department_id=str(world.city_a_tax.id))
        response = client.post(RESOURCES, json=body, headers=login(world.city_a_admin))
        assert response.status_code == 404
        assert _counts(session) == before


class TestDcat:
    def test_open_resource_as_a_dcat_dataset(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        resource = make_resource(session, world, temporal_start="2020-01-01", **OPEN)
        public = client.get(f"{RESOURCES}/{resource.id}/dcat")
        assert public.status_code == 200
        assert public.headers["content-type"].startswith("application/ld+json")
        body = public.json()
        assert body["@type"] == "dcat:Dataset"
        assert body["@id"].endswith(f"/api/v1/catalog/resources/{resource.id}")
        assert body["dct:identifier"] == "A-SCJG-0001"
        assert {"@value": "Enterprise register", "@language": "en"} in body["dct:title"]
        assert body["dct:accrualPeriodicity"]["@id"].endswith("/frequency/DAILY")
        assert body["dct:accessRights"]["@id"].endswith("/access-right/PUBLIC")
        assert body["dct:temporal"]["dcat:startDate"]["@value"] == "2020-01-01"
        assert body["dct:spatial"] == [{"@id": "urn:govhub:division:330100"}]
        assert "dcat:contactPoint" not in body
        full = client.get(f"{RESOURCES}/{resource.id}/dcat", headers=login(world.city_a_official))
        assert full.json()["dcat:contactPoint"]["vcard:hasTelephone"] == {
            "@id": "tel:0571-87000000"
        }

    def test_closed_resources_have_no_public_dcat(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        resource = make_resource(session, world)
        assert client.get(f"{RESOURCES}/{resource.id}/dcat").status_code == 404


class TestEdit:
    def test_patch_makes_versions_readable_one_by_one(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        resource = make_resource(session, world)
        headers = login(world.city_a_admin)
        path = f"{RESOURCES}/{resource.id}"
        patched = client.patch(path, json={"title": "企业登记信息（新）", "base_version": 1},
                               headers=headers)  # fmt: skip
        assert patched.status_code == 200, patched.text
        assert patched.json()["version"] == 2
        stale = client.patch(path, json={"title": "过时", "base_version": 1}, headers=headers)
        assert stale.status_code == 409
        history = client.get(f"{path}/versions", headers=login(world.city_a_official)).json()
        assert [v["version"] for v in history] == [2, 1]
        first = client.get(f"{path}/versions/1", headers=headers).json()
        assert first["resource"]["title"] == "企业登记信息"
        assert client.get(f"{path}/versions/3", headers=headers).status_code == 404
        assert client.get(f"{path}/versions/x", headers=headers).status_code == 404

    def test_bad_patches_change_nothing(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        resource = make_resource(session, world)
        headers = login(world.city_a_admin)
        path = f"{RESOURCES}/{resource.id}"
        before = _counts(session)
        for body in ({}, {"base_version": 1}, {"title": None}, {"opening_type": "open"},
                     {"fields": [{"name": "a", "element_code": "missing"}]},
                     {"identifier": "X-1"}):  # fmt: skip
            response = client.patch(path, json=body, headers=headers)
            assert response.status_code == 422, (body, response.text)
        assert _counts(session) == before

    def test_officials_without_edit_rights_are_forbidden(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        resource = make_resource(session, world)
        response = client.patch(f"{RESOURCES}/{resource.id}", json={"title": "改"},
                                headers=login(world.city_a_official))  # fmt: skip
        assert response.status_code == 403


class TestSearchApi:
    def test_search_with_text_and_facets(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        make_resource(session, world)
        make_resource(
            session,
            world,
            title="企业名录",
            title_en="Enterprise directory",
            themes=["market"],
            **OPEN,
        )
        official = client.get(RESOURCES, params={"q": "企业"}, headers=login(world.city_a_official))
        assert official.status_code == 200
        body = official.json()
        assert body["total"] == 2
        assert {f["value"]: f["count"] for f in body["facets"]["opening_type"]} == {
            "open": 1, "not_open": 1}  # fmt: skip
        anonymous = client.get(RESOURCES, params={"q": "enterprise"}).json()
        assert [i["title"] for i in anonymous["items"]] == ["企业名录"]
        assert anonymous["items"][0]["view"] == "public"
        by_theme = client.get(RESOURCES, params={"theme": "credit"},
                              headers=login(world.city_a_official)).json()  # fmt: skip
        assert by_theme["total"] == 1

    def test_bad_search_parameters_are_422(self, client: TestClient) -> None:
        cases: list[dict[str, str | int]] = [
            {"theme": "astrology"},
            {"q": "x" * 201},
            {"limit": 0},
            {"limit": 101},
            {"offset": -1},
            {"quality_grade": "A;B"},
            {"department_id": "nope"},
        ]
        for params in cases:
            response = client.get(RESOURCES, params=params)
            assert response.status_code == 422, params
            assert response.headers["content-type"].startswith("application/problem+json")
