"""Process-local caches of database rows, dropped when this process changes those rows.

A `WatchedCache` names the mapped classes its values are made of. Any flush in this process
that adds, changes or deletes one of them (or an ORM bulk UPDATE/DELETE of one) empties it and
bumps its generation; so does the commit or rollback that ends such a transaction, because
another thread may have read the old rows in between. A value is stored only under the
generation read *before* its rows were read, so a value built across a change is never kept.
A time to live bounds how long a change made by another process (a second worker, the CLI)
goes unseen; a time to live of 0 turns the cache off.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Hashable
from itertools import chain
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_STALE = "govhub_stale_caches"
_caches: weakref.WeakSet[WatchedCache[Any, Any]] = weakref.WeakSet()


class WatchedCache(Generic[K, V]):
    """A small dict of values made of rows of `watched` classes, with a time to live."""

    def __init__(self, *watched: type[Any], max_entries: int = 4096) -> None:
        self.watched = watched
        self.max_entries = max_entries
        self.generation = 0
        self._lock = threading.Lock()
        self._entries: dict[K, tuple[int, float, V]] = {}
        _caches.add(self)

    def get(self, key: K, *, ttl: float) -> V | None:
        """Return the value under `key` if it is of this generation and younger than `ttl`."""
        found = self._entries.get(key) if ttl > 0 else None
        if found is None:
            return None
        generation, born, value = found
        if generation != self.generation or time.monotonic() - born >= ttl:
            return None
        return value

    def put(self, key: K, value: V, *, since: int, ttl: float) -> None:
        """Keep `value`, built from rows read at generation `since`, unless they changed since."""
        if ttl <= 0:
            return
        with self._lock:
            if self.generation != since:
                return
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (since, time.monotonic(), value)

    def invalidate(self) -> None:
        """Forget every value, and make values being built now unusable."""
        with self._lock:
            self.generation += 1
            self._entries.clear()


def _stale(session: Session, classes: set[type[Any]]) -> None:
    hit = [c for c in list(_caches) if any(issubclass(k, c.watched) for k in classes)]
    for cache in hit:
        cache.invalidate()
    if hit:
        session.info.setdefault(_STALE, set()).update(hit)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    changed = {type(o) for o in chain(session.new, session.dirty, session.deleted)}
    if changed:
        _stale(session, changed)


@event.listens_for(Session, "do_orm_execute")
def _after_bulk(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        _stale(state.session, {state.bind_mapper.class_})


def _end(session: Session) -> None:
    for cache in session.info.pop(_STALE, ()):
        cache.invalidate()


event.listen(Session, "after_commit", _end)
event.listen(Session, "after_rollback", _end)
