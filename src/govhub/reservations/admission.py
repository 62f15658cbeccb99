"""Admission control of the booking endpoints: a per-process concurrency gate that refuses at
once (429 with Retry-After) instead of queueing, and per-IP and per-identity rate limits."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

from fastapi import Request

from govhub.core.errors import RateLimited
from govhub.core.ratelimit import SlidingWindow
from govhub.identity.principal import Principal
from govhub.reservations.settings import get_reservation_settings


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


booking_gate = ConcurrencyGate()
ip_limiter = SlidingWindow("booking attempts from this address")
identity_limiter = SlidingWindow("booking attempts from this account")


async def admit(request: Request) -> AsyncIterator[None]:
    """FastAPI dependency: rate-limit the caller's address and pass the concurrency gate."""
    settings = get_reservation_settings()
    host = request.client.host if request.client else "unknown"
    ip_limiter.hit(host, limit=settings.per_ip_per_minute)
    if not booking_gate.try_enter(settings.max_concurrent_bookings):
        raise RateLimited(
            "the booking service is at capacity; please retry shortly",
            retry_after=settings.retry_after_seconds,
        )
    try:
        yield
    finally:
        booking_gate.leave()


def check_identity(principal: Principal) -> None:
    """Rate-limit one account's booking attempts."""
    key = str(principal.account_id or principal.client_id or principal.username)
    identity_limiter.hit(key, limit=get_reservation_settings().per_identity_per_minute)
