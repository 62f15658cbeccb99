"""Signing in and out through the pages: cookies, failures, lockout, throttling, `next`."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.settings import get_settings
from govhub.identity.deps import SESSION_COOKIE
from govhub.identity.models import Account, AuditAction, AuditEvent, WebSession
from tests.browsing import SignIn, csrf_from
from tests.factories import PASSWORD, World

EN = {"Accept-Language": "en"}
MSG_FAILED = "The username or password is not correct."


def _post_login(
    browser: TestClient, username: str, password: str, next_: str | None = None
) -> tuple[int, str, str]:
    """Submit the login form; return status, Location header and body."""
    token = csrf_from(browser.get("/login", headers=EN).text)
    data = {"username": username, "password": password, "csrf_token": token}
    if next_ is not None:
        data["next"] = next_
    response = browser.post("/login", data=data, headers=EN)
    return response.status_code, response.headers.get("location", ""), response.text


def _sessions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(WebSession)) or 0


class TestLoginForm:
    def test_form_carries_a_token_bound_to_a_pre_session_cookie(self, browser: TestClient) -> None:
        response = browser.get("/login", headers=EN)
        assert response.status_code == 200
        assert csrf_from(response.text)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("govhub_csrf=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert 'name="password"' in response.text

    def test_signed_in_user_goes_straight_on(
        self, browser: TestClient, world: World, sign_in: SignIn
    ) -> None:
        sign_in(world.city_a_official)
        response = browser.get("/login", params={"next": "/account"})
        assert response.status_code == 303
        assert response.headers["location"] == "/account"


class TestLoginSuccess:
    def test_official_lands_on_workbench_with_a_session_cookie(
        self, browser: TestClient, world: World, session: Session
    ) -> None:
        status, location, _ = _post_login(browser, world.city_a_official.username, PASSWORD)
        assert (status, location) == (303, "/workbench")
        cookie = next(
            c for c in browser.cookies.jar if c.name == SESSION_COOKIE
        )  # the cookie is stored
        assert cookie.has_nonstandard_attr("HttpOnly")
        assert not cookie.secure
        assert _sessions(session) == 1
        events = session.scalars(
            select(AuditEvent.action).where(AuditEvent.account_id == world.city_a_official.id)
        ).all()
        assert AuditAction.LOGIN_SUCCEEDED in events

    def test_cookie_flags(self, browser: TestClient, world: World) -> None:
        token = csrf_from(browser.get("/login").text)
        response = browser.post(
            "/login",
            data={
                "username": world.city_a_admin.username,
                "password": PASSWORD,
                "csrf_token": token,
            },
        )
        header = next(
            h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
        )
        assert "HttpOnly" in header
        assert "SameSite=lax" in header
        assert "Secure" not in header
        assert "Path=/" in header

    def test_cookies_are_secure_behind_https(
        self, app: FastAPI, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "base_url", "https://gov.example")
        with TestClient(app, base_url="https://testserver", follow_redirects=False) as https:
            form = https.get("/login")
            assert "Secure" in form.headers["set-cookie"]
            response = https.post(
                "/login",
                data={
                    "username": world.city_a_admin.username,
                    "password": PASSWORD,
                    "csrf_token": csrf_from(form.text),
                },
            )
        header = next(
            h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
        )
        assert "Secure" in header

    def test_citizen_lands_on_account(self, browser: TestClient, citizen: Account) -> None:
        status, location, _ = _post_login(browser, citizen.username, PASSWORD)
        assert (status, location) == (303, "/account")

    def test_username_is_case_insensitive(self, browser: TestClient, citizen: Account) -> None:
        status, _, _ = _post_login(browser, citizen.username.upper(), PASSWORD)
        assert status == 303

    def test_signing_in_again_ends_the_previous_session(
        self, browser: TestClient, world: World, sign_in: SignIn, session: Session
    ) -> None:
        sign_in(world.city_a_official)
        first = browser.cookies[SESSION_COOKIE]
        token = csrf_from(browser.get("/account").text)  # bound to the session cookie now
        response = browser.post(
            "/login",
            data={
                "username": world.city_a_admin.username,
                "password": PASSWORD,
                "csrf_token": token,
            },
        )
        assert response.status_code == 303
        assert browser.cookies[SESSION_COOKIE] != first
        assert _sessions(session) == 1


class TestLoginFailure:
    def test_wrong_password_is_shown_in_the_form(
        self, browser: TestClient, citizen: Account, session: Session
    ) -> None:
        status, _, html = _post_login(browser, citizen.username, "wrong-password")
        assert status == 401
        assert MSG_FAILED in html
        assert f'value="{citizen.username}"' in html
        assert "wrong-password" not in html
        assert SESSION_COOKIE not in browser.cookies
        assert _sessions(session) == 0
        session.refresh(citizen)
        assert citizen.failed_logins == 1  # kept although the request failed

    def test_unknown_user_looks_exactly_like_a_wrong_password(
        self, browser: TestClient, citizen: Account
    ) -> None:
        _, _, known = _post_login(browser, citizen.username, "wrong-password")
        status, _, unknown = _post_login(browser, "nobody-here", "wrong-password")
        assert status == 401
        assert MSG_FAILED in unknown
        assert known.split('role="alert"')[1][:300].replace(citizen.username, "") == unknown.split(
            'role="alert"'
        )[1][:300].replace("nobody-here", "")

    def test_missing_fields_are_asked_for(self, browser: TestClient) -> None:
        status, _, html = _post_login(browser, "", "")
        assert status == 422
        assert "Enter your username and password." in html

    def test_lockout_is_a_friendly_message(
        self, browser: TestClient, citizen: Account, session: Session
    ) -> None:
        for _ in range(get_settings().login_max_failures):
            assert _post_login(browser, citizen.username, "wrong-password")[0] == 401
        status, _, html = _post_login(browser, citizen.username, PASSWORD)
        assert status == 401
        assert "temporarily locked" in html
        assert _sessions(session) == 0

    def test_lockout_message_in_chinese(self, browser: TestClient, citizen: Account) -> None:
        for _ in range(get_settings().login_max_failures):
            _post_login(browser, citizen.username, "wrong-password")
        token = csrf_from(browser.get("/login").text)
        response = browser.post(
            "/login",
            data={"username": citizen.username, "password": PASSWORD, "csrf_token": token},
            headers={"Accept-Language": "zh-CN"},
        )
        assert "该账户已被暂时锁定" in response.text

    def test_rate_limit_is_a_friendly_message(
        self, browser: TestClient, citizen: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "login_rate_per_minute", 2)
        _post_login(browser, citizen.username, "wrong-password")
        _post_login(browser, citizen.username, "wrong-password")
        token = csrf_from(browser.get("/login", headers=EN).text)
        response = browser.post(
            "/login",
            data={"username": citizen.username, "password": PASSWORD, "csrf_token": token},
            headers=EN,
        )
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0
        assert "Too many sign-in attempts from your network" in response.text
        assert f"wait {response.headers['retry-after']} seconds" in response.text


class TestNext:
    def test_same_site_target_is_followed(self, browser: TestClient, citizen: Account) -> None:
        target = "/oauth/authorize?client_id=gh-1&redirect_uri=https%3A%2F%2Frp.example%2Fcb"
        status, location, _ = _post_login(browser, citizen.username, PASSWORD, next_=target)
        assert (status, location) == (303, target)

    @pytest.mark.parametrize(
        "target",
        [
            "//evil.example",
            "//evil.example/path",
            "https://evil.example",
            "http://evil.example/login",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/ok\r\nSet-Cookie: x=1",
            "https:/evil.example",
        ],
    )
    def test_other_sites_are_refused(
        self, browser: TestClient, citizen: Account, target: str
    ) -> None:
        status, location, _ = _post_login(browser, citizen.username, PASSWORD, next_=target)
        assert (status, location) == (303, "/account")

    def test_refused_target_is_not_echoed_into_the_form(self, browser: TestClient) -> None:
        html = browser.get("/login", params={"next": "//evil.example"}).text
        assert 'name="next" value=""' in html
        assert 'value="//evil.example"' not in html
        assert 'href="//evil.example' not in html

    def test_valid_target_is_kept_in_the_form(self, browser: TestClient) -> None:
        html = browser.get("/login", params={"next": "/workbench"}).text
        assert 'name="next" value="/workbench"' in html


class TestLogout:
    def test_logout_ends_the_session(
        self, browser: TestClient, world: World, sign_in: SignIn, session: Session
    ) -> None:
        sign_in(world.city_a_official)
        old_cookie = browser.cookies[SESSION_COOKIE]
        token = csrf_from(browser.get("/account").text)
        response = browser.post("/logout", data={"csrf_token": token})
        assert response.status_code == 303
        assert response.headers["location"] == "/"
        assert SESSION_COOKIE not in browser.cookies
        assert _sessions(session) == 0
        browser.cookies.set(SESSION_COOKIE, old_cookie)
        assert browser.get("/account").status_code == 303  # the old cookie no longer works

    def test_logout_without_token_changes_nothing(
        self, browser: TestClient, world: World, sign_in: SignIn, session: Session
    ) -> None:
        sign_in(world.city_a_official)
        response = browser.post("/logout", data={})
        assert response.status_code == 403
        assert _sessions(session) == 1
        assert browser.get("/account").status_code == 200
