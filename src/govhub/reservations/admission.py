"""Admission control of the booking endpoints, at the edge of the application.

`AdmissionMiddleware` is a plain ASGI middleware in front of FastAPI: for the booking and
registration POST routes it applies the per-IP limit and a per-process concurrency gate
before any routing, body read or authentication, and refuses at once with a pre-encoded
problem+json 429 (no queueing). An admitted request leaves the gate when its response
completes, when the application raises, or when the client goes away.

A refusal's Retry-After is an estimated wait, not a fixed number (`WaitEstimator`): a fixed
small value makes every waiting resident retry every second, and under a surge the
rejections alone then take the cores the bookings need (congestive collapse). The per-identity
limit needs the caller's identity and stays in the endpoint (`check_identity`).
"""

from __future__ import annotations

import functools
import json
import math
import re
import threading
import time
from collections.abc import Callable

from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govhub.core.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, RateLimited
from govhub.core.ratelimit import SlidingWindow
from govhub.identity.principal import Principal
from govhub.reservations.settings import get_reservation_settings

REFUSED = Counter(
    "govhub_reservations_admission_refused_total",
    "Booking and registration requests refused at the edge",
    ["reason"],
)
_REFUSED_ADDRESS = REFUSED.labels("address")
_REFUSED_CAPACITY = REFUSED.labels("capacity")

# The routes admission control guards: booking and registration, by the API and the page.
GUARDED = re.compile(
    r"^/api/v1/reservations/campaigns/[^/]+/(?:bookings|registrations)$"
    r"|^/reservations/campaigns/[^/]+/bookings$"
)


class ConcurrencyGate:
    """Counts requests in progress; admits a new one only below the limit."""

    def __init__(self) -> None:
        self._active = 0
        self._lock = threading.Lock()

    @property
    def active(self) -> int:
        """The number of requests admitted and not yet finished."""
        return self._active

    def try_enter(self, limit: int) -> bool:
        """Admit one request when fewer than `limit` are in progress."""
        with self._lock:
            if self._active >= limit:
                return False
            self._active += 1
            return True

    def leave(self) -> None:
        """Mark one admitted request finished."""
        with self._lock:
            self._active -= 1


class WaitEstimator:
    """Retry-After as a place in a virtual queue served at the measured throughput.

    Every refused client joins the back of a queue that drains at the throughput: its wait
    is the queue's length divided by the throughput, so the clients told to come back return
    at about the rate the server finishes admitted requests instead of all at once. Only the
    length is kept; when the throughput rises (answers get cheaper, as after a sell-out),
    the waits given shrink at once. Throughput is the number of admitted requests finished
    over the last `window` whole seconds (at least `floor` per second, so a cold process does
    not send its first refusals away for long). Waits are whole seconds clamped to
    [`shortest`, `longest`]; the queue never holds more than `longest` seconds of work, so a
    burst that passed is forgotten within that time. A waiting-room token with a signed
    position would add fairness across retries; this estimate needs no state in the client
    and no per-client state in the server.
    """

    def __init__(
        self,
        *,
        window: int = 5,
        shortest: int = 1,
        longest: int = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window, self.shortest, self.longest, self.clock = window, shortest, longest, clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget the measured throughput and the promised turns."""
        with self._lock:
            self._counts = [0] * self.window
            self._seconds = [-1] * self.window
            self._queued, self._updated = 0.0, 0.0
            self._rate_second, self._rate = -1, 0.0

    def finished(self) -> None:
        """Count one admitted request finished now."""
        second = int(self.clock())
        index = second % self.window
        with self._lock:
            if self._seconds[index] != second:
                self._seconds[index], self._counts[index] = second, 0
            self._counts[index] += 1

    def throughput(self, floor: float) -> float:
        """Admitted requests finished per second over the last whole seconds (summed once a
        second)."""
        now = int(self.clock())
        if now != self._rate_second:
            done = sum(
                count
                for second, count in zip(self._seconds, self._counts, strict=True)
                if now - self.window <= second < now
            )
            self._rate_second, self._rate = now, done / self.window
        return max(floor, self._rate, 1e-9)

    def refused(self, *, floor: float) -> int:
        """Put a refused client at the back of the queue; return its wait in whole seconds."""
        now = self.clock()
        rate = self.throughput(floor)
        with self._lock:
            queued = max(0.0, self._queued - rate * (now - self._updated))
            self._queued, self._updated = min(queued + 1, rate * self.longest), now
        return min(self.longest, max(self.shortest, math.ceil(queued / rate)))


booking_gate = ConcurrencyGate()
wait_estimator = WaitEstimator()
ip_limiter = SlidingWindow("booking attempts from this address")
identity_limiter = SlidingWindow("booking attempts from this account")

_AT_CAPACITY = "the booking service is at capacity; please retry after the time given"


@functools.lru_cache(maxsize=1024)
def _encoded(detail: str, retry_after: int) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The headers and body of a 429 problem document, encoded once per (detail, wait)."""
    body = json.dumps(
        {
            "type": PROBLEM_BASE + RateLimited.slug,
            "title": RateLimited.title,
            "status": 429,
            "detail": detail,
            "retry_after": retry_after,
        }
    ).encode()
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()),
        (b"cache-control", b"no-store"),
    ]
    return headers, body


HtmlRenderer = Callable[[Request, int, str, str], Response]


class AdmissionMiddleware:
    """Guard the booking and registration POST routes before FastAPI sees them."""

    def __init__(self, app: ASGIApp, *, render_html: HtmlRenderer | None = None) -> None:
        self.app = app
        self.render_html = render_html

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or GUARDED.match(scope["path"]) is None
        ):
            await self.app(scope, receive, send)
            return
        settings = get_reservation_settings()
        client = scope.get("client")
        try:
            ip_limiter.hit(client[0] if client else "unknown", limit=settings.per_ip_per_minute)
        except RateLimited as exc:
            _REFUSED_ADDRESS.inc()
            await self._refuse(scope, receive, send, exc.detail, exc.retry_after)
            return
        limit = settings.max_concurrent_bookings
        if not booking_gate.try_enter(limit):
            _REFUSED_CAPACITY.inc()
            wait = wait_estimator.refused(floor=max(1, limit))
            await self._refuse(scope, receive, send, _AT_CAPACITY, wait)
            return
        admitted = True

        def leave() -> None:
            nonlocal admitted
            if admitted:
                admitted = False
                booking_gate.leave()
                wait_estimator.finished()

        async def send_then_leave(message: Message) -> None:
            try:
                await send(message)
            finally:
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    leave()

        try:
            await self.app(scope, receive, send_then_leave)
        finally:
            leave()

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, detail: str, retry_after: int
    ) -> None:
        wants_html = b"text/html" in dict(scope["headers"]).get(b"accept", b"")
        if self.render_html is not None and wants_html and not scope["path"].startswith("/api"):
            scope.setdefault("state", {})["principal"] = None  # no database work on a refusal
            page = self.render_html(Request(scope), 429, RateLimited.title, detail)
            page.headers["Retry-After"] = str(retry_after)
            await page(scope, receive, send)
            return
        headers, body = _encoded(detail, retry_after)
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def check_identity(principal: Principal) -> None:
    """Rate-limit one account's booking attempts."""
    key = str(principal.account_id or principal.client_id or principal.username)
    identity_limiter.hit(key, limit=get_reservation_settings().per_identity_per_minute)
