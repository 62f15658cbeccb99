"""Adaptors between Authlib's server and GovHub: the request, the client, the code, the claims.

Authlib's protocol classes expect a request object (`OAuth2Request` with `payload`, `form`,
`headers`), clients implementing `ClientMixin` and codes implementing
`AuthorizationCodeMixin`; these wrap a Starlette request and the identity tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request
from starlette.requests import Request

from govhub.core.settings import get_settings
from govhub.identity import authn
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
