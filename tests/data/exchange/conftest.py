"""A published resource of city A's market bureau, and city B's system holding a grant to it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.data.catalog.models import Resource
from govhub.data.ingest import service as ingest_service
from govhub.data.sharing import service as sharing_service
from govhub.data.sharing.models import Grant
from govhub.data.sharing.schemas import ShareRequestCreate
from govhub.identity import service as identity_service
from govhub.identity.models import Department, OAuthClient
from govhub.identity.schemas import ClientCreate
from tests.data.helpers import make_resource
from tests.data.sharing.helpers import PERSON_FIELDS, request_body
from tests.factories import World, make_id_number

FIELDS = [
    *PERSON_FIELDS,
    {"name": "zczb", "type": "decimal"},
    {"name": "clrq", "type": "date"},
]
ROWS = [
    ("91330200MA0000001A", "宁波甲公司", "张三", "330203", "330203001", "100", "2020-01-05"),
    ("91330200MA0000002B", "宁波乙公司", "李四", "330204", "330204002", "250", "2021-03-10"),
    ("91330200MA0000003C", "宁波丙公司", "王五", "330205", "330205001", "80", "2019-07-01"),
    ("91330100MA0000004D", "杭州丁公司", "赵六", "330106", "330106001", "500", "2018-11-11"),
    ("91330200MA0000005E", "宁波戊公司", "孙七", "330206", "330206003", "", "2022-02-02"),
]


@dataclass
class Consumer:
    """A consuming system with its token and the grant it holds."""

    client: OAuthClient
    headers: dict[str, str]
    grant: Grant
    resource: Resource


def csv_text() -> str:
    """The published dataset as CSV (ID numbers made from the division and a birth date)."""
    lines = ["tyshxydm,qymc,fddbr,fddbr_sfzh,szqh,zczb,clrq"]
    for uscc, name, person, division, township, capital, founded in ROWS:
        lines.append(
            f"{uscc},{name},{person},{make_id_number(division)},{township},{capital},{founded}"
        )
    return "\n".join(lines) + "\n"


def publish(session: Session, world: World, tmp_path: Path, **overrides: Any) -> Resource:
    """Create a resource with personal fields and publish the dataset as its version 1."""
    resource = make_resource(session, world, fields=FIELDS, **overrides)
    source = tmp_path / "register.csv"
    source.write_text(csv_text(), encoding="utf-8")
    ingest_as_owner(session, world, resource, source)
    return resource


def ingest_as_owner(session: Session, world: World, resource: Resource, source: Path) -> None:
    """Publish `source` as the next version of `resource`, as its owner (city A)."""
    ingest_service.ingest(
        session,
        principal=world.principal(world.city_a_admin),
        resource_id=resource.id,
        source=source,
        filename=source.name,
    )


def consumer_of(
    session: Session,
    world: World,
    client: TestClient,
    resource: Resource,
    department: Department,
    **request: Any,
) -> Consumer:
    """Register a system of `department`, have it granted `resource`, and sign it in."""
    admin = world.city_b_admin if department.id == world.city_b_market.id else world.platform_admin
    system, secret = identity_service.create_client(
        session,
        principal=world.principal(world.platform_admin),
        data=ClientCreate(name="企业开办系统", department_id=department.id),
    )
    data = ShareRequestCreate.model_validate(request_body(resource, system, **request))
    made = sharing_service.create_request(session, principal=world.principal(admin), data=data)
    grant = sharing_service.grant_of(session, made)
    assert grant is not None
    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(system.client_id, secret),
    ).json()["access_token"]
    return Consumer(system, {"Authorization": f"Bearer {token}"}, grant, resource)


@pytest.fixture
def published(session: Session, world: World, tmp_path: Path) -> Resource:
    """An unconditionally shared resource with its data published."""
    return publish(session, world, tmp_path, sharing_type="unconditional")


@pytest.fixture
def consumer(session: Session, world: World, client: TestClient, published: Resource) -> Consumer:
    """City B's system, granted four fields of Ningbo's rows (personal ones masked)."""
    return consumer_of(session, world, client, published, world.city_b_market)


QUERY_URL = "/api/v1/exchange/resources/{}/query"


def query(client: TestClient, consumer: Consumer, **body: Any) -> Any:
    """Call the gateway's page query for `consumer`'s granted resource."""
    return client.post(QUERY_URL.format(consumer.resource.id), json=body, headers=consumer.headers)


def revoke(session: Session, world: World, consumer: Consumer) -> None:
    """Have the owner (city A) revoke `consumer`'s grant."""
    sharing_service.revoke(
        session,
        principal=world.principal(world.city_a_admin),
        grant_id=consumer.grant.id,
        reason="停止共享",
    )
