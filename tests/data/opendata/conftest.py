"""Public and non-public datasets of city A, and a live server for the `ckanapi` client."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.ingest import service as ingest_service
from govhub.data.opendata import api as opendata_api
from govhub.data.opendata import requests as opendata_requests
from govhub.data.opendata import service as opendata_service
from govhub.data.opendata import usage
from govhub.identity.models import Account
from tests.data.helpers import make_resource
from tests.factories import World

FIELDS = [
    {"name": "qymc", "type": "string", "description": "企业名称"},
    {"name": "szqh", "type": "string", "description": "所在区划"},
    {"name": "zczb", "type": "decimal", "description": "注册资本"},
    {"name": "clrq", "type": "date", "description": "成立日期"},
]
ROWS = [
    ("宁波甲公司", "330203", "100", "2020-01-05"),
    ("宁波乙公司", "330204", "250", "2021-03-10"),
    ("宁波丙公司", "330205", "80", "2019-07-01"),
    ("杭州丁公司", "330106", "500", "2018-11-11"),
    ("杭州戊公司", "330106", "", "2022-02-02"),
]


def csv_text(rows: Sequence[tuple[str, ...]] = ROWS) -> str:
    """The dataset as CSV."""
    lines = ["qymc,szqh,zczb,clrq", *(",".join(row) for row in rows)]
    return "\n".join(lines) + "\n"


def publish(
    session: Session, world: World, tmp_path: Path, *, rows: Sequence[tuple[str, ...]] = ROWS,
    **overrides: Any,
) -> Resource:  # fmt: skip
    """Create a resource (city A's market bureau's unless `account` says otherwise) and
    publish `rows` as its dataset."""
    resource = make_resource(session, world, fields=FIELDS, **overrides)
    add_version(session, world, tmp_path, resource, rows=rows, account=overrides.get("account"))
    return resource


def add_version(
    session: Session, world: World, tmp_path: Path, resource: Resource, *,
    rows: Sequence[tuple[str, ...]] = ROWS, account: Account | None = None,
) -> DatasetVersion:  # fmt: skip
    """Publish `rows` as the resource's next dataset version."""
    source = tmp_path / f"data-{resource.id}-{time.monotonic_ns()}.csv"
    source.write_text(csv_text(rows), encoding="utf-8")
    version, _ = ingest_service.ingest(
        session,
        principal=world.principal(account or world.city_a_admin),
        resource_id=resource.id,
        source=source,
        filename="register.csv",
    )
    return version


@dataclass
class Catalog:
    """Two public datasets and four that must never be seen."""

    public: Resource
    public_two: Resource
    closed: Resource
    conditional: Resource
    no_data: Resource
    withdrawn: Resource

    public_versions: list[uuid.UUID]
    hidden_versions: list[uuid.UUID]

    @property
    def hidden(self) -> list[Resource]:
        """The resources the public may not see."""
        return [self.closed, self.conditional, self.no_data, self.withdrawn]


def version_ids(session: Session, *resources: Resource) -> list[uuid.UUID]:
    """Return the dataset version ids of `resources`."""
    query = select(DatasetVersion.id).where(
        DatasetVersion.resource_id.in_([r.id for r in resources])
    )
    return list(session.scalars(query.order_by(DatasetVersion.resource_id, DatasetVersion.version)))


@pytest.fixture
def catalog(session: Session, world: World, tmp_path: Path) -> Catalog:
    """The catalog the tests read."""
    public = publish(
        session, world, tmp_path, opening_type="open", title="企业登记信息",
        keywords=["企业", "登记"], themes=["market", "credit"],
    )  # fmt: skip
    public_two = publish(
        session, world, tmp_path, opening_type="open", title="道路运输许可",
        title_en="Road transport permits", keywords=["运输"], themes=["transport"],
        account=world.city_a_admin, license="CC0-1.0",
    )  # fmt: skip
    closed = publish(session, world, tmp_path, opening_type="not_open", title="内部名录",
                     keywords=["企业", "秘密"])  # fmt: skip
    conditional = publish(
        session, world, tmp_path, opening_type="conditional", opening_conditions="申请后开放",
        title="有条件开放数据", keywords=["企业"],
    )  # fmt: skip
    no_data = make_resource(session, world, fields=FIELDS, opening_type="open", title="未发布数据")
    withdrawn = publish(session, world, tmp_path, opening_type="open", title="已撤回数据",
                        keywords=["企业"])  # fmt: skip
    catalog_service.withdraw_resource(
        session, principal=world.principal(world.city_a_admin), resource_id=withdrawn.id
    )
    session.flush()
    return Catalog(
        public, public_two, closed, conditional, no_data, withdrawn,
        public_versions=version_ids(session, public),
        hidden_versions=version_ids(session, closed, conditional, withdrawn),
    )  # fmt: skip


@pytest.fixture
def api_key(session: Session, world: World) -> str:
    """A public API key of city A's administrator."""
    _, key = opendata_service.issue_key(
        session, principal=world.principal(world.city_a_admin), name="tests"
    )
    session.flush()
    return key


@pytest.fixture(autouse=True)
def _fresh_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GOVHUB_OPENDATA_USAGE_FLUSH_SECONDS", "0")
    opendata_api.limiter.reset()
    opendata_requests.limiter.reset()
    usage.buffer.reset()
    yield
    opendata_api.limiter.reset()
    opendata_requests.limiter.reset()
    usage.buffer.reset()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(app: FastAPI, session: Session, catalog: Catalog) -> Iterator[str]:
    """The application served by uvicorn in a thread, on the test's connection."""
    session.commit()  # a savepoint: the server's sessions see the catalog
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:  # pragma: no cover - only when the machine stalls
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
