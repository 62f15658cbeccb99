"""The lineage page: the graph's data, the column view, scope, and the link from the resource."""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.browsing import HTML, SignIn
from tests.data.helpers import make_resource
from tests.data.lineage.helpers import Chain, build_chain
from tests.factories import World


@pytest.fixture
def chain(session: Session, world: World) -> Chain:
    return build_chain(session, world)


def _graph(page: str) -> dict[str, Any]:
    match = re.search(r'data-graph="([^"]*)"', page)
    assert match, "the page has no graph"
    data: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return data


class TestLineagePage:
    def test_the_resource_page_links_to_it(
        self, world: World, chain: Chain, sign_in: SignIn
    ) -> None:
        browser = sign_in(world.city_a_admin)
        page = browser.get(f"/catalog/resources/{chain.raw_resource.id}").text
        assert f'href="/catalog/resources/{chain.raw_resource.id}/lineage"' in page

    def test_datasets_view_draws_every_layer(
        self, world: World, chain: Chain, sign_in: SignIn
    ) -> None:
        browser = sign_in(world.city_a_admin)
        response = browser.get(f"/catalog/resources/{chain.raw_resource.id}/lineage")
        assert response.status_code == 200
        data = _graph(response.text)
        names = {n["name"] for n in data["nodes"]}
        assert {"企业登记原始库 v1", "企业登记原始库 v2", "企业数量统计 v1", "清洗"} <= names
        assert "受限数据集" in names  # city B's register
        assert "宁波" not in response.text
        xs = {n["id"]: n["x"] for n in data["nodes"]}
        assert all(xs[link["source"]] < xs[link["target"]] for link in data["links"])
        aggregate = next(n for n in data["nodes"] if n["name"] == "企业数量统计 v1")
        assert aggregate["url"] == f"/catalog/resources/{chain.open_resource.id}/lineage"

    def test_column_view_and_english(self, world: World, chain: Chain, sign_in: SignIn) -> None:
        browser = sign_in(world.city_a_admin)
        browser.cookies.set("govhub_lang", "en")
        response = browser.get(
            f"/catalog/resources/{chain.open_resource.id}/lineage",
            params={"view": "columns", "column": "zczb_sum", "direction": "up"},
        )
        assert response.status_code == 200
        assert "Lineage of" in response.text
        data = _graph(response.text)
        assert sorted(n["name"] for n in data["nodes"]) == ["zczb", "zczb", "zczb", "zczb_sum"]
        assert {link["expression"] for link in data["links"]} == {"sum(zczb)", "trim(zczb)", ""}

    def test_another_city_sees_placeholders_and_a_closed_resource_is_missing(
        self, world: World, chain: Chain, sign_in: SignIn
    ) -> None:
        browser = sign_in(world.city_b_admin)
        response = browser.get(f"/catalog/resources/{chain.open_resource.id}/lineage")
        assert response.status_code == 200
        assert "企业登记原始库" not in response.text
        assert "data-restricted" in response.text
        closed = browser.get(f"/catalog/resources/{chain.raw_resource.id}/lineage")
        missing = browser.get(f"/catalog/resources/{uuid.uuid4()}/lineage")
        assert closed.status_code == missing.status_code == 404

    def test_bad_query_and_anonymous(
        self, world: World, chain: Chain, sign_in: SignIn, client: TestClient
    ) -> None:
        url = f"/catalog/resources/{chain.open_resource.id}/lineage"
        anonymous = client.get(url, headers=HTML, follow_redirects=False)
        assert anonymous.status_code in (302, 303, 401)
        browser = sign_in(world.city_a_admin)
        assert browser.get(url, params={"depth": 0}).status_code == 422
        assert browser.get(url, params={"view": "tree"}).status_code == 422

    def test_a_resource_without_lineage_says_so(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:

        resource = make_resource(session, world, title="空资源")
        page = sign_in(world.city_a_admin).get(f"/catalog/resources/{resource.id}/lineage").text
        assert "data-empty" in page
