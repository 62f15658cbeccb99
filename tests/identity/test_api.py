"""Identity API: registration, login, lockout, scoping and bad input answered as problems."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.settings import get_settings
from govhub.identity import authn, tokens
from govhub.identity.models import Account, AuditAction, AuditEvent
from tests.factories import PASSWORD, World, make_id_number

Login = Callable[[Account], dict[str, str]]


def _count(session: Session, model: type[Account] | type[AuditEvent]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _citizen(**overrides: str) -> dict[str, str]:
    body = {
        "username": "wangwu",
        "password": PASSWORD,
        "display_name": "王五",
        "id_number": make_id_number(),
    }
    body.update(overrides)
    return body


def _assert_problem(response: Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://govhub.example/problems/{slug}"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


class TestCitizenRegistration:
    def test_registers_and_never_returns_or_stores_the_id_number_in_clear(
        self, client: TestClient, session: Session
    ) -> None:
        id_number = make_id_number(seq="777")
        response = client.post("/api/v1/accounts/citizens", json=_citizen(id_number=id_number))
        assert response.status_code == 201, response.text
        assert id_number not in response.text
        account = session.scalars(select(Account).where(Account.username == "wangwu")).one()
        assert account.id_number_encrypted is not None
        assert id_number not in account.id_number_encrypted
        assert account.id_number_index is not None
        assert id_number not in account.id_number_index

    def test_profile_shows_the_masked_id_number(self, client: TestClient) -> None:
        id_number = make_id_number(seq="778")
        client.post("/api/v1/accounts/citizens", json=_citizen(id_number=id_number))
        token = client.post(
            "/api/v1/auth/token", json={"username": "wangwu", "password": PASSWORD}
        ).json()["access_token"]
        profile = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert profile["id_number_masked"] == id_number[:6] + "********" + id_number[-4:]
        assert profile["roles"] == ["citizen"]

    @pytest.mark.parametrize(
        ("id_number", "reason"),
        [
            ("11010519491231002", "18 characters"),
            ("11010519491231002Y", "17 digits"),
            ("110105194913310021", "birth date"),
            (make_id_number()[:-1] + ("0" if make_id_number()[-1] != "0" else "1"), "check digit"),
        ],
    )
    def test_invalid_id_numbers_are_refused_with_the_field_named(
        self, client: TestClient, session: Session, id_number: str, reason: str
    ) -> None:
        before = _count(session, Account)
        response = client.post("/api/v1/accounts/citizens", json=_citizen(id_number=id_number))
        body = _assert_problem(response, 422, "invalid-input")
        errors = body["errors"]
        assert isinstance(errors, list)
        assert errors[0]["field"] == "id_number"
        assert reason in errors[0]["message"]
        assert _count(session, Account) == before

    def test_duplicate_id_number_is_a_conflict(self, client: TestClient, session: Session) -> None:
        assert client.post("/api/v1/accounts/citizens", json=_citizen()).status_code == 201
        before = _count(session, Account)
        again = client.post("/api/v1/accounts/citizens", json=_citizen(username="other"))
        _assert_problem(again, 409, "conflict")
        assert _count(session, Account) == before

    def test_duplicate_username_is_a_conflict_case_insensitively(self, client: TestClient) -> None:
        assert client.post("/api/v1/accounts/citizens", json=_citizen()).status_code == 201
        again = client.post(
            "/api/v1/accounts/citizens",
            json=_citizen(username="WangWu", id_number=make_id_number(seq="999")),
        )
        _assert_problem(again, 409, "conflict")


class TestEnterpriseRegistration:
    def test_invalid_credit_code_is_refused(self, client: TestClient) -> None:
        response = client.post(
            "/api/v1/accounts/enterprises",
            json={
                "username": "acme",
                "password": PASSWORD,
                "display_name": "某公司",
                "uscc": "91330100MA27XXXXX0",
            },
        )
        body = _assert_problem(response, 422, "invalid-input")
        assert body["errors"][0]["field"] == "uscc"


class TestMalformedRequests:
    def test_malformed_json(self, client: TestClient) -> None:
        response = client.post(
            "/api/v1/accounts/citizens",
            content=b'{"username": "x",',
            headers={"content-type": "application/json"},
        )
        _assert_problem(response, 422, "invalid-input")

    def test_wrong_types_name_each_field(self, client: TestClient) -> None:
        response = client.post(
            "/api/v1/accounts/citizens",
            json={"username": 5, "password": ["x"], "display_name": None, "id_number": 1},
        )
        body = _assert_problem(response, 422, "invalid-input")
        fields = {e["field"] for e in body["errors"]}
        assert {"username", "password", "display_name", "id_number"} <= fields

    def test_unknown_fields_are_refused(self, client: TestClient) -> None:
        response = client.post("/api/v1/accounts/citizens", json=_citizen(is_admin="true"))
        body = _assert_problem(response, 422, "invalid-input")
        assert body["errors"][0]["field"] == "is_admin"

    def test_oversized_body_is_413_without_reading_it(
        self, client: TestClient, session: Session
    ) -> None:
        limit = get_settings().max_body_bytes
        before = _count(session, Account)
        response = client.post(
            "/api/v1/accounts/citizens",
            content=b"{" + b" " * (limit + 1) + b"}",
            headers={"content-type": "application/json"},
        )
        _assert_problem(response, 413, "payload-too-large")
        assert _count(session, Account) == before

    def test_oversized_streamed_body_is_413(self, client: TestClient) -> None:
        limit = get_settings().max_body_bytes

        def chunks() -> Iterator[bytes]:
            for _ in range(limit // 65536 + 2):
                yield b" " * 65536

        response = client.post(
            "/api/v1/accounts/citizens",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        _assert_problem(response, 413, "payload-too-large")

    def test_hostile_strings_are_stored_verbatim_not_executed(
        self, client: TestClient, session: Session
    ) -> None:
        name = "Robert'); DROP TABLE accounts;-- <script>alert(1)</script>"
        response = client.post("/api/v1/accounts/citizens", json=_citizen(display_name=name))
        assert response.status_code == 201
        assert response.json()["display_name"] == name
        assert _count(session, Account) >= 1

    def test_unknown_route_is_a_problem(self, client: TestClient) -> None:
        _assert_problem(client.get("/api/v1/nothing-here"), 404, "not-found")

    def test_wrong_method_is_a_problem(self, client: TestClient) -> None:
        _assert_problem(client.delete("/api/v1/divisions"), 405, "method-not-allowed")


class TestLogin:
    def test_wrong_password_is_401_and_audited(
        self, client: TestClient, world: World, session: Session
    ) -> None:
        response = client.post(
            "/api/v1/auth/token",
            json={"username": world.city_a_official.username, "password": "wrong-password"},
        )
        body = _assert_problem(response, 401, "unauthenticated")
        assert body["detail"] == "wrong username or password"
        failures = session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.LOGIN_FAILED)
        ).all()
        assert [f.account_id for f in failures] == [world.city_a_official.id]
        assert "wrong-password" not in str(failures[0].detail)

    def test_unknown_user_reads_the_same_as_a_wrong_password(self, client: TestClient) -> None:
        response = client.post(
            "/api/v1/auth/token", json={"username": "nobody", "password": "whatever-pass"}
        )
        body = _assert_problem(response, 401, "unauthenticated")
        assert body["detail"] == "wrong username or password"

    def test_lockout_after_repeated_failures_even_with_the_right_password(
        self, client: TestClient, world: World, session: Session
    ) -> None:
        username = world.city_a_official.username
        for _ in range(get_settings().login_max_failures):
            client.post("/api/v1/auth/token", json={"username": username, "password": "bad"})
        response = client.post(
            "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
        )
        body = _assert_problem(response, 401, "unauthenticated")
        assert "locked" in str(body["detail"])
        session.refresh(world.city_a_official)
        assert world.city_a_official.locked_until is not None
        locks = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == AuditAction.LOGIN_LOCKED)
        )
        assert locks == 1

    def test_login_route_is_rate_limited_per_client(
        self, client: TestClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "login_rate_per_minute", 3)
        for _ in range(3):
            client.post("/api/v1/auth/token", json={"username": "x", "password": "y"})
        response = client.post("/api/v1/auth/token", json={"username": "x", "password": "y"})
        _assert_problem(response, 429, "rate-limited")
        assert int(response.headers["retry-after"]) >= 1


class TestBearerTokens:
    def test_expired_token_is_refused(
        self, client: TestClient, world: World, session: Session
    ) -> None:
        token = tokens.issue_jwt(
            session,
            {"sub": str(world.city_a_admin.id), "aud": authn.API_AUDIENCE, "exp": 1},
            ttl_seconds=-3600,
        )
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        _assert_problem(response, 401, "unauthenticated")

    def test_tampered_token_is_refused(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        token = login(world.city_a_official)["Authorization"].removeprefix("Bearer ")
        header, payload, signature = token.split(".")
        forged = ".".join(
            [header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")]
        )
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
        _assert_problem(response, 401, "unauthenticated")

    def test_token_signed_by_a_foreign_key_is_refused(
        self, client: TestClient, world: World, session: Session
    ) -> None:
        key = RSAKey.generate_key(2048, parameters={"kid": tokens.jwks(session)["keys"][0]["kid"]})
        now = int(time.time())
        claims = {
            "iss": get_settings().base_url,
            "sub": str(world.platform_admin.id),
            "aud": authn.API_AUDIENCE,
            "iat": now,
            "exp": now + 600,
        }
        forged = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
        _assert_problem(response, 401, "unauthenticated")

    def test_wrong_audience_is_refused(
        self, client: TestClient, world: World, session: Session
    ) -> None:
        token = tokens.issue_jwt(
            session,
            {"sub": str(world.city_a_admin.id), "aud": "some-relying-party"},
            ttl_seconds=60,
        )
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        _assert_problem(response, 401, "unauthenticated")

    @pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer    ", "token"])
    def test_malformed_authorization_header(self, client: TestClient, header: str) -> None:
        response = client.get("/api/v1/me", headers={"Authorization": header})
        _assert_problem(response, 401, "unauthenticated")

    def test_deactivated_account_token_stops_working(
        self, client: TestClient, world: World, login: Login, session: Session
    ) -> None:
        headers = login(world.city_a_official)
        world.city_a_official.is_active = False
        session.flush()
        _assert_problem(client.get("/api/v1/me", headers=headers), 401, "unauthenticated")


class TestScopedAdministration:
    def test_city_admin_creates_an_official_in_a_county_below(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        response = client.post(
            "/api/v1/accounts/officials",
            headers=login(world.city_a_admin),
            json={
                "username": "county-approver",
                "password": PASSWORD,
                "display_name": "赵六",
                "department_id": str(world.county_a_market.id),
                "roles": ["approver"],
            },
        )
        assert response.status_code == 201, response.text
        assert response.json()["roles"] == ["approver", "official"]

    def test_dept_admin_cannot_grant_platform_admin(
        self, client: TestClient, world: World, login: Login, session: Session
    ) -> None:
        before = _count(session, Account)
        response = client.post(
            "/api/v1/accounts/officials",
            headers=login(world.city_a_admin),
            json={
                "username": "sneaky",
                "password": PASSWORD,
                "display_name": "X",
                "department_id": str(world.city_a_market.id),
                "roles": ["platform_admin"],
            },
        )
        _assert_problem(response, 403, "permission-denied")
        assert _count(session, Account) == before

    def test_role_change_is_audited_with_before_and_after(
        self, client: TestClient, world: World, login: Login, session: Session
    ) -> None:
        response = client.put(
            f"/api/v1/accounts/{world.city_a_official.id}/roles",
            headers=login(world.city_a_admin),
            json={"roles": ["approver", "regulator"]},
        )
        assert response.status_code == 200, response.text
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.ROLES_CHANGED,
                AuditEvent.account_id == world.city_a_official.id,
            )
        ).one()
        assert event.detail == {
            "before": ["official"],
            "after": ["approver", "official", "regulator"],
        }
        assert event.actor_id == world.city_a_admin.id

    def test_officials_cannot_change_their_own_roles(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        response = client.put(
            f"/api/v1/accounts/{world.city_a_admin.id}/roles",
            headers=login(world.city_a_admin),
            json={"roles": ["leader"]},
        )
        _assert_problem(response, 403, "permission-denied")

    def test_unknown_division_code_for_a_department(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        response = client.post(
            "/api/v1/departments",
            headers=login(world.platform_admin),
            json={"code": "X-1", "name": "某局", "type": "health", "division_code": "339999"},
        )
        _assert_problem(response, 404, "not-found")

    def test_malformed_division_code(self, client: TestClient, world: World, login: Login) -> None:
        response = client.post(
            "/api/v1/divisions",
            headers=login(world.platform_admin),
            json={"code": "33010", "name": "坏代码"},
        )
        body = _assert_problem(response, 422, "invalid-input")
        assert body["errors"][0]["field"] == "code"

    def test_division_without_parent_is_refused(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        response = client.post(
            "/api/v1/divisions",
            headers=login(world.platform_admin),
            json={"code": "330999001", "name": "孤儿街道"},
        )
        body = _assert_problem(response, 422, "invalid-input")
        assert "parent division 330999" in str(body["detail"])

    def test_listing_is_confined_to_the_subtree(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        response = client.get("/api/v1/accounts", headers=login(world.city_b_admin))
        usernames = {a["username"] for a in response.json()["items"]}
        assert usernames == {world.city_b_admin.username}

    def test_search_with_like_wildcards_matches_literally(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        response = client.get(
            "/api/v1/accounts", params={"q": "%"}, headers=login(world.platform_admin)
        )
        assert response.status_code == 200
        assert response.json()["total"] == 0
