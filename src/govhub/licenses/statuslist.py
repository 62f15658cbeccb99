"""Revocation status lists: each issuing department's Bitstring Status List, cached and signed.

A department's list is computed from its revoked licenses (the set bits are their status
indexes), so it is always consistent with the licenses table; each process caches the set for a
few seconds, and any change this process makes to a license drops the cache at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.cache import WatchedCache
from govhub.core.db import utcnow
from govhub.core.errors import NotFound
from govhub.core.settings import get_settings
from govhub.identity.models import Department
from govhub.licenses import credentials, keys
from govhub.licenses.models import License

STATUS_SECONDS = 5.0
STATUS_LIST_SECONDS = 24 * 3600
_revoked_cache: WatchedCache[uuid.UUID, frozenset[int]] = WatchedCache(License)


def status_list_url(department_id: uuid.UUID) -> str:
    """Return the address of a department's revocation status list credential."""
    return f"{get_settings().base_url}/api/v1/licenses/status/{department_id}"


def revoked_indexes(session: Session, department_id: uuid.UUID) -> frozenset[int]:
    """Return the set status-list bits of a department (cached for a few seconds)."""
    cached = _revoked_cache.get(department_id, ttl=STATUS_SECONDS)
    if cached is not None:
        return cached
    since = _revoked_cache.generation
    found = frozenset(
        session.scalars(
            select(License.status_index).where(
                License.issuer_department_id == department_id, License.revoked_at.is_not(None)
            )
        )
    )
    _revoked_cache.put(department_id, found, since=since, ttl=STATUS_SECONDS)
    return found


def status_list_credential(
    session: Session, department_id: uuid.UUID, *, now: datetime | None = None
) -> str:
    """Return a department's revocation status list as a signed BitstringStatusListCredential."""
    department = session.get(Department, department_id)
    if department is None or keys.public_keys_of(session, department_id) == []:
        raise NotFound("this department has issued no licenses")
    issued_at = (now or utcnow()).replace(microsecond=0)
    url = status_list_url(department_id)
    payload = credentials.build_credential(
        credential_id=url,
        types=["BitstringStatusListCredential"],
        issuer={"id": keys.issuer_did(department_id), "name": department.name},
        subject={
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": credentials.encode_status_list(revoked_indexes(session, department_id)),
        },
        valid_from=issued_at,
        valid_until=issued_at + timedelta(seconds=STATUS_LIST_SECONDS),
    )
    kid, key = keys.signing_key(session, department_id)
    return credentials.sign(payload, key=key, kid=kid)
