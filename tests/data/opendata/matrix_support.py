"""Builders for the open-data rows of the authorization matrix: a fresh API key of city A's
administrator, and a public request addressed to city A's market bureau."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from govhub.core import db
from govhub.data.opendata import requests, service
from govhub.data.opendata.models import RequestKind
from govhub.data.opendata.schemas import DataRequestCreate
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
