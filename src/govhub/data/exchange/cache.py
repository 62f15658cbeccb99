"""What a gateway call checks, kept per process: the grant and its resource's latest dataset.

The grant's privacy transforms are compiled once into the view too (DuckDB expressions, and
the per-grant pseudonym key for the transforms that run in Python).

A page call used to read the grant (with its resource and department) and then the latest
dataset version on every request. Those rows change rarely, so their plain-value form
(`GrantView`) is kept per (consuming system, resource) in a `WatchedCache`: a flush or commit
in this process touching a grant, dataset version, resource, client or department empties it
(a revoked grant is refused by the very next call), and `GOVHUB_EXCHANGE_CACHE_SECONDS` bounds
how long a change made by another process goes unseen. Only active grants are kept; expiry is
checked against the clock on every use, and every refusal (no grant, revoked, expired, no data)
is decided on fresh rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from govhub.core.cache import WatchedCache
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.sharing.models import Grant
from govhub.data.sharing.schemas import Condition
from govhub.identity.models import Department, OAuthClient
from govhub.privacy import policy as privacy


@dataclass(frozen=True, slots=True)
class DatasetView:
    """The latest dataset version of a resource, as the gateway reads it."""

    storage_key: str
    version: int
    present: tuple[str, ...]
    kinds: dict[str, str]  # the columns of a plain type, by kind (`writers.PLAIN_KINDS`)


@dataclass(frozen=True, slots=True)
class GrantView:
    """An active grant and its resource's latest dataset, as plain values."""

    grant_id: uuid.UUID
    resource_id: uuid.UUID
    owner_id: uuid.UUID
    purpose: str
    fields: tuple[str, ...]
    protected: frozenset[str]
    expires_at: datetime
    conditions: tuple[Condition, ...]
    policies: dict[str, privacy.FieldPolicy]
    compiled: dict[str, str | None]  # each policy as a DuckDB expression, None: in Python
    pseudonym_key: bytes | None  # the grant's HMAC key, when a policy pseudonymizes
    dataset: DatasetView | None

    def is_active(self, now: datetime) -> bool:
        """Tell whether the grant still allows reading at `now` (revocation invalidates)."""
        return now < self.expires_at


grants: WatchedCache[tuple[str, uuid.UUID], GrantView] = WatchedCache(
    Grant, DatasetVersion, Resource, OAuthClient, Department
)
