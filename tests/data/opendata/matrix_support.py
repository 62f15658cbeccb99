"""Builders for the open-data rows of the authorization matrix: a fresh API key of city A's
administrator, and a public request addressed to city A's market bureau."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any, Protocol

from govhub.core import db
from govhub.data.opendata import requests, service
from govhub.data.opendata.models import RequestKind
from govhub.data.opendata.releases import service as releases
from govhub.data.opendata.releases.schemas import ReleaseCreate
from govhub.data.opendata.schemas import DataRequestCreate
from tests.data.opendata.release_support import person_dataset, release_body
from tests.factories import World


class HasWorld(Protocol):
    """The matrix's actors (their world)."""

    world: World


def api_key(a: HasWorld) -> dict[str, Any]:
    """The id of a new API key of city A's administrator."""
    with db.get_sessionmaker()() as session:
        row, _ = service.issue_key(
            session, principal=a.world.principal(a.world.city_a_admin), name="matrix"
        )
        session.commit()
        return {"key_id": row.id}


def data_request(a: HasWorld) -> dict[str, Any]:
    """The id of a new public request addressed to city A's market bureau."""
    data = DataRequestCreate(
        kind=RequestKind.DATASET,
        title="企业年报数据",
        body="希望开放企业年度报告的汇总数据。",
        department_id=a.world.city_a_market.id,
    )
    with db.get_sessionmaker()() as session:
        row = requests.submit(session, principal=None, client=f"matrix-{uuid.uuid4()}", data=data)
        session.commit()
        return {"request_id": row.id}


_versions: dict[uuid.UUID, uuid.UUID] = {}


def release_version(a: HasWorld) -> dict[str, Any]:
    """The id of a personal dataset version of city A's market bureau (made once per world)."""
    key = a.world.city_a_market.id
    if key not in _versions:
        with db.get_sessionmaker()() as session, tempfile.TemporaryDirectory() as folder:
            _, version = person_dataset(session, a.world, Path(folder), count=40)
            session.commit()
            _versions[key] = version.id
    return {"dataset_version_id": _versions[key]}


def release_request(a: HasWorld) -> dict[str, Any]:
    """A valid request for a release of that dataset version."""
    return release_body(str(release_version(a)["dataset_version_id"]))


def computed_release(a: HasWorld) -> dict[str, Any]:
    """The id of a new computed (publishable) release of that dataset version."""
    version_id = release_version(a)["dataset_version_id"]
    with db.get_sessionmaker()() as session:
        data = ReleaseCreate.model_validate(release_body(str(version_id)))
        made = releases.create(
            session, principal=a.world.principal(a.world.city_a_admin), data=data
        )
        session.commit()
        return {"release_id": made.id}


def published_release(a: HasWorld) -> dict[str, Any]:
    """The id of a new published release of that dataset version."""
    release_id = computed_release(a)["release_id"]
    with db.get_sessionmaker()() as session:
        releases.publish(
            session, principal=a.world.principal(a.world.city_a_admin), release_id=release_id
        )
        session.commit()
    return {"release_id": release_id}
