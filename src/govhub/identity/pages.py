"""Pages of the identity domain: sign in, sign out, and the signed-in user's own account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govhub.core.errors import RateLimited
from govhub.core.i18n import N_
from govhub.core.settings import get_settings
from govhub.identity import authn, deps, service
from govhub.identity.deps import SESSION_COOKIE, DbSession, MaybePrincipal
from govhub.identity.principal import Principal
from govhub.web.csrf import CsrfChecked
from govhub.web.redirects import safe_next
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)

LOGIN_TEMPLATE = "identity/login.html"
MSG_MISSING = N_("Enter your username and password.")
MSG_FAILED = N_("The username or password is not correct.")
MSG_LOCKED = N_(
    "This account is temporarily locked after repeated failed sign-ins. "
    "Please try again later or contact your administrator."
)
MSG_THROTTLED = N_(
    "Too many sign-in attempts from your network. Please wait %(seconds)s seconds and try again."
)

NextQuery = Annotated[str | None, Query(alias="next", max_length=2048)]
NextForm = Annotated[str, Form(alias="next", max_length=2048)]


def _landing(principal: Principal) -> str:
    """Where a user goes after signing in when no `next` was asked for."""
    return "/workbench" if principal.is_official else "/account"


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _login_form(
    request: Request,
    *,
    target: str,
    username: str = "",
    error: str | None = None,
    error_args: dict[str, int] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        LOGIN_TEMPLATE,
        {"next": target, "username": username, "error": error, "error_args": error_args or {}},
        status_code=status_code,
        headers=headers,
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, principal: MaybePrincipal, next_: NextQuery = None) -> Response:
    """Show the sign-in form (or go straight on when already signed in)."""
    target = safe_next(next_, default="")
    if principal is not None and principal.account_id is not None:
        return RedirectResponse(target or _landing(principal), status_code=303)
    return _login_form(request, target=target)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    _: CsrfChecked,
    session: DbSession,
    username: Annotated[str, Form(max_length=256)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next_: NextForm = "",
) -> Response:
    """Check the credentials, open a browser session and continue to `next` (same site only)."""
    target = safe_next(next_, default="")
    if not username.strip() or not password:
        return _login_form(
            request, target=target, username=username, error=MSG_MISSING, status_code=422
        )
    try:
        account = authn.authenticate(
            session, username=username, password=password, ip=_client_ip(request)
        )
    except RateLimited as exc:
        return _login_form(
            request,
            target=target,
            username=username,
            error=MSG_THROTTLED,
            error_args={"seconds": exc.retry_after},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except authn.LoginFailed as exc:
        # Caught here, so the session dependency commits the failure count, as authn intends.
        message = MSG_LOCKED if "locked" in exc.detail else MSG_FAILED
        return _login_form(
            request, target=target, username=username, error=message, status_code=401
        )
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        authn.end_web_session(session, previous)
    token = authn.start_web_session(session, account)
    settings = get_settings()
    response = RedirectResponse(target or _landing(authn.principal_for(account)), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


@router.post("/logout")
def logout(request: Request, _: CsrfChecked, session: DbSession) -> Response:
    """End the browser session and return to the home page."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        authn.end_web_session(session, cookie)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
    )
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, principal: deps.ProfileRead, session: DbSession) -> Response:
    """Show the signed-in user's own profile: identity, masked ID number, roles, permissions."""
    profile = service.get_profile(session, principal=principal)
    department = (
        service.get_department(session, principal=principal, department_id=profile.department_id)
        if profile.department_id
        else None
    )
    division = (
        service.get_division(session, profile.division_code) if profile.division_code else None
    )
    return render(
        request,
        "identity/account.html",
        {"profile": profile, "department": department, "division": division},
    )


OFFICIALS_PAGE_SIZE = 25


@router.get("/workbench/officials", response_class=HTMLResponse)
def officials(
    request: Request,
    principal: deps.AccountsRead,
    session: DbSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """List the officials within the caller's scope, searchable by username or name."""
    items, total = service.list_accounts(
        session,
        principal=principal,
        query_text=q or None,
        limit=OFFICIALS_PAGE_SIZE,
        offset=(page - 1) * OFFICIALS_PAGE_SIZE,
    )
    pages = max(1, -(-total // OFFICIALS_PAGE_SIZE))
    return render(
        request,
        "identity/officials.html",
        {"officials": items, "total": total, "q": q or "", "page": page, "pages": pages},
    )
