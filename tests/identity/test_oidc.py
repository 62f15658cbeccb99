"""The OAuth 2 / OIDC provider, driven by Authlib's client as the relying party."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc6749.errors import InvalidGrantError
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.errors import InvalidClaimError
from joserfc.jwk import KeySet
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request

from govhub.core.db import utcnow
from govhub.core.errors import PROBLEM_MEDIA_TYPE
from govhub.core.settings import get_settings
from govhub.identity import authn, service, tokens
from govhub.identity.deps import SESSION_COOKIE
from govhub.identity.models import AuditAction, AuditEvent, AuthorizationCode, OAuthClient
from govhub.identity.oidc_adapters import code_hash
from govhub.identity.oidc_server import CodeGrant, GovHubAuthorizationServer
from govhub.identity.permissions import Role
from govhub.identity.schemas import ClientCreate
from tests.factories import World

REDIRECT = "https://rp.example.gov.cn/callback"


@dataclass
class Party:
    """A registered client and its secret (None for a public client)."""

    client_id: str
    secret: str | None


@pytest.fixture
def rp(session: Session, world: World) -> Party:
    """A confidential relying party of the city A market bureau."""
    client, secret = service.create_client(
        session,
        principal=world.principal(world.city_a_admin),
        data=ClientCreate(
            name="市场监管业务系统",
            department_id=world.city_a_market.id,
            grant_types=["authorization_code"],
            redirect_uris=[REDIRECT],
        ),
    )
    return Party(client.client_id, secret)


@pytest.fixture
def public_rp(session: Session, world: World) -> Party:
    """A public relying party (a native app): no secret, PKCE alone."""
    row = OAuthClient(
        client_id=f"gh-public-{secrets.token_hex(4)}",
        name="掌上办事",
        secret_hash=None,
        department_id=world.province_bureau.id,
        redirect_uris=["http://127.0.0.1:8765/callback"],
        grant_types=["authorization_code"],
    )
    session.add(row)
    session.flush()
    return Party(row.client_id, None)


@pytest.fixture
def machine(session: Session, world: World) -> Party:
    """A department system allowed the client-credentials grant."""
    client, secret = service.create_client(
        session,
        principal=world.principal(world.city_a_admin),
        data=ClientCreate(
            name="税务共享接口",
            department_id=world.city_a_market.id,
            grant_types=["client_credentials"],
            scope="data:read",
            roles=[Role.SYSTEM],
        ),
    )
    return Party(client.client_id, secret)


@pytest.fixture
def cookie(session: Session, world: World) -> dict[str, str]:
    """The browser's session cookie of the city A official."""
    return {"Cookie": f"{SESSION_COOKIE}={authn.start_web_session(session, world.city_a_official)}"}


@pytest.fixture
def relying_party(client: TestClient, rp: Party) -> Iterator[OAuth2Client]:
    """Authlib's OAuth 2 client, talking to the application through the test transport."""
    with OAuth2Client(
        client_id=rp.client_id,
        client_secret=rp.secret,
        redirect_uri=REDIRECT,
        scope="openid profile email",
        code_challenge_method="S256",
        transport=client._transport,
    ) as oauth:
        yield oauth


def _verifier() -> str:
    return secrets.token_urlsafe(48)


def _authorize_params(party: Party, verifier: str, **overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": party.client_id,
        "redirect_uri": REDIRECT if party.secret else "http://127.0.0.1:8765/callback",
        "scope": "openid profile",
        "state": "st-" + secrets.token_hex(4),
        "nonce": "n-" + secrets.token_hex(8),
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        **overrides,
    }
    return {key: value for key, value in params.items() if value is not None}


def _code(client: TestClient, cookie: dict[str, str], party: Party, verifier: str) -> str:
    params = _authorize_params(party, verifier)
    response = client.get("/oauth/authorize", params=params, headers=cookie, follow_redirects=False)
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["state"] == [params["state"]]
    return query["code"][0]


def _exchange(
    client: TestClient,
    party: Party,
    code: str,
    verifier: str | None,
    **overrides: str | None,
) -> Any:
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT if party.secret else "http://127.0.0.1:8765/callback",
        "code_verifier": verifier,
        "client_id": party.client_id,
        "client_secret": party.secret,
        **overrides,
    }
    data = {key: value for key, value in form.items() if value is not None}
    return client.post("/oauth/token", data=data)


def _count(session: Session, action: AuditAction) -> int:
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    return session.scalar(query) or 0


def _assert_oauth_problem(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body: dict[str, Any] = response.json()
    assert body["error"] == error
    assert body["status"] == status
    assert body["type"].endswith("/oauth/" + error.replace("_", "-"))
    assert body["title"]
    assert body["detail"] == body["error_description"]
    return body


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestDiscovery:
    def test_configuration_names_endpoints_under_the_issuer(self, client: TestClient) -> None:
        response = client.get("/.well-known/openid-configuration")
        assert response.status_code == 200
        doc = response.json()
        base = get_settings().base_url
        assert doc["issuer"] == base
        assert doc["authorization_endpoint"] == f"{base}/oauth/authorize"
        assert doc["token_endpoint"] == f"{base}/oauth/token"
        assert doc["userinfo_endpoint"] == f"{base}/oauth/userinfo"
        assert doc["jwks_uri"] == f"{base}/.well-known/jwks.json"
        assert doc["response_types_supported"] == ["code"]
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
        assert set(doc["grant_types_supported"]) == {"authorization_code", "client_credentials"}
        assert set(doc["token_endpoint_auth_methods_supported"]) == {
            "client_secret_basic",
            "client_secret_post",
            "none",
        }
        assert {"openid", "profile", "email"} <= set(doc["scopes_supported"])
        assert {"sub", "department_id", "division_code"} <= set(doc["claims_supported"])

    def test_jwks_publishes_public_keys_only(self, client: TestClient) -> None:
        keys = client.get("/.well-known/jwks.json").json()["keys"]
        assert keys
        for key in keys:
            assert key["kty"] == "RSA"
            assert key["kid"]
            assert key["alg"] == "RS256"
            assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


class TestFullFlow:
    def test_code_flow_with_authlib_as_relying_party(
        self,
        client: TestClient,
        relying_party: OAuth2Client,
        rp: Party,
        cookie: dict[str, str],
        world: World,
        session: Session,
    ) -> None:
        base = get_settings().base_url
        discovery = relying_party.request(
            "GET", f"{base}/.well-known/openid-configuration", withhold_token=True
        ).json()
        verifier = _verifier()
        nonce = secrets.token_urlsafe(16)
        url, state = relying_party.create_authorization_url(
            discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        # The browser, signed in, follows the authorization URL.
        browser = client.get(url, headers=cookie, follow_redirects=False)
        assert browser.status_code == 302, browser.text
        callback = browser.headers["location"]
        assert callback.startswith(REDIRECT + "?")
        issued_before = _count(session, AuditAction.TOKEN_ISSUED)

        token = relying_party.fetch_token(
            discovery["token_endpoint"],
            authorization_response=callback,
            state=state,
            code_verifier=verifier,
        )
        assert token["token_type"].lower() == "bearer"
        assert token["expires_in"] == get_settings().access_token_ttl_seconds
        assert set(token["scope"].split()) == {"openid", "profile", "email"}

        # The relying party validates the ID token against the published key set.
        key_set = KeySet.import_key_set(
            relying_party.request("GET", discovery["jwks_uri"], withhold_token=True).json()
        )
        decoded = jwt.decode(token["id_token"], key_set, algorithms=["RS256"])
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={
                "iss": {"essential": True, "value": discovery["issuer"]},
                "aud": {"essential": True, "value": rp.client_id},
            },
            params={
                "nonce": nonce,
                "access_token": token["access_token"],
                "client_id": rp.client_id,
            },
        )
        claims.validate()
        assert claims["sub"] == str(world.city_a_official.id)
        assert claims["nonce"] == nonce
        assert "at_hash" in claims
        assert isinstance(claims["auth_time"], int)
        assert decoded.header["kid"] in {key["kid"] for key in key_set.as_dict()["keys"]}
        forged = CodeIDToken(
            decoded.claims, decoded.header, params={"access_token": "another-token"}
        )
        with pytest.raises(InvalidClaimError):
            forged.validate()

        info = relying_party.get(discovery["userinfo_endpoint"])
        assert info.status_code == 200, info.text
        assert info.json()["sub"] == str(world.city_a_official.id)
        assert info.json()["preferred_username"] == world.city_a_official.username
        assert info.json()["department_id"] == str(world.city_a_market.id)
        assert info.json()["division_code"] == "330100"

        me = client.get("/api/v1/me", headers=_bearer(token["access_token"]))
        assert me.status_code == 200, me.text
        assert me.json()["username"] == world.city_a_official.username

        assert _count(session, AuditAction.TOKEN_ISSUED) == issued_before + 1
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.TOKEN_ISSUED)
        ).all()[-1]
        assert event.client_id == rp.client_id
        assert event.account_id == world.city_a_official.id
        assert event.detail["grant"] == "authorization_code"

    def test_public_client_proves_itself_with_pkce(
        self, client: TestClient, public_rp: Party, cookie: dict[str, str]
    ) -> None:
        verifier = _verifier()
        code = _code(client, cookie, public_rp, verifier)
        response = _exchange(client, public_rp, code, verifier)
        assert response.status_code == 200, response.text
        assert response.json()["id_token"]

    def test_code_is_stored_only_as_a_hash(
        self, client: TestClient, rp: Party, cookie: dict[str, str], session: Session
    ) -> None:
        code = _code(client, cookie, rp, _verifier())
        row = session.get(AuthorizationCode, code_hash(code))
        assert row is not None
        assert row.used_at is None
        assert row.code_hash == hashlib.sha256(code.encode()).hexdigest() != code
        assert row.expires_at <= utcnow() + timedelta(minutes=10)
        assert row.code_challenge_method == "S256"


class TestAuthorize:
    def test_anonymous_browser_is_sent_to_login_and_back(
        self, client: TestClient, rp: Party, session: Session
    ) -> None:
        params = _authorize_params(rp, _verifier())
        response = client.get("/oauth/authorize", params=params, follow_redirects=False)
        assert response.status_code == 302
        location = response.headers["location"]
        assert location.startswith("/login?next=")
        target = parse_qs(urlsplit(location).query)["next"][0]
        assert urlsplit(target).path == "/oauth/authorize"
        assert parse_qs(urlsplit(target).query) == {key: [value] for key, value in params.items()}
        assert session.scalar(select(func.count()).select_from(AuthorizationCode)) == 0

    def test_unknown_client_gets_a_problem_not_a_redirect(
        self, client: TestClient, cookie: dict[str, str], rp: Party, session: Session
    ) -> None:
        params = _authorize_params(Party("gh-nobody", "x"), _verifier())
        response = client.get("/oauth/authorize", params=params, headers=cookie)
        assert "location" not in response.headers
        _assert_oauth_problem(response, 400, "invalid_client")
        assert session.scalar(select(func.count()).select_from(AuthorizationCode)) == 0

    def test_unregistered_redirect_uri_gets_a_problem_not_a_redirect(
        self, client: TestClient, cookie: dict[str, str], rp: Party, session: Session
    ) -> None:
        params = _authorize_params(rp, _verifier(), redirect_uri="https://evil.example/cb")
        response = client.get("/oauth/authorize", params=params, headers=cookie)
        assert "location" not in response.headers
        _assert_oauth_problem(response, 400, "invalid_request")
        assert session.scalar(select(func.count()).select_from(AuthorizationCode)) == 0

    @pytest.mark.parametrize(
        "overrides",
        [
            {"code_challenge": None, "code_challenge_method": None},
            {"code_challenge_method": "plain"},
            {"code_challenge_method": None},
        ],
        ids=["missing-pkce", "plain-pkce", "no-method"],
    )
    def test_missing_or_weak_pkce_is_redirected_as_invalid_request(
        self,
        client: TestClient,
        cookie: dict[str, str],
        rp: Party,
        session: Session,
        overrides: dict[str, str | None],
    ) -> None:
        params = _authorize_params(rp, _verifier(), **overrides)
        response = client.get(
            "/oauth/authorize", params=params, headers=cookie, follow_redirects=False
        )
        assert response.status_code == 302
        location = response.headers["location"]
        assert location.startswith(REDIRECT + "?")
        query = parse_qs(urlsplit(location).query)
        assert query["error"] == ["invalid_request"]
        assert query["state"] == [params["state"]]
        assert "code" not in query
        assert session.scalar(select(func.count()).select_from(AuthorizationCode)) == 0

    def test_prompt_none_without_a_session_answers_login_required(
        self, client: TestClient, rp: Party
    ) -> None:
        params = _authorize_params(rp, _verifier(), prompt="none")
        response = client.get("/oauth/authorize", params=params, follow_redirects=False)
        assert response.status_code == 302
        query = parse_qs(urlsplit(response.headers["location"]).query)
        assert query["error"] == ["login_required"]

    def test_unknown_response_type_is_redirected(
        self, client: TestClient, cookie: dict[str, str], rp: Party
    ) -> None:
        params = _authorize_params(rp, _verifier(), response_type="token")
        response = client.get(
            "/oauth/authorize", params=params, headers=cookie, follow_redirects=False
        )
        assert response.status_code == 302
        query = parse_qs(urlsplit(response.headers["location"]).query)
        assert query["error"] == ["unsupported_response_type"]

    def test_scope_beyond_the_registration_is_refused(
        self, client: TestClient, cookie: dict[str, str], rp: Party
    ) -> None:
        params = _authorize_params(rp, _verifier(), scope="openid data:write")
        response = client.get(
            "/oauth/authorize", params=params, headers=cookie, follow_redirects=False
        )
        query = parse_qs(urlsplit(response.headers["location"]).query)
        assert query["error"] == ["invalid_scope"]

    def test_expired_browser_session_counts_as_signed_out(
        self, client: TestClient, rp: Party
    ) -> None:
        params = _authorize_params(rp, _verifier())
        stale = {"Cookie": f"{SESSION_COOKIE}=not-a-live-session"}
        response = client.get(
            "/oauth/authorize", params=params, headers=stale, follow_redirects=False
        )
        assert response.headers["location"].startswith("/login?next=")


class TestTokenRefusals:
    def test_replayed_code_is_refused_and_audited(
        self, client: TestClient, rp: Party, cookie: dict[str, str], session: Session, world: World
    ) -> None:
        verifier = _verifier()
        code = _code(client, cookie, rp, verifier)
        assert _exchange(client, rp, code, verifier).status_code == 200
        issued = _count(session, AuditAction.TOKEN_ISSUED)

        replay = _exchange(client, rp, code, verifier)

        _assert_oauth_problem(replay, 400, "invalid_grant")
        assert _count(session, AuditAction.TOKEN_ISSUED) == issued
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.CODE_REPLAYED)
        ).all()
        assert len(events) == 1
        assert events[0].client_id == rp.client_id
        assert events[0].account_id == world.city_a_official.id
        assert events[0].department_id == world.city_a_market.id

    def test_wrong_code_verifier_leaves_the_code_unused(
        self, client: TestClient, rp: Party, cookie: dict[str, str], session: Session
    ) -> None:
        verifier = _verifier()
        code = _code(client, cookie, rp, verifier)
        issued = _count(session, AuditAction.TOKEN_ISSUED)

        response = _exchange(client, rp, code, _verifier())

        _assert_oauth_problem(response, 400, "invalid_grant")
        row = session.get(AuthorizationCode, code_hash(code))
        assert row is not None
        assert row.used_at is None
        assert _count(session, AuditAction.TOKEN_ISSUED) == issued
        assert _count(session, AuditAction.CODE_REPLAYED) == 0
        assert _exchange(client, rp, code, verifier).status_code == 200

    def test_missing_code_verifier_is_refused(
        self, client: TestClient, rp: Party, public_rp: Party, cookie: dict[str, str]
    ) -> None:
        for party in (rp, public_rp):
            code = _code(client, cookie, party, _verifier())
            _assert_oauth_problem(_exchange(client, party, code, None), 400, "invalid_request")

    def test_redirect_uri_must_match(
        self, client: TestClient, rp: Party, cookie: dict[str, str]
    ) -> None:
        verifier = _verifier()
        code = _code(client, cookie, rp, verifier)
        response = _exchange(client, rp, code, verifier, redirect_uri=REDIRECT + "/other")
        _assert_oauth_problem(response, 400, "invalid_grant")

    def test_expired_code_is_refused(
        self, client: TestClient, rp: Party, cookie: dict[str, str], session: Session
    ) -> None:
        verifier = _verifier()
        code = _code(client, cookie, rp, verifier)
        row = session.get(AuthorizationCode, code_hash(code))
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.flush()
        _assert_oauth_problem(_exchange(client, rp, code, verifier), 400, "invalid_grant")
        session.refresh(row)
        assert row.used_at is None

    def test_unknown_code_is_refused(self, client: TestClient, rp: Party) -> None:
        response = _exchange(client, rp, "no-such-code", _verifier())
        _assert_oauth_problem(response, 400, "invalid_grant")

    def test_code_of_another_client_is_refused(
        self, client: TestClient, rp: Party, cookie: dict[str, str], session: Session, world: World
    ) -> None:
        other, secret = service.create_client(
            session,
            principal=world.principal(world.city_a_admin),
            data=ClientCreate(
                name="另一个系统",
                department_id=world.city_a_market.id,
                grant_types=["authorization_code"],
                redirect_uris=[REDIRECT],
            ),
        )
        verifier = _verifier()
        code = _code(client, cookie, rp, verifier)
        response = _exchange(client, Party(other.client_id, secret), code, verifier)
        _assert_oauth_problem(response, 400, "invalid_grant")

    def test_wrong_client_secret_is_401_with_a_challenge(
        self, client: TestClient, rp: Party, cookie: dict[str, str], session: Session
    ) -> None:
        verifier = _verifier()
        code = _code(client, cookie, rp, verifier)
        response = _exchange(client, rp, code, verifier, client_secret="wrong-secret")
        _assert_oauth_problem(response, 401, "invalid_client")
        assert response.headers["www-authenticate"].startswith("Basic")
        row = session.get(AuthorizationCode, code_hash(code))
        assert row is not None
        assert row.used_at is None

    def test_wrong_secret_over_basic_auth_is_401(
        self, client: TestClient, rp: Party, cookie: dict[str, str]
    ) -> None:
        verifier = _verifier()
        code = _code(client, cookie, rp, verifier)
        basic = base64.b64encode(f"{rp.client_id}:wrong".encode()).decode()
        response = client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
            headers={"Authorization": f"Basic {basic}"},
        )
        _assert_oauth_problem(response, 401, "invalid_client")
        assert "www-authenticate" in response.headers

    def test_unknown_client_is_401(self, client: TestClient, rp: Party) -> None:
        response = _exchange(client, Party("gh-nobody", "secret"), "code", _verifier())
        _assert_oauth_problem(response, 401, "invalid_client")

    def test_confidential_client_cannot_skip_its_secret(
        self, client: TestClient, rp: Party, cookie: dict[str, str]
    ) -> None:
        verifier = _verifier()
        code = _code(client, cookie, rp, verifier)
        response = _exchange(client, rp, code, verifier, client_secret=None)
        _assert_oauth_problem(response, 401, "invalid_client")

    def test_unsupported_grant_type(self, client: TestClient, rp: Party) -> None:
        response = client.post(
            "/oauth/token",
            data={"grant_type": "password", "username": "x", "password": "y"},
            auth=(rp.client_id, rp.secret or ""),
        )
        _assert_oauth_problem(response, 400, "unsupported_grant_type")

    def test_missing_grant_type(self, client: TestClient) -> None:
        _assert_oauth_problem(client.post("/oauth/token"), 400, "unsupported_grant_type")


class TestClientCredentials:
    def test_department_system_acts_for_its_department(
        self, client: TestClient, machine: Party, session: Session, world: World
    ) -> None:
        response = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "data:read"},
            auth=(machine.client_id, machine.secret or ""),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["scope"] == "data:read"
        assert "id_token" not in body
        assert "refresh_token" not in body
        assert response.headers["cache-control"] == "no-store"
        principal = authn.principal_from_token(session, body["access_token"])
        assert principal.client_id == machine.client_id
        assert principal.department_id == world.city_a_market.id
        assert principal.division_code == "330100"
        assert Role.SYSTEM in principal.roles
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.client_id == machine.client_id)
        ).all()[-1]
        assert event.action == AuditAction.TOKEN_ISSUED
        assert event.detail["grant"] == "client_credentials"

    def test_secret_in_the_form_works_too(self, client: TestClient, machine: Party) -> None:
        response = client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": machine.client_id,
                "client_secret": machine.secret,
            },
        )
        assert response.status_code == 200, response.text

    def test_client_without_the_grant_is_refused(
        self, client: TestClient, rp: Party, session: Session
    ) -> None:
        issued = _count(session, AuditAction.TOKEN_ISSUED)
        response = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(rp.client_id, rp.secret or ""),
        )
        _assert_oauth_problem(response, 400, "unauthorized_client")
        assert _count(session, AuditAction.TOKEN_ISSUED) == issued

    def test_scope_beyond_the_registration_is_refused(
        self, client: TestClient, machine: Party
    ) -> None:
        response = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "data:read data:write"},
            auth=(machine.client_id, machine.secret or ""),
        )
        _assert_oauth_problem(response, 400, "invalid_scope")

    def test_wrong_secret_is_401(self, client: TestClient, machine: Party) -> None:
        response = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(machine.client_id, "wrong"),
        )
        _assert_oauth_problem(response, 401, "invalid_client")

    def test_deactivated_client_is_401(
        self, client: TestClient, machine: Party, session: Session
    ) -> None:
        row = session.get(OAuthClient, machine.client_id)
        assert row is not None
        row.is_active = False
        session.flush()
        response = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(machine.client_id, machine.secret or ""),
        )
        _assert_oauth_problem(response, 401, "invalid_client")


class TestBearerTokens:
    @pytest.fixture
    def issued(self, client: TestClient, rp: Party, cookie: dict[str, str]) -> dict[str, Any]:
        verifier = _verifier()
        code = _code(client, cookie, rp, verifier)
        response = _exchange(client, rp, code, verifier)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    @pytest.mark.parametrize("path", ["/oauth/userinfo", "/api/v1/me"])
    def test_missing_token_is_401(self, client: TestClient, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)

    def test_userinfo_challenges_with_bearer(self, client: TestClient) -> None:
        response = client.get("/oauth/userinfo")
        assert response.headers["www-authenticate"] == 'Bearer realm="govhub"'
        response = client.post("/oauth/userinfo", headers=_bearer("garbage"))
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["www-authenticate"]

    @pytest.mark.parametrize("path", ["/oauth/userinfo", "/api/v1/me"])
    def test_expired_token_is_401(
        self, client: TestClient, session: Session, world: World, path: str
    ) -> None:
        expired = tokens.issue_jwt(
            session,
            {"sub": str(world.city_a_official.id), "aud": authn.API_AUDIENCE, "scope": "openid"},
            ttl_seconds=-120,
        )
        response = client.get(path, headers=_bearer(expired))
        assert response.status_code == 401, response.text
        assert "expired" in response.json()["detail"]

    @pytest.mark.parametrize("path", ["/oauth/userinfo", "/api/v1/me"])
    def test_tampered_signature_is_401(
        self, client: TestClient, issued: dict[str, Any], path: str
    ) -> None:
        header, payload, signature = issued["access_token"].split(".")
        raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
        raw[10] ^= 0x01
        flipped = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
        response = client.get(path, headers=_bearer(f"{header}.{payload}.{flipped}"))
        assert response.status_code == 401, response.text

    @pytest.mark.parametrize("path", ["/oauth/userinfo", "/api/v1/me"])
    def test_id_token_is_not_an_api_token(
        self, client: TestClient, issued: dict[str, Any], path: str
    ) -> None:
        response = client.get(path, headers=_bearer(issued["id_token"]))
        assert response.status_code == 401, response.text
        assert "aud" in response.json()["detail"]

    def test_token_without_openid_scope_gets_no_userinfo(
        self, client: TestClient, world: World, login: Any
    ) -> None:
        response = client.get("/oauth/userinfo", headers=login(world.city_a_official))
        assert response.status_code == 403
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]

    def test_machine_token_gets_no_userinfo(
        self, client: TestClient, session: Session, machine: Party
    ) -> None:
        row = session.get(OAuthClient, machine.client_id)
        assert row is not None
        token, _ = authn.issue_access_token(session, client=row, scope="openid")
        response = client.get("/oauth/userinfo", headers=_bearer(token))
        assert response.status_code == 403

    def test_userinfo_releases_claims_by_scope(
        self, client: TestClient, issued: dict[str, Any], session: Session, world: World
    ) -> None:
        world.city_a_official.email = "official@example.gov.cn"
        session.flush()
        claims = client.post("/oauth/userinfo", headers=_bearer(issued["access_token"])).json()
        assert claims["sub"] == str(world.city_a_official.id)
        assert claims["name"] == world.city_a_official.display_name
        assert "email" not in claims  # the code was granted "openid profile" only

        token, _ = authn.issue_access_token(
            session, account=world.city_a_official, scope="openid email"
        )
        claims = client.get("/oauth/userinfo", headers=_bearer(token)).json()
        assert claims == {"sub": str(world.city_a_official.id), "email": "official@example.gov.cn"}

    def test_deactivated_account_gets_no_userinfo(
        self, client: TestClient, issued: dict[str, Any], session: Session, world: World
    ) -> None:
        world.city_a_official.is_active = False
        session.flush()
        response = client.get("/oauth/userinfo", headers=_bearer(issued["access_token"]))
        assert response.status_code == 401


class TestCodeConsumption:
    def test_concurrent_exchange_loses_the_race(
        self, session: Session, rp: Party, world: World
    ) -> None:
        """Of two exchanges that both read the code as unused, only the first may mark it."""
        row = AuthorizationCode(
            code_hash=code_hash("raced-code"),
            client_id=rp.client_id,
            account_id=world.city_a_official.id,
            redirect_uri=REDIRECT,
            scope="openid",
            expires_at=utcnow() + timedelta(minutes=1),
        )
        session.add(row)
        session.flush()
        http = Request({"type": "http", "method": "POST", "path": "/oauth/token", "headers": []})
        server = GovHubAuthorizationServer(session, http)
        oauth_request = server.oauth2_request({"grant_type": ["authorization_code"]})
        grant = CodeGrant(oauth_request, server)
        client = server.query_client(rp.client_id)
        assert client is not None
        loaded = grant.query_authorization_code("raced-code", client)
        assert loaded is not None

        row.used_at = utcnow()  # the other exchange got there first
        session.flush()

        with pytest.raises(InvalidGrantError):
            grant.delete_authorization_code(loaded)
        assert oauth_request.replayed_code is row
        assert grant.query_authorization_code("raced-code", client) is None
