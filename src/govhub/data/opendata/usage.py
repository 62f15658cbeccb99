"""Usage counts per dataset and day, gathered in memory and saved in batches.

Counting a call is an increment under a lock; the counts reach `opendata_usage_daily` at most
every `usage_flush_seconds`, in one upsert per (dataset, day) and in the transaction of the
request that happens to flush. A crash loses at most that interval's counts, which statistics
can afford; a request never waits on a counter row another request holds for long.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from datetime import date
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from govhub.core.db import session_scope, utcnow
from govhub.data.opendata.models import UsageDaily


class Usage(StrEnum):
    """What is counted."""

    API_CALL = "api_calls"
    DOWNLOAD = "downloads"
    VIEW = "views"


class UsageBuffer:
    """Counts gathered since the last flush."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[uuid.UUID, date, Usage]] = Counter()
        self._lock = threading.Lock()
        self._flushed = time.monotonic()

    def count(self, resource_id: uuid.UUID, what: Usage, n: int = 1) -> None:
        """Count `n` uses of a dataset today."""
        with self._lock:
            self._counts[(resource_id, utcnow().date(), what)] += n

    def due(self, interval: float) -> bool:
        """Tell whether the counts should be saved now."""
        with self._lock:
            return bool(self._counts) and time.monotonic() - self._flushed >= interval

    def take(self) -> Counter[tuple[uuid.UUID, date, Usage]]:
        """Remove and return the gathered counts."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            self._flushed = time.monotonic()
            return counts

    def write(self, session: Session, counts: Counter[tuple[uuid.UUID, date, Usage]]) -> None:
        """Add `counts` to the daily rows (in the caller's transaction)."""
        rows: dict[tuple[uuid.UUID, date], dict[str, int]] = {}
        for (resource_id, day, what), n in counts.items():
            rows.setdefault((resource_id, day), {})[what.value] = n
        for (resource_id, day), day_counts in rows.items():
            key = (UsageDaily.resource_id == resource_id, UsageDaily.day == day)
            if session.scalar(select(UsageDaily.day).where(*key)) is None:
                try:
                    with session.begin_nested():
                        session.add(
                            UsageDaily(resource_id=resource_id, day=day, **_full(day_counts))
                        )
                    continue
                except IntegrityError:  # another request added the day's row meanwhile
                    pass
            columns = {name: getattr(UsageDaily, name) + n for name, n in day_counts.items()}
            session.execute(update(UsageDaily).where(*key).values(columns))

    def restore(self, counts: Counter[tuple[uuid.UUID, date, Usage]]) -> None:
        """Put back counts that could not be saved."""
        with self._lock:
            self._counts.update(counts)

    def save(self) -> None:
        """Save the gathered counts in a transaction of their own; keep them if that fails.

        A failed save (a locked or unreachable database) never fails the call that triggered
        it: the counts stay in memory for the next save.
        """
        counts = self.take()
        if not counts:
            return
        try:
            with session_scope() as session:
                self.write(session, counts)
        except SQLAlchemyError:
            log.warning("usage counts not saved; kept for the next save")
            self.restore(counts)

    def reset(self) -> None:
        """Forget the gathered counts."""
        self.take()


def _full(counts: dict[str, int]) -> dict[str, int]:
    return {what.value: counts.get(what.value, 0) for what in Usage}


log = logging.getLogger("govhub.opendata")
buffer = UsageBuffer()


def totals(session: Session, resource_id: uuid.UUID) -> dict[str, int]:
    """Return a dataset's saved usage counts over all days."""
    rows = session.scalars(select(UsageDaily).where(UsageDaily.resource_id == resource_id))
    result = dict.fromkeys((w.value for w in Usage), 0)
    for row in rows:
        for what in Usage:
            result[what.value] += getattr(row, what.value)
    return result
