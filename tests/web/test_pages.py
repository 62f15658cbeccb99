"""Shared pages of the web shell for anonymous visitors, citizens and officials."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.identity import service
from govhub.identity.models import Account
from govhub.web.nav import NAV, Audience
from tests.browsing import SignIn
from tests.factories import World
from tests.web.conftest import ID_NUMBER


def _stat(html: str, name: str) -> int:
    match = re.search(rf'data-stat="{name}">([\d,]+)<', html)
    assert match, f"no figure {name}"
    return int(match.group(1).replace(",", ""))


class TestHome:
    def test_anonymous_sees_offer_and_sign_in(self, browser: TestClient, world: World) -> None:
        response = browser.get("/", headers={"Accept-Language": "en"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        for audience in ("Citizens", "Enterprises", "Officials", "Developers"):
            assert f"<h3>{audience}</h3>" in html
        assert 'href="/login?next=%2F"' in html
        assert 'action="/logout"' not in html
        assert 'href="/workbench"><svg' not in html  # no workbench tab for anonymous visitors

    def test_live_counts_come_from_the_registry(
        self, browser: TestClient, world: World, session: Session
    ) -> None:
        counts = service.registry_counts(session)
        html = browser.get("/").text
        assert _stat(html, "divisions") == counts.divisions == 5
        assert _stat(html, "departments") == counts.departments == 5
        assert _stat(html, "officials") == counts.officials == 6

    def test_stats_fragment_refreshes_alone(self, browser: TestClient, world: World) -> None:
        response = browser.get("/fragments/home-stats")
        assert response.status_code == 200
        assert "<html" not in response.text
        assert 'hx-get="/fragments/home-stats"' in response.text

    def test_layout_assets_are_served_locally(self, browser: TestClient) -> None:
        html = browser.get("/").text
        assert "/static/vendor/htmx.min.js" in html
        assert "/static/css/govhub.css" in html
        assert "https://" not in re.sub(r'href="https?://[^"]*"', "", html).split("<body")[0]
        for path in ("/static/vendor/htmx.min.js", "/static/css/govhub.css"):
            assert browser.get(path).status_code == 200
        assert browser.get("/static/vendor/echarts.min.js").status_code == 200

    def test_pages_carry_security_headers(self, browser: TestClient) -> None:
        headers = browser.get("/").headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"

    def test_pages_stay_out_of_the_api_schema(self, browser: TestClient) -> None:
        paths = browser.app.openapi()["paths"]  # type: ignore[attr-defined]
        assert not {"/", "/login", "/logout", "/account", "/workbench"} & set(paths)


class TestNavigation:
    def test_every_section_is_a_finished_page(self, browser: TestClient) -> None:
        for item in NAV:
            response = browser.get(item.href, headers={"Accept-Language": "en"})
            if item.audience is not Audience.EVERYONE:
                assert response.status_code == 303, item.href  # sign in first
                continue
            assert response.status_code in {200, 303}, item.href
            if response.status_code == 200:
                assert 'aria-current="page"' in response.text, item.href

    def test_official_sees_workbench_tab(
        self, browser: TestClient, world: World, sign_in: SignIn
    ) -> None:
        sign_in(world.city_a_official)
        html = browser.get("/").text
        assert 'href="/workbench"' in html
        assert 'action="/logout"' in html


class TestWorkbench:
    def test_anonymous_is_sent_to_login(self, browser: TestClient) -> None:
        response = browser.get("/workbench")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Fworkbench"

    def test_official_sees_department_division_and_roles(
        self, browser: TestClient, world: World, sign_in: SignIn
    ) -> None:
        sign_in(world.county_a_official)
        response = browser.get("/workbench", headers={"Accept-Language": "en"})
        assert response.status_code == 200
        html = response.text
        assert f"Welcome, {world.county_a_official.display_name}" in html
        assert '<span data-field="department">A1-SCJG</span>' in html
        assert '<span data-field="division">上城区</span>' in html
        assert "Approver" in html
        assert 'id="wb-applications"' in html
        assert 'id="wb-officials"' not in html  # needs accounts:read

    def test_department_admin_gets_the_officials_card(
        self, browser: TestClient, world: World, sign_in: SignIn
    ) -> None:
        sign_in(world.city_a_admin)
        assert 'id="wb-officials"' in browser.get("/workbench").text

    def test_citizen_is_forbidden(
        self, browser: TestClient, citizen: Account, sign_in: SignIn
    ) -> None:
        sign_in(citizen)
        response = browser.get("/workbench", headers={"Accept-Language": "en"})
        assert response.status_code == 403
        assert "Permission denied" in response.text
        assert "Welcome," not in response.text
        assert citizen.display_name in response.text  # still signed in, in the header

    def test_api_clients_keep_problem_json(self, client: TestClient) -> None:
        response = client.get("/api/v1/me")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


class TestAccount:
    def test_anonymous_is_sent_to_login(self, browser: TestClient) -> None:
        response = browser.get("/account")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Faccount"

    def test_citizen_sees_masked_id_roles_and_permissions(
        self, browser: TestClient, citizen: Account, sign_in: SignIn
    ) -> None:
        sign_in(citizen)
        html = browser.get("/account", headers={"Accept-Language": "en"}).text
        masked = ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
        assert f'<span class="mono" data-field="id-number">{masked}</span>' in html
        assert ID_NUMBER not in html
        assert "profile:read" in html
        assert '<li class="chip chip-role">Citizen</li>' in html

    def test_official_sees_department_and_permissions(
        self, browser: TestClient, world: World, sign_in: SignIn
    ) -> None:
        sign_in(world.city_a_admin)
        html = browser.get("/account", headers={"Accept-Language": "zh-CN"}).text
        assert "部门管理员" in html
        assert "accounts:manage" in html
        assert "杭州市" in html
        assert "居民身份证号" not in html
