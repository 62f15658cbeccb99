"""What the public may see of the catalog, and the operations of the open data API.

`public_condition()` is the single definition of a public dataset: a catalog resource opened
to the public, not withdrawn, with at least one published dataset version, that passes the
release gate. Every list, search, count, facet and lookup of this package goes through it, so
a resource outside it is never revealed: looking one up answers `NotFound`, exactly like an
unknown id.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement as SqlColumn

from govhub.core.db import utcnow
from govhub.core.errors import NotFound
from govhub.data.catalog.models import DatasetVersion, OpeningType, Resource
from govhub.data.opendata.models import ApiKey
from govhub.data.opendata.releases import gate
from govhub.identity.models import Department
from govhub.identity.principal import Principal

NOT_FOUND = "Not found"
_NAME_UNSAFE = re.compile(r"[^a-z0-9_-]+")
KEY_PREFIX = "ghk_"


# --- what is public --------------------------------------------------------------------------


def release_gate() -> ColumnElement[bool]:
    """A condition on `Resource`: its release is cleared for publication.

    The hook of the de-identification release gate. Until a resource with personal fields
    carries a cleared release decision (the gate's own table, joined here), such a resource is
    never public; resources without personal fields pass. The catalog already refuses to open
    a resource with personal fields, so this is a second lock, not the only one.
    """
    return not_(cast(Resource.fields, String).contains('"is_personal": true'))


def _gated() -> ColumnElement[bool]:
    """A condition on `Resource`: open and through the gate, or opened by a published
    de-identified release (`releases.gate`), whose data alone the public then reads."""
    return or_(and_(Resource.opening_type == OpeningType.OPEN, release_gate()), gate.released())


@functools.cache
def public_condition() -> ColumnElement[bool]:
    """A condition on `Resource`: the public may find and read it.

    Built once per process: the expression holds no values of its own (they are bound
    parameters), and constructing it cost about 3 ms of every search's CPU.
    """
    return and_(
        Resource.withdrawn_at.is_(None),
        # Set by ingest with each published version: one column, not a subquery per row.
        Resource.published_at.is_not(None),
        _gated(),
    )


@functools.cache
def modified_column() -> SqlColumn[datetime]:
    """CKAN's `metadata_modified`: the later of the metadata change and the newest data."""
    latest = Resource.published_at
    return case((latest > Resource.updated_at, latest), else_=Resource.updated_at)


def public_select(*columns: Any) -> Select[Any]:
    """Select `columns` from the public resources."""
    return select(*columns).select_from(Resource).where(public_condition())


def page_rows(
    session: Session,
    where: ColumnElement[bool],
    order: Sequence[Any],
    *columns: Any,
    limit: int,
    offset: int,
) -> list[Any]:
    """Return (id, *columns) of one page of the public resources matching `where`, in order.

    Only ids are sorted: a sort of whole rows carries every column through the sorter.
    """
    query = public_select(Resource.id, *columns).where(where).order_by(*order, Resource.id)
    return list(session.execute(query.limit(limit).offset(offset)))


def resources_in_order(session: Session, ids: Sequence[uuid.UUID]) -> list[Resource]:
    """Return the resources with these ids, in the same order."""
    if not ids:
        return []
    found = {r.id: r for r in session.scalars(select(Resource).where(Resource.id.in_(ids)))}
    return [found[i] for i in ids]


def ckan_name(text: str) -> str:
    """Return `text` (an identifier or a code) as a URL-safe CKAN name, lower-cased."""
    return _NAME_UNSAFE.sub("-", text.lower()).strip("-")


def package_name(resource: Resource) -> str:
    """Return the URL-safe CKAN name of a resource (from its identifier)."""
    return ckan_name(resource.identifier)


def organization_name(department: Department) -> str:
    """Return the URL-safe CKAN name of a department (from its code)."""
    return ckan_name(department.code)


def get_public_resource(session: Session, id_or_name: str) -> Resource:
    """Return the public resource with this id or CKAN name, else raise `NotFound`."""
    text = id_or_name.strip()[:100]
    condition: ColumnElement[bool]
    try:
        condition = Resource.id == uuid.UUID(text)
    except ValueError:
        condition = func.lower(Resource.identifier) == text.lower()
    resource = session.scalar(select(Resource).where(condition, public_condition()))
    if resource is None:
        raise NotFound(NOT_FOUND)
    return resource


def versions_of(
    session: Session, resource_ids: Sequence[uuid.UUID], *, raw: set[uuid.UUID] | None = None
) -> dict[uuid.UUID, list[DatasetVersion]]:
    """Return the public view of the dataset versions of the given resources, oldest first, by
    resource (`raw`: those whose raw versions the public may read, when already known)."""
    found: dict[uuid.UUID, list[DatasetVersion]] = {rid: [] for rid in resource_ids}
    if not resource_ids:
        return found
    rows = session.scalars(
        select(DatasetVersion)
        .where(DatasetVersion.resource_id.in_(resource_ids))
        .order_by(DatasetVersion.resource_id, DatasetVersion.version)
    )
    for row in rows:
        found[row.resource_id].append(row)
    return gate.served(session, found, raw=raw)


def get_public_version(session: Session, version_id: str) -> tuple[Resource, DatasetVersion]:
    """Return a published dataset version of a public resource, by its id."""
    try:
        key = uuid.UUID(version_id.strip()[:64])
    except ValueError:
        raise NotFound(NOT_FOUND) from None
    row = session.execute(
        select(Resource, DatasetVersion)
        .join(DatasetVersion, DatasetVersion.resource_id == Resource.id)
        .where(DatasetVersion.id == key, public_condition())
        .where(or_(gate.raw_public(), gate.version_released(DatasetVersion.id)))
    ).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row[0], gate.served_one(session, row[1])


def public_departments(session: Session) -> list[tuple[Department, int]]:
    """Return the departments owning public datasets, with how many, by code."""
    count = func.count(Resource.id)
    rows = session.execute(
        select(Department, count)
        .join(Resource, Resource.department_id == Department.id)
        .where(public_condition())
        .group_by(Department.id)
        .order_by(Department.code)
    )
    return [(department, int(n)) for department, n in rows]


def get_public_department(session: Session, id_or_name: str) -> tuple[Department, int]:
    """Return a department owning public datasets, by id or CKAN name, with its count."""
    text = id_or_name.strip().lower()
    for department, count in public_departments(session):
        if text in {str(department.id), organization_name(department)}:
            return department, count
    raise NotFound(NOT_FOUND)


# --- public API keys -------------------------------------------------------------------------


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue_key(session: Session, *, principal: Principal, name: str) -> tuple[ApiKey, str]:
    """Issue a public API key to the principal's account; the key is returned only here."""
    if principal.account_id is None:
        raise NotFound("only accounts hold API keys")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        id=uuid.uuid4(),
        account_id=principal.account_id,
        name=name,
        prefix=key[: len(KEY_PREFIX) + 6],
        digest=_digest(key),
    )
    session.add(row)
    session.flush()
    return row, key


def list_keys(session: Session, *, principal: Principal) -> list[ApiKey]:
    """List the API keys of the principal's account, newest first."""
    query = (
        select(ApiKey)
        .where(ApiKey.account_id == principal.account_id)
        .order_by(ApiKey.created_at.desc())
    )
    return list(session.scalars(query))


def revoke_key(session: Session, *, principal: Principal, key_id: uuid.UUID) -> ApiKey:
    """Revoke one of the principal's API keys (revoking twice changes nothing)."""
    row = session.get(ApiKey, key_id)
    if row is None or row.account_id != principal.account_id:
        raise NotFound("no such API key")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def find_key(session: Session, key: str) -> ApiKey | None:
    """Return the live API key `key` names, or None."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.digest == _digest(key)))
    if row is None or row.revoked_at is not None:
        return None
    return row
