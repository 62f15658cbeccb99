"""Find and remove storage objects no database row owns (`govhub data gc`).

A load writes its Parquet object and load log just before its transaction commits, so a crash
in between leaves objects that no `DatasetVersion` names; an upload whose transaction failed
leaves a staged file no job names. Objects younger than `min_age` are left alone: they may
belong to a load that is committing right now.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.storage import FsspecStorage, LocalStorage, Storage
from govhub.data.catalog.models import DatasetVersion
from govhub.data.ingest.models import LoadJob


@dataclass(frozen=True)
class Orphan:
    """A storage object that nothing refers to."""

    key: str
    kind: str
    bytes: int | None

    def to_dict(self) -> dict[str, Any]:
        """Return the orphan as JSON-ready data."""
        return {"key": self.key, "kind": self.kind, "bytes": self.bytes}


def _stat(storage: Storage, key: str) -> tuple[float | None, int | None]:
    """Return an object's modification time (epoch seconds) and size, where known."""
    if isinstance(storage, LocalStorage):
        info = (storage.root / key).stat()
        return info.st_mtime, info.st_size
    if isinstance(storage, FsspecStorage):
        details = storage.fs.info(f"{storage.base.rstrip('/')}/{key}")
        mtime = details.get("mtime") or details.get("created")
        stamp = mtime.timestamp() if hasattr(mtime, "timestamp") else mtime
        return (float(stamp) if stamp is not None else None), details.get("size")
    return None, None  # pragma: no cover - every shipped backend is handled above


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _classify(key: str, datasets: set[str], jobs: set[uuid.UUID]) -> str | None:
    """Return the kind of an orphaned key, or None when something owns it."""
    parts = key.split("/")
    if parts[0] == "datasets":
        owner = key.removesuffix(".load.json")
        owner = owner if owner.endswith(".parquet") else owner + ".parquet"
        if owner in datasets:
            return None
        return "load_log" if key.endswith(".load.json") else "dataset"
    if parts[0] == "loads" and len(parts) >= 3 and parts[1] in ("staging", "quarantine"):
        job_id = _uuid(parts[2])
        return None if job_id in jobs else parts[1]
    return None


def find_orphans(session: Session, storage: Storage, *, min_age: timedelta) -> list[Orphan]:
    """List the dataset, load-log, staging and quarantine objects no row owns."""
    datasets = set(session.scalars(select(DatasetVersion.storage_key)))
    jobs = set(session.scalars(select(LoadJob.id)))
    cutoff = time.time() - min_age.total_seconds()
    found: list[Orphan] = []
    for prefix in ("datasets/", "loads/"):
        for key in storage.list(prefix):
            kind = _classify(key, datasets, jobs)
            if kind is None:
                continue
            mtime, size = _stat(storage, key)
            if mtime is not None and mtime > cutoff:
                continue
            found.append(Orphan(key=key, kind=kind, bytes=size))
    return found


def remove(storage: Storage, orphans: list[Orphan]) -> None:
    """Delete the given orphaned objects."""
    for orphan in orphans:
        storage.delete(orphan.key)
