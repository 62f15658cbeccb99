"""ASGI middleware: request ids, structured access logs, Prometheus metrics, body-size limit."""

from __future__ import annotations

import logging
import re
import time
import uuid

from prometheus_client import Counter, Histogram
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govhub.core.errors import PayloadTooLarge, problem
from govhub.core.logging import request_id_var

log = logging.getLogger("govhub.http")

REQUESTS = Counter(
    "govhub_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "govhub_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")


class RequestContextMiddleware:
    """Give every request an id (echoed as X-Request-ID), log it, and count it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"x-request-id" for name, _ in headers):
                    headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)


class BodyLimitMiddleware:
    """Refuse request bodies over the limit with 413, whether declared or streamed.

    File uploads (`multipart/form-data`) get `max_upload_bytes`; every other body `max_bytes`.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        is_upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.max_upload_bytes if is_upload else self.max_bytes
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(scope, receive, send, limit)
            return
        seen = 0
        exceeded = False

        async def counting_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise PayloadTooLarge(f"request bodies are limited to {limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            # Once a streamed body overflowed, whatever the app answers becomes a 413.
            if not exceeded:
                await send(message)
            elif message["type"] == "http.response.start":
                await _refuse(scope, receive, send, limit)

        await self.app(scope, counting_receive, guarded_send)


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = problem(
        Request(scope),
        status=413,
        slug=PayloadTooLarge.slug,
        title=PayloadTooLarge.title,
        detail=f"request bodies are limited to {limit} bytes",
    )
    await response(scope, receive, send)


class RejectNulMiddleware:
    """Answer 400 to a path or query string holding a NUL character (no stored text may)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            response = problem(
                Request(scope),
                status=400,
                slug="bad-request",
                title="Bad request",
                detail="the address holds a NUL character",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
