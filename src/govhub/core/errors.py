"""The platform's exception tree and its RFC 9457 `application/problem+json` rendering.

    GovHubError                    500  internal-error
    ├── InvalidInput               422  invalid-input      (carries the offending fields)
    │   └── PayloadTooLarge        413  payload-too-large
    ├── Unauthenticated            401  unauthenticated
    ├── PermissionDenied           403  permission-denied
    ├── NotFound                   404  not-found
    ├── Conflict                   409  conflict
    ├── RateLimited                429  rate-limited       (carries Retry-After)
    └── ServiceUnavailable         503  service-unavailable

Services raise these; they never import FastAPI. The handlers installed by `install_handlers`
turn them (and FastAPI's own validation and HTTP errors) into problem documents: a stable
`type` URI, a readable `title` and `detail`, the `status`, the request's `instance` path,
the request id, and for validation errors an `errors` list naming each field.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_BASE = "https://govhub.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

log = logging.getLogger("govhub.errors")


class GovHubError(Exception):
    """Base of every error the platform reports to a client."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"
    # True when the failure is itself a fact to keep (a failed login counts towards lockout):
    # the transaction is committed before the error is reported.
    keeps_changes: bool = False

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(self.detail)


class InvalidInput(GovHubError):
    """The request is well-formed but its content is not acceptable."""

    status = 422
    slug = "invalid-input"
    title = "Invalid input"

    def __init__(self, detail: str | None = None, *, field: str | None = None, **extra: Any):
        if field is not None:
            extra.setdefault("errors", [{"field": field, "message": detail or self.title}])
        super().__init__(detail, **extra)


class PayloadTooLarge(InvalidInput):
    """The request body exceeds the configured limit."""

    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


class Unauthenticated(GovHubError):
    """No valid credentials were presented."""

    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class PermissionDenied(GovHubError):
    """The caller is known but may not do this."""

    status = 403
    slug = "permission-denied"
    title = "Permission denied"


class NotFound(GovHubError):
    """The object does not exist or is outside the caller's scope."""

    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(GovHubError):
    """The request conflicts with the current state (a duplicate, a stale version)."""

    status = 409
    slug = "conflict"
    title = "Conflict"


class RateLimited(GovHubError):
    """Too many requests; retry after `retry_after` seconds."""

    status = 429
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int = 60) -> None:
        self.retry_after = retry_after
        super().__init__(detail)


class ServiceUnavailable(GovHubError):
    """A dependency (the database, storage) is not reachable."""

    status = 503
    slug = "service-unavailable"
    title = "Service unavailable"


_HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("permission-denied", "Permission denied"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
}


def problem(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """Build a problem+json response for `request`."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    headers = dict(headers or {})
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
        headers.setdefault("X-Request-ID", request_id)
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:] or parts
    return ".".join(parts)


HtmlRenderer = Callable[[Request, int, str, str], Response]


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api", "/oauth", "/.well-known", "/healthz", "/readyz", "/metrics")):
        return False
    return "text/html" in request.headers.get("accept", "")


def install_handlers(app: FastAPI, render_html: HtmlRenderer | None = None) -> None:
    """Render every error as problem+json, or through `render_html` for browsers on pages."""

    def respond(
        request: Request,
        *,
        status: int,
        slug: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> Response:
        if render_html is not None and _wants_html(request):
            response = render_html(request, status, title, detail)
            if headers:
                response.headers.update(headers)
            return response
        return problem(
            request, status=status, slug=slug, title=title, detail=detail, headers=headers, **extra
        )

    async def on_govhub_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, GovHubError):  # pragma: no cover - registered for this type
            raise exc
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return respond(
            request,
            status=exc.status,
            slug=exc.slug,
            title=exc.title,
            detail=exc.detail,
            headers=headers,
            **exc.extra,
        )

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, RequestValidationError):  # pragma: no cover
            raise exc
        errors = [
            {"field": _field_name(err.get("loc", ())), "message": err.get("msg", "invalid")}
            for err in exc.errors()
        ]
        return respond(
            request,
            status=422,
            slug="invalid-input",
            title="Invalid input",
            detail=f"{len(errors)} field(s) failed validation",
            errors=errors,
        )

    async def on_http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):  # pragma: no cover
            raise exc
        slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        return respond(
            request,
            status=exc.status_code,
            slug=slug,
            title=title,
            detail=detail,
            headers=dict(exc.headers) if exc.headers else None,
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"path": request.url.path})
        return respond(
            request,
            status=500,
            slug="internal-error",
            title="Internal error",
            detail="An unexpected error occurred; the request id identifies it in the logs.",
        )

    app.add_exception_handler(GovHubError, on_govhub_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
