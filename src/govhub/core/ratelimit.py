"""Sliding-window rate limits kept in process memory.

Each worker process keeps its own windows; behind several workers the effective limit is the
per-process limit times the worker count. Callers that need a hard bound add one of their own
(the login lockout, the exchange's quotas recorded in the database).
"""

from __future__ import annotations

import threading
import time
from collections import deque

from govhub.core.errors import RateLimited


class SlidingWindow:
    """Counts events per key over the last `window` seconds."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, limit: int, window: float = 60.0) -> None:
        """Count one event for `key`; raise `RateLimited` beyond `limit` per `window`."""
        now = time.monotonic()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - window:
                events.popleft()
            if len(events) >= limit:
                retry = int(events[0] + window - now) + 1
                raise RateLimited(f"too many {self.what}; wait and try again", retry_after=retry)
            events.append(now)

    def reset(self) -> None:
        """Forget every event."""
        with self._lock:
            self._events.clear()
