"""What a leaf hashes: the canonical JSON of an entry, including its index."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from govhub.ledger.models import LedgerEntry


def timestamp_text(moment: datetime) -> str:
    """Render a timestamp the way leaves hash it: UTC, microseconds, `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


_string = json.JSONEncoder(ensure_ascii=False).encode


def leaf_data(
    *,
    index: int,
    kind: str,
    actor: str,
    subject: str,
    department_id: uuid.UUID | str | None,
    payload_digest: str,
    recorded_at: datetime | str,
) -> bytes:
    """Return the bytes a leaf hashes: the entry's canonical JSON, including its index.

    Written out by hand in sorted key order (the hot loop of integration); it equals
    `recording.canonical_json` of the same object, which the tests check on random entries.
    """
    at = recorded_at if isinstance(recorded_at, str) else timestamp_text(recorded_at)
    department = _string(str(department_id)) if department_id is not None else "null"
    return (
        f'{{"actor":{_string(actor)},"at":{_string(at)},"department":{department},'
        f'"digest":{_string(payload_digest)},"index":{int(index)},"kind":{_string(kind)},'
        f'"subject":{_string(subject)},"v":1}}'
    ).encode()


def entry_leaf_data(entry: LedgerEntry, index: int | None = None) -> bytes:
    """Return the leaf bytes of a stored entry (at `index`, default its own)."""
    return leaf_data(
        index=entry.log_index if index is None else index,
        kind=entry.kind,
        actor=entry.actor,
        subject=entry.subject,
        department_id=entry.department_id,
        payload_digest=entry.payload_digest,
        recorded_at=entry.recorded_at,
    )
