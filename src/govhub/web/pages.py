"""The web shell: shared pages (home, language switch, workbench), error pages and mounting.

How the pieces fit, for whoever adds a page:

* **A page** is a route on an `APIRouter(include_in_schema=False)` in its domain's `pages.py`
  (`govhub/<domain>/pages.py`) that parses input, authorizes with a permission dependency
  (`WorkbenchUse`, `ProfileRead`, ... from `govhub.identity.deps`, or `MaybePrincipal` for
  public pages), calls one service function and returns
  `render(request, "<domain>/<page>.html", {...})` from `govhub.web.templating`.
  Add the router to `page_routers()` below; that is the only registration.
* **A template** goes in `src/govhub/web/templates/<domain>/`, starts with
  `{% extends "base.html" %}` and fills `title` and `content` (optionally `head`, `scripts`).
  Macros for icons, cards and page headers are in `_ui.html`.
* **A navigation item or workbench card** is one line in `govhub.web.nav` (`NAV`,
  `WORKBENCH_CARDS`).
* **A form** posts with `<input type="hidden" name="{{ csrf_field }}" value="{{ csrf_token() }}">`
  and its route declares `_: CsrfChecked` (from `govhub.web.csrf`); htmx requests send the token
  as a header automatically.
* **Text** is English inside `_()` in templates (or `N_()` in Python); then update the
  catalogs as `govhub.core.i18n` describes and translate the new `zh_CN` entries.
* **Charts** load `{{ static('vendor/echarts.min.js') }}` in the `scripts` block.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from govhub.core.db import session_scope
from govhub.core.errors import NotFound
from govhub.core.i18n import LOCALE_COOKIE, N_, SUPPORTED_LOCALES, gettext
from govhub.core.settings import get_settings
from govhub.data.catalog import pages as catalog_pages
from govhub.data.ingest import pages as ingest_pages
from govhub.data.lineage import pages as lineage_pages
from govhub.data.opendata import pages as opendata_pages
from govhub.data.quality import pages as quality_pages
from govhub.data.sharing import pages as sharing_pages
from govhub.identity import authn
from govhub.identity import pages as identity_pages
from govhub.identity import service as identity_service
from govhub.identity.deps import SESSION_COOKIE, DbSession, MaybePrincipal, WorkbenchUse
from govhub.identity.principal import Principal
from govhub.ledger import pages as ledger_pages
from govhub.licenses import pages as licenses_pages
from govhub.notifications import pages as notifications_pages
from govhub.payments import pages as payments_pages
from govhub.ratings import case_pages as rating_case_pages
from govhub.ratings import pages as ratings_pages
from govhub.reservations import pages as reservation_pages
from govhub.reservations.health import pages as health_pages
from govhub.services import application_pages as services_application_pages
from govhub.services import pages as services_pages
from govhub.services.proactive import pages as proactive_pages
from govhub.web.nav import visible_cards
from govhub.web.redirects import safe_next
from govhub.web.templating import STATIC_DIR, render, request_locale

log = logging.getLogger("govhub.web")

router = APIRouter(include_in_schema=False)

LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600

# Titles of the error tree (govhub.core.errors) and HTTP errors, listed for translation.
ERROR_TITLES = (
    N_("Internal error"),
    N_("Invalid input"),
    N_("Payload too large"),
    N_("Authentication required"),
    N_("Permission denied"),
    N_("Not found"),
    N_("Conflict"),
    N_("Too many requests"),
    N_("Service unavailable"),
    N_("Bad request"),
    N_("Method not allowed"),
    N_("Not acceptable"),
    N_("Unsupported media type"),
    N_("HTTP error"),
)

_FRIENDLY_DETAILS = {
    400: N_("The request could not be understood."),
    403: N_("You do not have permission to view this page."),
    404: N_("The page you asked for does not exist, or it has moved."),
    405: N_("This address does not accept that kind of request."),
    422: N_("Some of the information sent was not valid."),
    429: N_("Too many requests. Please wait a moment and try again."),
    500: N_("Something went wrong on our side. Please try again later."),
}


def page_routers() -> list[APIRouter]:
    """Return every domain's page router, in mounting order (add new domains here)."""
    return [
        router,
        identity_pages.router,
        catalog_pages.router,
        ingest_pages.router,
        quality_pages.router,
        lineage_pages.router,
        sharing_pages.router,
        ledger_pages.router,
        reservation_pages.router,
        payments_pages.router,
        licenses_pages.router,
        services_pages.router,
        proactive_pages.router,
        opendata_pages.router,
        health_pages.router,
        ratings_pages.router,
        notifications_pages.router,
        services_application_pages.router,
        rating_case_pages.router,
    ]


# --- public pages ----------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: DbSession, principal: MaybePrincipal) -> Response:
    """Show the public home page with live figures of the registry."""
    counts = identity_service.registry_counts(session)
    return render(request, "home.html", {"counts": counts})


@router.get("/fragments/home-stats", response_class=HTMLResponse)
def home_stats(request: Request, session: DbSession) -> Response:
    """Return the home page's figures as a fragment (refreshed by htmx)."""
    counts = identity_service.registry_counts(session)
    return render(request, "fragments/home_stats.html", {"counts": counts})


@router.get("/lang/{code}")
def switch_language(
    code: str, next_: Annotated[str | None, Query(alias="next", max_length=2048)] = None
) -> Response:
    """Remember the chosen language in a cookie and go back to the page."""
    if code not in SUPPORTED_LOCALES:
        raise NotFound(N_("This language is not available."))
    response = RedirectResponse(safe_next(next_), status_code=303)
    response.set_cookie(
        LOCALE_COOKIE,
        code,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        path="/",
        samesite="lax",
        httponly=True,
        secure=get_settings().secure_cookies,
    )
    return response


# --- officials -------------------------------------------------------------------------------


@router.get("/workbench", response_class=HTMLResponse)
def workbench(request: Request, principal: WorkbenchUse, session: DbSession) -> Response:
    """Show an official's workbench: their department, division, roles and work sections."""
    department = (
        identity_service.get_department(
            session, principal=principal, department_id=principal.department_id
        )
        if principal.department_id
        else None
    )
    division = (
        identity_service.get_division(session, principal.division_code)
        if principal.division_code
        else None
    )
    return render(
        request,
        "workbench.html",
        {"department": department, "division": division, "cards": visible_cards(principal)},
    )


# --- errors ----------------------------------------------------------------------------------


def _principal_for_error(request: Request, status: int) -> Principal | None:
    """The signed-in user for the error page's header, looked up only when cheap and safe."""
    if hasattr(request.state, "principal"):
        principal: Principal | None = request.state.principal
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or status >= 500:
        return None
    try:
        with session_scope() as session:
            return authn.principal_from_web_session(session, cookie)
    except Exception:  # the page must render even when the lookup fails
        log.warning("error page could not resolve the session", exc_info=True)
        return None


def _login_redirect(request: Request) -> Response:
    if request.method in {"GET", "HEAD"}:
        path = request.url.path
        target = f"{path}?{request.url.query}" if request.url.query else path
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    return RedirectResponse("/login", status_code=303)


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def render_error_page(request: Request, status: int, title: str, detail: str) -> Response:
    """Render an error for a browser (a 401 sends the browser to the login page instead)."""
    if status == 401:
        return _login_redirect(request)
    request.state.principal = _principal_for_error(request, status)
    locale = request_locale(request)
    if detail in {title, _status_phrase(status)} and status in _FRIENDLY_DETAILS:
        detail = _FRIENDLY_DETAILS[status]
    try:
        return render(
            request,
            "error.html",
            {
                "status": status,
                "title": gettext(locale, title),
                "detail": gettext(locale, detail),
            },
            status_code=status,
        )
    except Exception:  # a broken template must not hide the original error
        log.exception("error page failed to render")
        return HTMLResponse(f"<h1>{status}</h1>", status_code=status)


def mount(app: FastAPI) -> None:
    """Attach the page routes and static files to `app`."""
    for page_router in page_routers():
        app.include_router(page_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
