"""CSRF protection: a POST without the right token is refused before anything changes."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.identity.deps import SESSION_COOKIE
from govhub.identity.models import Account, AuditEvent, WebSession
from govhub.web.csrf import CSRF_COOKIE
from tests.browsing import SignIn, csrf_from
from tests.factories import PASSWORD, World


def _count(session: Session, model: type[WebSession] | type[AuditEvent]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class TestLoginCsrf:
    def _attempt(self, browser: TestClient, account: Account, token: str | None) -> int:
        data = {"username": account.username, "password": PASSWORD}
        if token is not None:
            data["csrf_token"] = token
        response = browser.post("/login", data=data, headers={"Accept-Language": "en"})
        if response.status_code == 403:
            assert "This form has expired or did not come from this site" in response.text
        return response.status_code

    def test_missing_token_is_refused_and_nothing_changes(
        self, browser: TestClient, citizen: Account, session: Session
    ) -> None:
        browser.get("/login")
        audit_before = _count(session, AuditEvent)
        assert self._attempt(browser, citizen, None) == 403
        assert SESSION_COOKIE not in browser.cookies
        assert _count(session, WebSession) == 0
        assert _count(session, AuditEvent) == audit_before  # not even a failed-login event
        session.refresh(citizen)
        assert citizen.failed_logins == 0

    def test_wrong_token_is_refused(
        self, browser: TestClient, citizen: Account, session: Session
    ) -> None:
        token = csrf_from(browser.get("/login").text)
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert self._attempt(browser, citizen, forged) == 403
        assert _count(session, WebSession) == 0

    def test_token_without_its_cookie_is_refused(
        self, browser: TestClient, citizen: Account, session: Session
    ) -> None:
        token = csrf_from(browser.get("/login").text)
        browser.cookies.delete(CSRF_COOKIE)
        assert self._attempt(browser, citizen, token) == 403
        assert _count(session, WebSession) == 0

    def test_token_of_another_browser_is_refused(
        self, browser: TestClient, client: TestClient, citizen: Account, session: Session
    ) -> None:
        browser.get("/login")
        other_token = csrf_from(client.get("/login", headers={"Accept": "text/html"}).text)
        assert self._attempt(browser, citizen, other_token) == 403
        assert _count(session, WebSession) == 0

    def test_header_token_is_accepted(self, browser: TestClient, citizen: Account) -> None:
        token = csrf_from(browser.get("/login").text)
        response = browser.post(
            "/login",
            data={"username": citizen.username, "password": PASSWORD},
            headers={"X-CSRF-Token": token},
        )
        assert response.status_code == 303

    def test_api_clients_get_problem_json(self, client: TestClient, citizen: Account) -> None:
        response = client.post("/login", data={"username": citizen.username, "password": "x"})
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


class TestSessionBoundToken:
    def test_token_changes_with_the_session(
        self, browser: TestClient, world: World, sign_in: SignIn
    ) -> None:
        before = csrf_from(browser.get("/login").text)
        sign_in(world.city_a_official)
        after = csrf_from(browser.get("/account").text)
        assert before != after

    def test_layout_hands_the_token_to_htmx(
        self, browser: TestClient, world: World, sign_in: SignIn
    ) -> None:
        sign_in(world.city_a_official)
        html = browser.get("/workbench").text
        token = csrf_from(html)
        assert f'hx-headers:inherited=\'{{"X-CSRF-Token": "{token}"}}\'' in html
