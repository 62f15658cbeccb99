"""The release gate as the portal applies it: which data of a dataset the public may read.

A dataset version's raw data is public only when its resource is opened in the catalog and has
no personal fields. A version with a published release is public whatever the resource's
opening type (the release is the de-identified derivative the catalog asks for), except for core
data, and the public then reads the release, never the raw version: `served` swaps the version's
stored file, row count, schema and digest for the release's.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, exists, false, not_, select, true
from sqlalchemy.orm import Session

from govhub.data.catalog.models import DatasetVersion, OpeningType, Resource, SecurityClass
from govhub.data.opendata.releases.models import Release, ReleaseStatus


def personal_fields() -> ColumnElement[bool]:
    """A condition on `Resource`: some field is marked personal."""
    return cast(Resource.fields, String).contains('"is_personal": true')


def raw_public() -> ColumnElement[bool]:
    """A condition on `Resource`: its raw dataset versions may be read by the public."""
    return and_(Resource.opening_type == OpeningType.OPEN, not_(personal_fields()))


def raw_public_column() -> ColumnElement[bool]:
    """`raw_public` as a column to read, not a filter: as a filter, SQLite's planner walks the
    opening-type index (every open resource) instead of the ids' primary keys."""
    return case((raw_public(), true()), else_=false())


def released() -> ColumnElement[bool]:
    """A condition on `Resource`: a published release opens it."""
    published = (
        select(Release.id)
        .where(Release.resource_id == Resource.id, Release.status == ReleaseStatus.PUBLISHED)
        .correlate(Resource)
    )
    return and_(exists(published), Resource.security_class != SecurityClass.CORE)


def version_released(version_id: Any) -> ColumnElement[bool]:
    """A condition: the dataset version `version_id` has a published release."""
    return exists(
        select(Release.id).where(
            Release.dataset_version_id == version_id, Release.status == ReleaseStatus.PUBLISHED
        )
    )


def as_released(version: DatasetVersion, release: Release) -> DatasetVersion:
    """Return a detached copy of `version` that points at the release's data."""
    return DatasetVersion(
        id=version.id,
        resource_id=version.resource_id,
        version=version.version,
        storage_key=release.storage_key,
        row_count=release.row_count,
        schema=list(release.schema),
        digest=release.digest,
        created_at=version.created_at,
        created_by=None,
    )


def served(
    session: Session,
    found: dict[uuid.UUID, list[DatasetVersion]],
    *,
    raw: set[uuid.UUID] | None = None,
) -> dict[uuid.UUID, list[DatasetVersion]]:
    """Return the public view of resources' versions: raw where allowed, else the released.

    `raw`, when the caller has read it with the resources, names those of `found` whose raw
    versions the public may read (`raw_public`); otherwise it is read here.
    """
    if not found:
        return found
    ids = list(found)
    if raw is None:
        query = select(Resource.id, raw_public_column()).where(Resource.id.in_(ids))
        rows = session.execute(query)
        raw = {rid for rid, ok in rows if ok}
    releases = {
        r.dataset_version_id: r
        for r in session.scalars(
            select(Release).where(
                Release.resource_id.in_(ids), Release.status == ReleaseStatus.PUBLISHED
            )
        )
    }
    return {
        rid: [
            as_released(v, releases[v.id]) if v.id in releases else v
            for v in versions
            if v.id in releases or rid in raw
        ]
        for rid, versions in found.items()
    }


def served_one(session: Session, version: DatasetVersion) -> DatasetVersion:
    """Return the public view of one version (its release when one is published)."""
    release = session.scalar(
        select(Release).where(
            Release.dataset_version_id == version.id, Release.status == ReleaseStatus.PUBLISHED
        )
    )
    return as_released(version, release) if release is not None else version
