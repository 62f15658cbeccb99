"""The OAuth 2 / OpenID Connect provider of GovHub's unified identity (Authlib server side).

Flows (Authlib's AuthorizationServer and grants, adapted in `oidc_server`):
- Authorization code + PKCE (S256 only): a relying party sends the browser to GET
  /oauth/authorize; without a signed-in session it detours through `/login?next=...`; with one,
  a one-time code (stored hashed, valid 5 minutes) goes to the registered redirect URI.
- POST /oauth/token trades the code (client secret, or PKCE alone for public clients) for an
  API access token (aud `govhub-api`) and an RS256 ID token (aud = client id, nonce, at_hash);
  a code presented twice is refused as `invalid_grant` and audited as a replay.
- Client credentials: department systems get an access token acting for their department.
- GET/POST /oauth/userinfo returns the claims of an `openid` token's user; discovery and JWKS
  live under /.well-known/. Errors are RFC 9457 problems keeping `error`/`error_description`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from authlib.oauth2.rfc6749.errors import OAuth2Error
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from govhub.core.errors import PermissionDenied, Unauthenticated, problem
from govhub.core.settings import get_settings
from govhub.identity import audit, authn, tokens
from govhub.identity.deps import SESSION_COOKIE, DbSession
from govhub.identity.models import Account, AuditAction, OAuthClient
from govhub.identity.oidc_adapters import AUTH_METHODS, OIDC_SCOPES, Params, user_claims
from govhub.identity.oidc_server import GovHubAuthorizationServer

router = APIRouter(tags=["oidc"])

LOGIN_PATH = "/login"
CLAIMS_SUPPORTED = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "name",
    "preferred_username",
    "locale",
    "email",
    "department_id",
    "division_code",
]


async def _query_params(request: Request) -> Params:
    return _multi(request.query_params.multi_items())


async def _form_params(request: Request) -> Params:
    form = await request.form()
    return _multi((key, value) for key, value in form.multi_items() if isinstance(value, str))


def _multi(items: Any) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in items:
        params.setdefault(key, []).append(value)
    return params


QueryParams = Annotated[Params, Depends(_query_params)]
FormParams = Annotated[Params, Depends(_form_params)]


@router.get("/.well-known/openid-configuration")
def discovery() -> dict[str, Any]:
    """Describe the provider (OpenID Connect Discovery 1.0)."""
    base = get_settings().base_url.rstrip("/")
    return {
        "issuer": get_settings().base_url,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [tokens.ALGORITHM],
        "token_endpoint_auth_methods_supported": [*AUTH_METHODS, "none"],
        "scopes_supported": list(OIDC_SCOPES),
        "claims_supported": CLAIMS_SUPPORTED,
    }


@router.get("/.well-known/jwks.json")
def jwks_document(session: DbSession) -> dict[str, Any]:
    """Publish the public keys that verify ID tokens and access tokens."""
    return tokens.jwks(session)


@router.get("/oauth/authorize", response_class=Response)
def authorize(request: Request, session: DbSession, params: QueryParams) -> Response:
    """Issue an authorization code to a registered relying party for the signed-in user.

    There is no consent screen: clients are government systems registered by a department
    administrator, so signing in is the user's decision to use them. A request naming an
    unknown client or an unregistered redirect URI is answered here (400), never redirected.
    """
    server = GovHubAuthorizationServer(session, request)
    oauth_request = server.oauth2_request(params)
    cookie = request.cookies.get(SESSION_COOKIE)
    account = _signed_in_account(session, cookie)
    try:
        grant = server.get_consent_grant(oauth_request, end_user=account)
    except OAuth2Error as error:
        return server.handle_error_response(oauth_request, error)  # type: ignore[no-any-return]
    if account is None or cookie is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{LOGIN_PATH}?{urlencode({'next': target})}", status_code=302)
    server.auth_time = authn.web_session_started_at(session, cookie)
    return server.create_authorization_response(  # type: ignore[no-any-return]
        oauth_request, grant_user=account, grant=grant
    )


def _signed_in_account(session: Session, cookie: str | None) -> Account | None:
    principal = authn.principal_from_web_session(session, cookie) if cookie else None
    if principal is None or principal.account_id is None:
        return None
    return session.get(Account, principal.account_id)


@router.post("/oauth/token", response_class=Response)
def token(request: Request, session: DbSession, params: FormParams) -> Response:
    """Exchange an authorization code, or a department system's credentials, for tokens."""
    server = GovHubAuthorizationServer(session, request)
    oauth_request = server.oauth2_request(params)
    response: Response = server.create_token_response(oauth_request)
    if response.status_code >= 400:
        replayed = oauth_request.replayed_code
        facts = (replayed.account_id, replayed.client_id) if replayed is not None else None
        session.rollback()  # a refused request changes nothing ...
        if facts is not None:  # ... but a replayed code is a fact worth keeping
            _audit_replay(session, request, account_id=facts[0], client_id=facts[1])
    return response


def _audit_replay(
    session: Session, request: Request, *, account_id: uuid.UUID, client_id: str
) -> None:
    client = session.get(OAuthClient, client_id)
    audit.record(
        session,
        AuditAction.CODE_REPLAYED,
        account_id=account_id,
        client_id=client_id,
        department_id=client.department_id if client is not None else None,
        ip=request.client.host if request.client else None,
    )


@router.get("/oauth/userinfo", response_class=Response)
@router.post("/oauth/userinfo", response_class=Response)
def userinfo(request: Request, session: DbSession) -> Response:
    """Return the claims of the user an OIDC access token was issued for."""
    try:
        claims = _userinfo_claims(request, session)
    except Unauthenticated as exc:
        has_token = bool(request.headers.get("authorization"))
        challenge = 'Bearer error="invalid_token"' if has_token else 'Bearer realm="govhub"'
        return _bearer_problem(request, exc, challenge)
    except PermissionDenied as exc:
        return _bearer_problem(request, exc, 'Bearer error="insufficient_scope", scope="openid"')
    return JSONResponse(claims, headers={"Cache-Control": "no-store"})


def _userinfo_claims(request: Request, session: Session) -> dict[str, Any]:
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not bearer.strip():
        raise Unauthenticated("present an access token: Authorization: Bearer <token>")
    claims = tokens.verify_jwt(session, bearer.strip(), audience=authn.API_AUDIENCE)
    scope = str(claims.get("scope", ""))
    if "openid" not in scope.split():
        raise PermissionDenied("this access token was not issued with the openid scope")
    try:
        account = session.get(Account, uuid.UUID(str(claims["sub"])))
    except ValueError as exc:
        raise PermissionDenied("this access token does not belong to a person") from exc
    if account is None or not account.is_active:
        raise Unauthenticated("the account of this token is no longer active")
    return user_claims(account, scope)


def _bearer_problem(
    request: Request, exc: Unauthenticated | PermissionDenied, challenge: str
) -> Response:
    return problem(
        request,
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        headers={"WWW-Authenticate": challenge},
    )
