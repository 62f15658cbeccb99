"""Jinja2 rendering for pages: one environment per locale, the layout's context, safe headers.

Every page handler ends with `render(request, "<domain>/<page>.html", {...})`. Templates live
in `src/govhub/web/templates/` (a sub-folder per domain), extend `base.html`, and wrap every
visible string in `_()` / `{% trans %}`; the environment of the request's locale translates
them. The layout reads the signed-in principal from `request.state.principal`, which the
`MaybePrincipal` dependency (or any permission dependency) sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from govhub import __version__
from govhub.core.i18n import (
    LOCALE_COOKIE,
    LOCALE_NAMES,
    SUPPORTED_LOCALES,
    get_translations,
    negotiate_locale,
)
from govhub.identity.principal import Principal
from govhub.web import csrf, labels
from govhub.web.nav import visible_nav

WEB_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
DISPLAY_TIMEZONE = "Asia/Shanghai"

SECURITY_HEADERS = {
    # Scripts only from this origin (vendored htmx/ECharts); charts may set inline styles.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def request_locale(request: Request) -> str:
    """Return the locale of `request` (cookie, then Accept-Language, then the default)."""
    cached: str | None = getattr(request.state, "locale", None)
    if cached is None:
        cached = negotiate_locale(
            request.cookies.get(LOCALE_COOKIE), request.headers.get("accept-language")
        )
        request.state.locale = cached
    return cached


def static_url(path: str) -> str:
    """Return the URL of a static file, versioned so browsers refetch after an upgrade."""
    return f"/static/{path}?v={__version__}"


def _display_zone() -> ZoneInfo | None:
    try:
        return ZoneInfo(DISPLAY_TIMEZONE)
    except ZoneInfoNotFoundError:  # pragma: no cover - systems without tz data show UTC
        return None


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def environment(locale: str) -> Environment:
    """Return the template environment translating into `locale`."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(("html",)),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    cast(Any, env).install_gettext_translations(get_translations(locale), newstyle=True)
    zone = _display_zone()

    def localized_name(obj: Any) -> str:
        english = getattr(obj, "name_en", "")
        return str(english if locale == "en" and english else obj.name)

    def when(value: datetime | None) -> str:
        if value is None:
            return ""
        moment = value.astimezone(zone) if zone else value.astimezone(UTC)
        return format_datetime(moment, "medium", locale=locale)

    def number(value: int) -> str:
        return format_decimal(value, locale=locale)

    env.globals.update(
        static=static_url,
        locale=locale,
        html_lang="zh-CN" if locale == "zh_CN" else locale,
        locale_names=LOCALE_NAMES,
        supported_locales=SUPPORTED_LOCALES,
        localized_name=localized_name,
        role_labels=labels.ROLE_LABELS,
        kind_labels=labels.KIND_LABELS,
        department_type_labels=labels.DEPARTMENT_TYPE_LABELS,
        version=__version__,
    )
    env.filters.update(when=when, number=number)
    return env


def _current_target(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render `template` in the request's locale inside the layout and return the response."""
    locale = request_locale(request)
    principal: Principal | None = getattr(request.state, "principal", None)
    path = request.url.path
    target = _current_target(request)
    values: dict[str, Any] = {
        "request": request,
        "user": principal,
        "current_path": path,
        "nav": [(item, item.is_active(path)) for item in visible_nav(principal)],
        "csrf_token": lambda: csrf.csrf_token(request),
        "csrf_field": csrf.CSRF_FIELD,
        "request_id": getattr(request.state, "request_id", ""),
        "lang_url": lambda code: f"/lang/{code}?{urlencode({'next': target})}",
        "login_url": f"/login?{urlencode({'next': target})}" if path != "/login" else "/login",
    }
    values.update(context or {})
    body = environment(locale).get_template(template).render(values)
    response = HTMLResponse(body, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Content-Language"] = "zh-CN" if locale == "zh_CN" else locale
    response.headers["Vary"] = "Cookie, Accept-Language"
    if headers:
        response.headers.update(headers)
    csrf.set_csrf_cookie(request, response)
    return response
