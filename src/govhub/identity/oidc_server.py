"""GovHub's OAuth 2 / OIDC grants and the Authlib `AuthorizationServer` that runs them.

Authlib ships the protocol logic (`AuthorizationServer`, the grants and their extensions) but
server integrations only for Flask and Django. With the adaptors of `oidc_adapters`, this
module supplies the rest for FastAPI: an `AuthorizationServer` bound to one database session
that renders its answers as redirects, JSON, or RFC 9457 problems (keeping RFC 6749's `error`
and `error_description` as extension members).

One server is built per request: Authlib calls `query_client(client_id)` without the request,
so the session it needs travels on the server instance rather than in a global.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Request
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
from govhub.identity import authn, tokens
from govhub.identity.models import Account, AuthorizationCode, OAuthClient
from govhub.identity.oidc_adapters import (
    AUTH_METHODS,
    CODE_TTL,
    ID_TOKEN_TTL_SECONDS,
    Client,
    Code,
    Params,
    StarletteOAuth2Request,
    code_hash,
    user_claims,
)

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
    """The authorization-code grant, with codes stored hashed and consumed exactly once.

    RFC 6749 §4.1.2 asks to revoke tokens already issued from a replayed code where possible;
    access tokens here are stateless JWTs living `access_token_ttl_seconds`, so a replay is
    refused and audited (`AuditAction.CODE_REPLAYED`) rather than revoked.
    """

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
