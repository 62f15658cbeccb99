"""Error pages for browsers, problem+json for everyone else."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from govhub.identity.deps import SESSION_COOKIE
from govhub.web.pages import render_error_page
from govhub.web.redirects import safe_next
from tests.browsing import SignIn
from tests.factories import World


class TestErrorPage:
    def test_404_is_a_finished_page(self, browser: TestClient) -> None:
        response = browser.get("/no/such/page", headers={"Accept-Language": "en"})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        assert '<p class="error-status" aria-hidden="true">404</p>' in html
        assert '<h1 id="error-title">Not found</h1>' in html
        assert "The page you asked for does not exist, or it has moved." in html
        assert f"<code>{response.headers['x-request-id']}</code>" in html
        assert 'href="/"' in html
        assert "/static/css/govhub.css" in html

    def test_404_in_chinese(self, browser: TestClient) -> None:
        html = browser.get("/no/such/page").text
        assert "未找到" in html
        assert "您访问的页面不存在或已移动。" in html

    def test_signed_in_user_stays_in_the_header(
        self, browser: TestClient, world: World, sign_in: SignIn
    ) -> None:
        sign_in(world.city_a_official)
        html = browser.get("/no/such/page").text
        assert world.city_a_official.display_name in html
        assert 'action="/logout"' in html

    def test_405_page(self, browser: TestClient) -> None:
        response = browser.get("/logout", headers={"Accept-Language": "en"})
        assert response.status_code == 405
        assert "This address does not accept that kind of request." in response.text

    def test_validation_error_page(self, browser: TestClient) -> None:
        response = browser.get("/lang/en", params={"next": "/" + "a" * 3000})
        assert response.status_code == 422
        assert "<html" in response.text

    def test_api_paths_keep_problem_json(self, browser: TestClient) -> None:
        response = browser.get("/api/v1/nothing-here")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    def test_non_browsers_get_problem_json_on_pages(self, client: TestClient) -> None:
        response = client.get("/no/such/page")
        assert response.status_code == 404
        assert response.json()["status"] == 404

    def test_401_on_a_page_redirects_to_login_with_the_query(self, browser: TestClient) -> None:
        response = browser.get("/account", params={"tab": "roles"})
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Faccount%3Ftab%3Droles"


class TestSafeNext:
    @pytest.mark.parametrize(
        "target",
        ["/", "/workbench", "/oauth/authorize?redirect_uri=https%3A%2F%2Frp.example", "/a#b"],
    )
    def test_relative_paths_pass(self, target: str) -> None:
        assert safe_next(target) == target

    @pytest.mark.parametrize(
        "target",
        [
            None,
            "",
            "//evil.example",
            "///evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "javascript:alert(1)",
            "relative/path",
            "/" + "a" * 3000,
        ],
    )
    def test_everything_else_falls_back(self, target: str | None) -> None:
        assert safe_next(target, default="/home") == "/home"


def _request(method: str, path: str, query: bytes = b"") -> Request:
    return Request(
        {
            "type": "http",
            "method": method,
            "scheme": "http",
            "server": ("testserver", 80),
            "path": path,
            "root_path": "",
            "query_string": query,
            "headers": [(b"accept", b"text/html"), (b"accept-language", b"en")],
            "state": {},
        }
    )


class TestRenderErrorPage:
    def test_401_after_a_post_goes_to_plain_login(self) -> None:
        response = render_error_page(
            _request("POST", "/logout"), 401, "Authentication required", ""
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/login"

    def test_unlisted_status_keeps_its_detail(self) -> None:
        response = render_error_page(_request("GET", "/x"), 499, "HTTP error", "Client went away")
        assert response.status_code == 499
        assert b"Client went away" in response.body

    def test_stale_session_cookie_renders_anonymous(self, browser: TestClient) -> None:
        browser.cookies.set(SESSION_COOKIE, "no-such-session")
        html = browser.get("/no/such/page").text
        assert 'action="/logout"' not in html
        assert 'href="/login?next=' in html
