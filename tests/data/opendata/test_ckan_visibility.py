"""Non-public datasets never appear: not in lists, searches, counts, facets, tags or lookups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.data.catalog.models import Resource
from govhub.data.opendata import service
from tests.data.opendata.conftest import Catalog, add_version, publish
from tests.factories import World


def result(client: TestClient, name: str, **params: Any) -> Any:
    """Call an action by GET and return its result."""
    response = client.get(f"/api/3/action/{name}", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return body["result"]


class TestNothingHiddenLeaks:
    def test_lists_searches_and_facets(self, client: TestClient, catalog: Catalog) -> None:
        public = {"a-scjg-0001", "a-scjg-0002"}
        assert set(result(client, "package_list")) == public
        facets = '["organization", "groups", "tags", "res_format", "license_id"]'
        found = result(client, "package_search", **{"facet.field": facets, "rows": 1000})
        assert found["count"] == 2
        assert {p["name"] for p in found["results"]} == public
        assert found["facets"]["organization"] == {"a-scjg": 2}
        assert found["facets"]["res_format"] == {"CSV": 2}
        # The hidden ones carry the keyword 企业 and the word 秘密 (secret).
        assert found["facets"]["tags"] == {"企业": 1, "登记": 1, "运输": 1}
        assert result(client, "package_search", q="秘密")["count"] == 0
        assert result(client, "package_search", fq="tags:秘密")["count"] == 0
        assert result(client, "package_search", q="已撤回")["count"] == 0
        assert "秘密" not in result(client, "tag_list")
        [org] = result(client, "organization_list", all_fields=True)
        assert org["package_count"] == 2
        groups = {
            g["name"]: g["package_count"] for g in result(client, "group_list", all_fields=True)
        }
        assert sum(groups.values()) == 3

    def test_hidden_answer_exactly_like_unknown(self, client: TestClient, catalog: Catalog) -> None:
        unknown = client.get(
            "/api/action/package_show", params={"id": "00000000-0000-4000-8000-000000000000"}
        ).json()
        for hidden in catalog.hidden:
            for key in (str(hidden.id), hidden.identifier, hidden.identifier.lower()):
                response = client.get("/api/action/package_show", params={"id": key})
                assert response.status_code == 404
                assert response.json()["error"] == unknown["error"]
            found = result(client, "package_search", fq=f"id:{hidden.id}")
            assert found["count"] == 0
        for version in catalog.hidden_versions:
            response = client.get("/api/action/resource_show", params={"id": str(version)})
            assert response.status_code == 404

    def test_an_organization_with_only_hidden_data_is_not_listed(
        self, client: TestClient, session: Session, world: World, tmp_path: Path
    ) -> None:
        publish(
            session, world, tmp_path, opening_type="not_open", account=world.city_b_admin,
            division_codes=["330200"],
        )  # fmt: skip
        assert result(client, "organization_list") == []
        response = client.get("/api/action/organization_show", params={"id": "b-scjg"})
        assert response.status_code == 404


class TestReleaseGate:
    def test_a_resource_with_personal_fields_is_never_public(
        self, client: TestClient, session: Session, catalog: Catalog
    ) -> None:
        """Even opened by a direct write, a resource with personal fields stays hidden."""
        resource = session.get(Resource, catalog.public.id)
        assert resource is not None
        resource.fields = [
            *resource.fields,
            {"name": "fddbr", "type": "string", "is_personal": True},
        ]
        session.flush()
        assert "a-scjg-0001" not in result(client, "package_list")
        response = client.get("/api/action/package_show", params={"id": "a-scjg-0001"})
        assert response.status_code == 404


class TestHarvestFields:
    def test_metadata_modified_follows_new_data(
        self, client: TestClient, session: Session, world: World, tmp_path: Path,
        catalog: Catalog,
    ) -> None:  # fmt: skip
        before = result(client, "package_show", id="a-scjg-0001")["metadata_modified"]
        add_version(session, world, tmp_path, catalog.public)
        session.flush()
        after = result(client, "package_show", id="a-scjg-0001")
        assert after["metadata_modified"] > before
        assert after["num_resources"] == 2
        since = f"metadata_modified:[{after['metadata_modified']}Z TO *]"
        found = result(client, "package_search", fq=since)
        assert [p["name"] for p in found["results"]] == ["a-scjg-0001"]
        newest = result(client, "package_search", sort="metadata_modified desc")
        assert newest["results"][0]["name"] == "a-scjg-0001"

    def test_fielded_queries(self, client: TestClient, catalog: Catalog) -> None:
        assert result(client, "package_search", q="name:a-scjg-0002")["count"] == 1
        assert result(client, "package_search", fq="+dataset_type:dataset")["count"] == 2
        assert result(client, "package_search", fq="-groups:transport")["count"] == 1
        assert result(client, "package_search", fq='license_id:"CC0-1.0"')["count"] == 1
        assert (
            result(client, "package_search", fq="organization:a-scjg res_format:CSV")["count"] == 2
        )
        assert result(client, "package_search", fq="res_format:XLS")["count"] == 0
        found = result(client, "package_search", sort="name desc", rows=1, start=1)
        assert [p["name"] for p in found["results"]] == ["a-scjg-0001"]
        assert found["count"] == 2


class TestPublicQuery:
    def test_is_the_single_definition(self, session: Session, catalog: Catalog) -> None:
        ids = set(session.scalars(select(Resource.id).where(service.public_condition())))
        assert ids == {catalog.public.id, catalog.public_two.id}


class TestPagingCounts:
    """The total is the same whichever way the page is read (window count, own count,
    facets), hidden datasets never count, and a page past the end is empty."""

    def test_count_with_every_order_and_page(self, client: TestClient, catalog: Catalog) -> None:
        names = ["a-scjg-0001", "a-scjg-0002"]
        for sort in ("id asc", "metadata_modified desc", "title asc", "name desc"):
            pages = [result(client, "package_search", sort=sort, rows=1, start=s) for s in (0, 1)]
            assert [p["count"] for p in pages] == [2, 2]
            assert sorted(p["results"][0]["name"] for p in pages) == names
            past = result(client, "package_search", sort=sort, rows=1, start=2)
            assert (past["count"], past["results"]) == (2, [])
            assert result(client, "package_search", sort=sort, rows=0)["count"] == 2
        by_name = result(client, "package_search", sort="name desc", rows=2)
        assert [p["name"] for p in by_name["results"]] == names[::-1]
        faceted = result(client, "package_search", rows=1, start=1, **{"facet.field": '["tags"]'})
        assert (faceted["count"], len(faceted["results"])) == (2, 1)
        assert result(client, "package_search", q="秘密", sort="title asc")["count"] == 0
