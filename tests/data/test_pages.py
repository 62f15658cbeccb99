"""Catalog pages: search with facets, the resource page, the create and edit forms."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.data.catalog.models import Resource
from tests.browsing import SignIn, csrf_from
from tests.data.helpers import OPEN, make_resource
from tests.factories import World

FORM = {
    "title": "社区人口统计",
    "title_en": "Population by community",
    "description": "按社区统计的常住人口",
    "update_frequency": "quarterly",
    "keywords": "人口, 社区 常住",
    "division_codes": "330100 330102",
    "sharing_type": "conditional",
    "sharing_conditions": "仅用于公共服务规划",
    "opening_type": "not_open",
    "security_class": "important",
    "sensitivity": "internal",
    "themes": ["population", "social_security"],
    "fields_text": "sqdm | string | division_code | | 社区代码\nczrk | integer | | | 常住人口数",
}


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Resource)) or 0


class TestSearchPage:
    def test_facets_and_results(self, session: Session, world: World, sign_in: SignIn) -> None:
        make_resource(session, world)
        make_resource(session, world, title="企业名录", themes=["market"], **OPEN)
        browser = sign_in(world.city_a_official)
        page = browser.get("/catalog")
        assert page.status_code == 200
        assert page.text.count("data-identifier=") == 2
        assert re.search(r'data-facet="theme" data-value="credit">\s*<span>[^<]+</span>'
                         r'<span class="badge">1</span>', page.text)  # fmt: skip
        filtered = browser.get("/catalog", params={"theme": "credit", "q": "企业"})
        assert filtered.text.count("data-identifier=") == 1
        assert 'aria-current="true"' in filtered.text
        assert browser.get("/catalog", params={"theme": "astrology"}).status_code == 422

    def test_english_page(self, session: Session, world: World, sign_in: SignIn) -> None:
        make_resource(session, world)
        browser = sign_in(world.city_a_official)
        browser.cookies.set("govhub_lang", "en")
        page = browser.get("/catalog")
        assert "Enterprise register" in page.text
        assert "Data catalog" in page.text
        browser.cookies.set("govhub_lang", "zh_CN")
        assert "数据目录" in browser.get("/catalog").text

    def test_anonymous_goes_to_login_and_citizens_are_forbidden(self, browser: TestClient) -> None:
        response = browser.get("/catalog")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")

    def test_the_nav_and_workbench_lead_to_the_catalog(self, world: World, sign_in: SignIn) -> None:
        page = sign_in(world.city_a_official).get("/workbench")
        assert 'href="/catalog"' in page.text
        assert 'id="wb-catalog"' in page.text


class TestResourcePage:
    def test_full_view_versions_and_edit_link(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        resource = make_resource(session, world)
        browser = sign_in(world.city_a_admin)
        page = browser.get(f"/catalog/resources/{resource.id}")
        assert page.status_code == 200
        assert "A-SCJG-0001" in page.text
        assert "0571-87000000" in page.text
        assert f'href="/catalog/resources/{resource.id}/edit"' in page.text

    def test_public_view_beyond_scope(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        opened = make_resource(session, world, **OPEN)
        closed = make_resource(session, world)
        browser = sign_in(world.city_b_admin)
        page = browser.get(f"/catalog/resources/{opened.id}")
        assert page.status_code == 200
        assert "0571-87000000" not in page.text
        assert 'data-field="sharing"' not in page.text
        assert "/edit" not in page.text
        assert browser.get(f"/catalog/resources/{closed.id}").status_code == 404
        assert browser.get(f"/catalog/resources/{opened.id}?version=1").status_code == 200
        assert browser.get(f"/catalog/resources/{closed.id}/edit").status_code == 404


class TestForms:
    def test_create_through_the_form(self, session: Session, world: World, sign_in: SignIn) -> None:
        browser = sign_in(world.city_a_admin)
        token = csrf_from(browser.get("/catalog/new").text)
        response = browser.post("/catalog/new", data={**FORM, "csrf_token": token})
        assert response.status_code == 303, response.text
        page = browser.get(response.headers["location"])
        assert "社区人口统计" in page.text
        assert "sqdm" in page.text
        resource = session.scalar(select(Resource).where(Resource.title == "社区人口统计"))
        assert resource is not None
        assert resource.keywords == ["人口", "社区", "常住"]
        assert resource.division_codes == ["330100", "330102"]
        assert [t.value for t in resource.themes] == ["population", "social_security"]
        assert resource.fields[0]["element_code"] == "division_code"

    def test_bad_form_shows_errors_and_changes_nothing(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        browser = sign_in(world.city_a_admin)
        token = csrf_from(browser.get("/catalog/new").text)
        before = _count(session)
        for change in ({"title": ""}, {"fields_text": "a | string | nope"},
                       {"fields_text": "a|b|c|d|e|f"}, {"division_codes": "330200"},
                       {"title": "<b>x</b>", "sharing_conditions": ""}):  # fmt: skip
            response = browser.post("/catalog/new", data={**FORM, **change, "csrf_token": token})
            assert response.status_code == 422, change
            assert 'role="alert"' in response.text
            assert "<b>x</b>" not in response.text
        assert _count(session) == before

    def test_a_form_without_csrf_is_refused(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        browser = sign_in(world.city_a_admin)
        before = _count(session)
        assert browser.post("/catalog/new", data=FORM).status_code == 403
        assert _count(session) == before

    def test_edit_makes_a_new_version(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        resource = make_resource(session, world)
        browser = sign_in(world.city_a_admin)
        form_page = browser.get(f"/catalog/resources/{resource.id}/edit")
        assert form_page.status_code == 200
        assert "tyshxydm | string | uscc" in form_page.text
        assert "fddbr | string | chinese_name | yes | 法定代表人" in form_page.text
        token = csrf_from(form_page.text)
        data = {**FORM, "sharing_type": "unconditional", "base_version": "1",
                "csrf_token": token}  # fmt: skip
        response = browser.post(f"/catalog/resources/{resource.id}/edit", data=data)
        assert response.status_code == 303, response.text
        session.refresh(resource)
        assert (resource.version, resource.title) == (2, "社区人口统计")
        old = browser.get(f"/catalog/resources/{resource.id}?version=1")
        assert "企业登记信息" in old.text
        assert 'role="status"' in old.text

    def test_officials_without_edit_rights_get_403(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        resource = make_resource(session, world)
        browser = sign_in(world.city_a_official)
        assert browser.get("/catalog/new").status_code == 403
        assert browser.get(f"/catalog/resources/{resource.id}/edit").status_code == 403
