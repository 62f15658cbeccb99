"""The Starlette adaptor Authlib's server lacks, and GovHub's grants on top of it.

Authlib ships the OAuth 2 / OIDC protocol logic (`AuthorizationServer`, the grants and their
extensions) but integrations only for Flask and Django. This module supplies the rest for a
FastAPI request: an `OAuth2Request` built from a Starlette request and its parsed parameters,
client and authorization-code adapters over the ORM rows, and an `AuthorizationServer` bound
to one database session that renders its answers as redirects, JSON, or RFC 9457 problems
(keeping RFC 6749's `error` and `error_description` as extension members).

One server is built per request: Authlib calls `query_client(client_id)` without the request,
so the session it needs travels on the server instance rather than in a global.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749 import grants as oauth2_grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import grants as oidc_grants
from authlib.oidc.core.util import create_half_hash
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.requests import Request

from govhub.core.db import utcnow
from govhub.core.errors import problem
from govhub.core.settings import get_settings
from govhub.identity import authn, tokens
from govhub.identity.models import Account, AccountKind, AuthorizationCode, OAuthClient

OIDC_SCOPES = ("openid", "profile", "email")
CODE_TTL = timedelta(minutes=5)
ID_TOKEN_TTL_SECONDS = 3600
AUTH_METHODS = ("client_secret_basic", "client_secret_post")

Params = Mapping[str, list[str]]


def code_hash(code: str) -> str:
    """Return the stored form of an authorization code (its SHA-256)."""
    return hashlib.sha256(code.encode()).hexdigest()


# --- request adaptor -------------------------------------------------------------------------


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, params: Params) -> None:
        self._datalist = {key: list(values) for key, values in params.items()}
        self._data = {key: values[0] for key, values in params.items() if values}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc]
    """An Authlib request made of a Starlette request and its query or form parameters."""

    def __init__(self, request: Request, params: Params) -> None:
        # Authlib refuses plain-HTTP URIs; the public URL is what clients see (TLS may end
        # at a proxy), so the request is described by the configured base URL.
        query = f"?{request.url.query}" if request.url.query else ""
        uri = get_settings().base_url.rstrip("/") + request.url.path + query
        super().__init__(method=request.method, uri=uri, headers=request.headers)
        self.payload = _Payload(params)
        self.replayed_code: AuthorizationCode | None = None

    @property
    def args(self) -> dict[str, str]:
        """The query parameters (first value of each)."""
        return dict(self.payload.data) if self.method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        """The form parameters (first value of each)."""
        return dict(self.payload.data) if self.method == "POST" else {}


# --- model adaptors --------------------------------------------------------------------------


class Client:
    """Authlib's `ClientMixin` over an `OAuthClient` row."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row

    @property
    def is_public(self) -> bool:
        """Tell whether the client holds no secret (it must prove itself with PKCE)."""
        return self.row.secret_hash is None

    def _allowed_scopes(self) -> set[str]:
        allowed = set(self.row.scope.split())
        if "authorization_code" in self.row.grant_types:
            allowed |= set(OIDC_SCOPES)  # a relying party may always ask who the user is
        return allowed

    def get_client_id(self) -> str:
        """Return the client id."""
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        """Return None: every authorization request must name its redirect URI."""
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """Return the requested scope if the client may hold all of it, else None."""
        requested = (scope or "").split()
        if not requested:
            return self.row.scope
        if not set(requested) <= self._allowed_scopes():
            return None
        return " ".join(dict.fromkeys(requested))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Tell whether `redirect_uri` is registered (exact match)."""
        return redirect_uri in self.row.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        """Verify the secret against its argon2id hash."""
        if self.row.secret_hash is None:
            return False
        return authn.verify_password(self.row.secret_hash, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """Public clients authenticate with `none` only, confidential ones with a secret."""
        return method == "none" if self.is_public else method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        """Only `code`, and only for authorization-code clients."""
        return response_type == "code" and "authorization_code" in self.row.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        """Tell whether the client was registered for `grant_type`."""
        if grant_type == "client_credentials" and self.is_public:
            return False
        return grant_type in self.row.grant_types


class Code:
    """Authlib's `AuthorizationCodeMixin` over an `AuthorizationCode` row."""

    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        """Return the redirect URI the code was issued for."""
        return self.row.redirect_uri

    def get_scope(self) -> str:
        """Return the granted scope."""
        return self.row.scope

    def get_nonce(self) -> str | None:
        """Return the relying party's nonce."""
        return self.row.nonce

    def get_auth_time(self) -> int:
        """Return when the user signed in (seconds since the epoch)."""
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> str | None:
        """Return no authentication context class."""
        return None

    def get_amr(self) -> list[str] | None:
        """Return no authentication methods."""
        return None


def user_claims(account: Account, scope: str) -> dict[str, Any]:
    """Return the OIDC claims of `account` that `scope` releases."""
    scopes = set(scope.split())
    claims: dict[str, Any] = {"sub": str(account.id)}
    if "profile" in scopes:
        claims["name"] = account.display_name
        claims["preferred_username"] = account.username
        claims["locale"] = account.locale
        if account.kind is AccountKind.OFFICIAL and account.department is not None:
            claims["department_id"] = str(account.department.id)
            claims["division_code"] = account.department.division_code
    if "email" in scopes and account.email:
        claims["email"] = account.email
    return claims


# --- grants ----------------------------------------------------------------------------------


class S256Challenge(CodeChallenge):  # type: ignore[misc]
    """PKCE, required on every authorization request, with the S256 method only."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - Authlib's class attribute

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        """Refuse authorization requests without an S256 code challenge."""
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send a code_challenge")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(oauth2_grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """The authorization-code grant, with codes stored hashed and consumed exactly once."""

    TOKEN_ENDPOINT_AUTH_METHODS = [*AUTH_METHODS, "none"]  # noqa: RUF012 - Authlib's attribute

    @property
    def db(self) -> Session:
        """The request's database session."""
        session: Session = self.server.session
        return session

    def save_authorization_code(self, code: str, request: StarletteOAuth2Request) -> None:
        """Store the code's hash with its client, user, PKCE challenge and nonce."""
        data = request.payload.data
        self.db.add(
            AuthorizationCode(
                code_hash=code_hash(code),
                client_id=request.client.get_client_id(),
                account_id=request.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope or "",
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                auth_time=self.server.auth_time or utcnow(),
                expires_at=utcnow() + CODE_TTL,
            )
        )
        self.db.flush()

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        """Return the live code issued to `client`; note a replay of a used one."""
        row = self.db.get(AuthorizationCode, code_hash(code))
        if row is None or row.client_id != client.get_client_id():
            return None
        if row.used_at is not None:
            self.request.replayed_code = row
            return None
        if row.expires_at <= utcnow():
            return None
        return Code(row)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """Mark the code used, atomically: of two concurrent exchanges only one succeeds."""
        row = authorization_code.row
        claimed = self.db.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.code_hash == row.code_hash)
            .where(AuthorizationCode.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            self.request.replayed_code = row
            raise InvalidGrantError("Invalid 'code' in request.")

    def authenticate_user(self, authorization_code: Code) -> Account | None:
        """Return the code's account if it may still sign in."""
        account = self.db.get(Account, authorization_code.row.account_id)
        return account if account is not None and account.is_active else None


class OpenIDCode(oidc_grants.OpenIDCode):  # type: ignore[misc]
    """OIDC on top of the code grant: ID tokens signed with the platform's rotating keys."""

    def __init__(self, server: GovHubAuthorizationServer) -> None:
        super().__init__(require_nonce=False)
        self.server = server

    def exists_nonce(self, nonce: str, request: StarletteOAuth2Request) -> bool:
        """Tell whether the client already used `nonce` (a replayed authorization request)."""
        found = self.server.session.scalar(
            select(AuthorizationCode.code_hash)
            .where(AuthorizationCode.client_id == request.payload.client_id)
            .where(AuthorizationCode.nonce == nonce)
            .limit(1)
        )
        return found is not None

    def generate_user_info(self, user: Account, scope: str) -> dict[str, Any]:
        """Return the user's claims released by `scope`."""
        return user_claims(user, scope)

    def encode_id_token(self, token: dict[str, Any], request: StarletteOAuth2Request) -> str:
        """Sign the ID token (aud, sub, nonce, auth_time, at_hash and profile claims)."""
        claims: dict[str, Any] = {"aud": request.client.get_client_id()}
        claims.update(self.get_authorization_code_claims(request.authorization_code))
        at_hash = create_half_hash(token["access_token"], tokens.ALGORITHM)
        claims["at_hash"] = at_hash.decode()
        claims.update(self.generate_user_info(request.user, token["scope"]))
        return tokens.issue_jwt(self.server.session, claims, ttl_seconds=ID_TOKEN_TTL_SECONDS)


class ClientCredentialsGrant(oauth2_grants.ClientCredentialsGrant):  # type: ignore[misc]
    """Department systems acting for their department with their own credentials."""

    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)  # noqa: RUF012 - Authlib's attribute

    def validate_token_request(self) -> None:
        """Authenticate the client, check the grant, and settle the scope it may hold."""
        super().validate_token_request()
        scope = self.request.client.get_allowed_scope(self.request.payload.scope)
        if scope is None:
            raise InvalidScopeError()
        self.request.scope = scope

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """Issue the client's access token (no refresh token)."""
        token = self.generate_token(scope=self.request.scope, include_refresh_token=False)
        return 200, token, self.TOKEN_RESPONSE_HEADER


# --- the server ------------------------------------------------------------------------------


class GovHubAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's authorization server bound to one request's database session."""

    def __init__(self, session: Session, request: Request) -> None:
        super().__init__(scopes_supported=None)
        self.session = session
        self.http_request = request
        self.auth_time: datetime | None = None
        self.register_token_generator("default", self._generate_token)
        self.register_grant(CodeGrant, [S256Challenge(required=True), OpenIDCode(self)])
        self.register_grant(ClientCredentialsGrant)

    def oauth2_request(self, params: Params) -> StarletteOAuth2Request:
        """Describe the HTTP request to Authlib."""
        return StarletteOAuth2Request(self.http_request, params)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        """Return `request` itself: endpoints build it with `oauth2_request` first."""
        if not isinstance(request, OAuth2Request):
            raise TypeError("build the request with oauth2_request(params)")
        return request

    def query_client(self, client_id: str) -> Client | None:
        """Return the active client with `client_id`."""
        row = self.session.get(OAuthClient, client_id)
        return Client(row) if row is not None and row.is_active else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Keep nothing: access tokens are self-contained JWTs (issuance is audited)."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Ignore Authlib's signals."""

    def _generate_token(
        self,
        grant_type: str,
        client: Client,
        user: Account | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        access_token, ttl = authn.issue_access_token(
            self.session, account=user, client=client.row, scope=scope or "", grant=grant_type
        )
        return {
            "token_type": "Bearer",
            "access_token": access_token,
            "expires_in": ttl,
            "scope": scope or "",
        }

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        """Render Authlib's answer: a redirect, a JSON body, or an RFC 9457 problem."""
        header_map = {key: value for key, value in headers if key.lower() != "content-type"}
        if status == 302:
            location = header_map.pop("Location")
            return RedirectResponse(location, status_code=302, headers=header_map)
        if status >= 400:
            return self._problem(status, body, header_map)
        return JSONResponse(body, status_code=status, headers=header_map)

    def _problem(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> Response:
        error = str(body.get("error", "invalid_request"))
        if error == "invalid_client" and self.http_request.method == "POST":
            # At the token endpoint the client failed to authenticate, whichever method it
            # tried (RFC 6749 §5.2); the authorization endpoint (GET) keeps a plain 400.
            status = 401
            headers.setdefault("WWW-Authenticate", 'Basic error="invalid_client"')
        title = error.replace("_", " ").capitalize()
        detail = str(body.get("error_description") or _DESCRIPTIONS.get(error, title))
        return problem(
            self.http_request,
            status=status,
            slug=f"oauth/{error.replace('_', '-')}",
            title=title,
            detail=detail,
            headers=headers,
            **{**body, "error_description": detail},
        )


_DESCRIPTIONS = {
    "unsupported_grant_type": "grant_type must be authorization_code or client_credentials",
    "invalid_scope": "the requested scope exceeds what the client was registered for",
    "unauthorized_client": "the client is not registered for this grant",
}
