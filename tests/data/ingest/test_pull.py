"""Pulling tables from database sources: SQLite, PostgreSQL and MariaDB servers, for real.

The PostgreSQL and MariaDB sources are the servers of the test machine
(`GOVHUB_TEST_PULL_POSTGRES_URL`, `GOVHUB_TEST_PULL_MARIADB_URL`); each test creates its own
table (prefixed `h_ingest_`) and drops it afterwards.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from govhub import cli
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.ingest import pull, sources
from govhub.data.ingest.models import DataSource, LoadJob
from govhub.data.ingest.schemas import DataSourceCreate
from govhub.data.ingest.settings import get_ingest_settings
from govhub.data.lineage.models import EntityKind, LineageEntity
from govhub.identity.models import Account
from govhub.privacy import vault
from tests.data.helpers import make_resource
from tests.factories import World

Login = Callable[[Account], dict[str, str]]
POSTGRES = os.environ.get(
    "GOVHUB_TEST_PULL_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MARIADB = os.environ.get("GOVHUB_TEST_PULL_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
ROWS = [(f"91330100MA{i:07d}X", f"企业{i}", Decimal(f"{i}.50"), date(2020, 1, 1 + i % 28))
        for i in range(1, 251)]  # fmt: skip


@pytest.fixture
def resource(session: Session, world: World) -> Resource:
    return make_resource(session, world, title="企业登记信息")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    path = tmp_path / "register.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE enterprises (uscc TEXT, name TEXT, capital TEXT, founded TEXT)")
        conn.executemany(
            "INSERT INTO enterprises VALUES (?, ?, ?, ?)",
            [(a, b, str(c), d.isoformat()) for a, b, c, d in ROWS],
        )
    return f"sqlite:///{path}"


def _server_table(url: str) -> Iterator[str]:
    """Create `h_ingest_<random>` with ROWS on a server; drop it afterwards."""
    name = f"h_ingest_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url)
    try:
        engine.connect().close()
    except OperationalError:
        if os.environ.get("CI") == "true":
            raise  # CI machines run PostgreSQL and MariaDB: a missing server is a failure there
        pytest.skip(f"no database server at {make_url(url).host}: start one or set the URL")
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {name} (uscc VARCHAR(18), name VARCHAR(100), "
                          "capital DECIMAL(12, 2), founded DATE)"))  # fmt: skip
        conn.execute(
            text(f"INSERT INTO {name} VALUES (:a, :b, :c, :d)"),  # noqa: S608 - a fixed name
            [{"a": a, "b": b, "c": c, "d": d} for a, b, c, d in ROWS],
        )
    try:
        yield name
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {name}"))
        engine.dispose()


@pytest.fixture
def postgres_table() -> Iterator[str]:
    yield from _server_table(POSTGRES)


@pytest.fixture
def mariadb_table() -> Iterator[str]:
    yield from _server_table(MARIADB)


def _register(client: TestClient, headers: dict[str, str], url: str, name: str = "src") -> Any:
    return client.post("/api/v1/data/sources", headers=headers, json={"name": name, "url": url})


def _pull(client: TestClient, headers: dict[str, str], resource: Resource, **body: Any) -> Any:
    return client.post(f"/api/v1/catalog/resources/{resource.id}/pulls", headers=headers, json=body)


def _dataset(session: Session, resource: Resource) -> DatasetVersion:
    return session.scalars(
        select(DatasetVersion).where(DatasetVersion.resource_id == resource.id)
    ).one()


class TestPull:
    def test_sqlite_table_becomes_a_dataset_version(
        self, client: TestClient, login: Login, world: World, resource: Resource,
        session: Session, sqlite_url: str,
    ) -> None:  # fmt: skip
        headers = login(world.city_a_admin)
        source = _register(client, headers, sqlite_url).json()
        response = _pull(client, headers, resource, source_id=source["id"], table="enterprises")
        assert response.status_code == 202, response.text
        job = client.get(response.headers["Location"], headers=headers).json()
        assert job["status"] == "succeeded", job
        assert job["rows"] == 250
        assert job["source_kind"] == "database"
        dataset = _dataset(session, resource)
        assert dataset.row_count == 250
        table = pq.read_table(pa.BufferReader(vault.read_bytes(dataset.storage_key)))
        assert table.column_names == ["uscc", "name", "capital", "founded"]
        assert table.column("name")[0].as_py() == "企业1"

    def test_lineage_names_the_data_source_and_table_not_the_extract(
        self, client: TestClient, login: Login, world: World, resource: Resource,
        session: Session, sqlite_url: str,
    ) -> None:  # fmt: skip
        headers = login(world.city_a_admin)
        source = _register(client, headers, sqlite_url, name="市场主体库").json()
        response = _pull(client, headers, resource, source_id=source["id"], table="enterprises")
        assert response.status_code == 202, response.text
        dataset = _dataset(session, resource)
        graph = client.get(
            f"/api/v1/lineage/datasets/{dataset.id}?direction=up", headers=headers
        ).json()
        inputs = [n for n in graph["nodes"] if n["kind"] not in ("dataset", "run", "column")]
        assert [(n["kind"], n["label"]) for n in inputs] == [
            ("database", "市场主体库 · enterprises")
        ]
        entity = session.scalars(
            select(LineageEntity).where(LineageEntity.kind == EntityKind.DATABASE)
        ).one()
        assert entity.locator == f"datasource:{source['id']}#enterprises"
        assert entity.format == "sqlite"
        assert "register.db" not in entity.locator  # the URL (a path, a host) is not kept
        assert not session.scalars(
            select(LineageEntity).where(LineageEntity.kind == EntityKind.FILE)
        ).all()
        columns = client.get(
            f"/api/v1/lineage/datasets/{dataset.id}/columns/uscc?direction=up", headers=headers
        ).json()
        assert any(n["column"] == "uscc" and n["kind"] == "column" for n in columns["nodes"])

    def test_a_second_pull_of_the_same_table_reuses_its_source_node(
        self, client: TestClient, login: Login, world: World, resource: Resource,
        session: Session, sqlite_url: str,
    ) -> None:  # fmt: skip
        headers = login(world.city_a_admin)
        source = _register(client, headers, sqlite_url).json()
        for _ in range(2):
            response = _pull(client, headers, resource, source_id=source["id"], table="enterprises")
            assert response.status_code == 202, response.text
        nodes = session.scalars(
            select(LineageEntity).where(LineageEntity.kind == EntityKind.DATABASE)
        ).all()
        assert [n.name for n in nodes] == ["src · enterprises"]

    def test_column_subset(
        self, client: TestClient, login: Login, world: World, resource: Resource,
        session: Session, sqlite_url: str,
    ) -> None:  # fmt: skip
        headers = login(world.city_a_admin)
        source = _register(client, headers, sqlite_url).json()
        response = _pull(client, headers, resource, source_id=source["id"], table="enterprises",
                         columns=["name", "uscc"])  # fmt: skip
        assert response.status_code == 202, response.text
        names = [c["name"] for c in _dataset(session, resource).schema]
        assert names == ["name", "uscc"]

    def test_postgresql_table_in_a_read_only_transaction(
        self, session: Session, world: World, resource: Resource, postgres_table: str
    ) -> None:
        principal = world.principal(world.city_a_admin)
        source = sources.register(
            session, principal=principal, data=DataSourceCreate(name="pg", url=POSTGRES)
        )
        settings = get_ingest_settings()
        with pull.read_only_connection(source, settings) as conn:
            assert conn.execute(text("SHOW transaction_read_only")).scalar() == "on"
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "10min"
            conn.rollback()
            with pytest.raises(DBAPIError):
                conn.execute(text(f"DELETE FROM {postgres_table}"))  # noqa: S608
        warnings: list[str] = []
        batches = list(pull.read_table(source, pull.TableRef(postgres_table), settings=settings,
                                       warnings=warnings))  # fmt: skip
        assert sum(b.num_rows for b in batches) == 250
        assert batches[0].column("capital")[1].as_py() == Decimal("2.50")
        assert batches[0].column("founded")[0].as_py() == date(2020, 1, 2)

    def test_mariadb_table_in_a_read_only_transaction(
        self, client: TestClient, login: Login, world: World, resource: Resource,
        session: Session, mariadb_table: str,
    ) -> None:  # fmt: skip
        headers = login(world.city_a_admin)
        source = _register(client, headers, MARIADB, name="maria").json()
        assert source["dialect"] == "mysql"
        row = session.get_one(DataSource, uuid.UUID(source["id"]))
        with (
            pull.read_only_connection(row, get_ingest_settings()) as conn,
            pytest.raises(DBAPIError),
        ):
            conn.execute(text(f"DELETE FROM {mariadb_table}"))  # noqa: S608
        response = _pull(client, headers, resource, source_id=source["id"], table=mariadb_table)
        assert response.status_code == 202, response.text
        assert _dataset(session, resource).row_count == 250

    def test_command_line_pull(
        self, session: Session, world: World, resource: Resource, sqlite_url: str
    ) -> None:
        principal = world.principal(world.city_a_admin)
        sources.register(
            session, principal=principal, data=DataSourceCreate(name="reg", url=sqlite_url)
        )
        args = ["data", "pull", str(resource.id), "--source", "reg", "--table"]
        result = CliRunner().invoke(cli.app, [*args, "enterprises", "--column", "uscc"])
        assert result.exit_code == 0, result.output
        assert "Published version 1" in result.output
        assert "250 rows" in result.output
        bad = CliRunner().invoke(cli.app, [*args, "nothing"])
        assert bad.exit_code == 1
        assert "no table nothing" in bad.output


class TestSecrets:
    def test_password_is_encrypted_and_never_returned(
        self, client: TestClient, login: Login, world: World, session: Session
    ) -> None:
        url = "postgresql://reader:s3cret-Pa55@db.example:5432/register"
        response = _register(client, login(world.city_a_admin), url)
        assert response.status_code == 201, response.text
        body = response.json()
        assert "s3cret" not in response.text
        assert body["has_password"] is True
        assert body["url"] == "postgresql+psycopg://reader@db.example:5432/register"
        row = session.get_one(DataSource, uuid.UUID(body["id"]))
        assert "s3cret" not in row.url
        assert "s3cret" not in row.password_encrypted
        assert sources.connect_url(row).password == "s3cret-Pa55"
        listed = client.get("/api/v1/data/sources", headers=login(world.city_a_admin))
        assert "s3cret" not in listed.text
        assert len(listed.json()) == 1


class TestBadInput:
    @pytest.mark.parametrize(
        "url",
        [
            "not a url at all",
            "oracle://u:p@host/db",
            "postgresql+psycopg2://u@host/db",
            "postgresql://u@/db",
            "mysql+pymysql://u@host",
        ],
        ids=["garbage", "forbidden-dialect", "other-driver", "no-host", "no-database"],
    )
    def test_bad_source_urls(
        self, client: TestClient, login: Login, world: World, session: Session, url: str
    ) -> None:
        response = _register(client, login(world.city_a_admin), url)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert session.scalar(select(DataSource.id)) is None

    def test_sqlite_refused_in_production(
        self, client: TestClient, login: Login, world: World, monkeypatch: pytest.MonkeyPatch,
        sqlite_url: str,
    ) -> None:  # fmt: skip
        monkeypatch.setattr(sources, "get_settings", lambda: type("S", (), {"env": "production"}))
        response = _register(client, login(world.city_a_admin), sqlite_url)
        assert response.status_code == 422
        assert "sqlite" in response.json()["detail"]

    def test_duplicate_name_conflicts(
        self, client: TestClient, login: Login, world: World, sqlite_url: str
    ) -> None:
        headers = login(world.city_a_admin)
        assert _register(client, headers, sqlite_url).status_code == 201
        assert _register(client, headers, sqlite_url).status_code == 409

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"table": "nothing"}, "table"),
            ({"table": "enterprises", "columns": ["nope"]}, "columns"),
            ({"table": "enterprises; drop table x"}, None),
        ],
        ids=["missing-table", "missing-column", "malformed-table"],
    )
    def test_bad_tables_answer_at_once_and_queue_nothing(
        self, client: TestClient, login: Login, world: World, resource: Resource,
        session: Session, sqlite_url: str, body: dict[str, Any], field: str | None,
    ) -> None:  # fmt: skip
        headers = login(world.city_a_admin)
        source = _register(client, headers, sqlite_url).json()
        response = _pull(client, headers, resource, source_id=source["id"], **body)
        assert response.status_code == 422, response.text
        if field:
            assert response.json()["errors"][0]["field"] == field
        assert session.scalar(select(LoadJob.id)) is None

    def test_unreachable_host(
        self, client: TestClient, login: Login, world: World, resource: Resource, session: Session
    ) -> None:
        headers = login(world.city_a_admin)
        url = "postgresql://reader:hunter2-secret@127.0.0.1:1/register"
        source = _register(client, headers, url).json()
        response = _pull(client, headers, resource, source_id=source["id"], table="t")
        assert response.status_code == 422
        assert "could not connect" in response.json()["detail"]
        assert "hunter2" not in response.text
        assert session.scalar(select(LoadJob.id)) is None


class TestScope:
    def test_who_may_register_and_use_sources(
        self, client: TestClient, login: Login, world: World, resource: Resource, sqlite_url: str
    ) -> None:
        assert _register(client, {}, sqlite_url).status_code == 401
        assert _register(client, login(world.city_a_official), sqlite_url).status_code == 403
        body = {"name": "x", "url": sqlite_url, "department_id": str(world.city_a_market.id)}
        other = client.post("/api/v1/data/sources", headers=login(world.city_b_admin), json=body)
        assert other.status_code == 404
        source = _register(client, login(world.city_a_admin), sqlite_url).json()
        # Another city's administrator neither sees nor uses nor deletes it.
        b_headers = login(world.city_b_admin)
        assert client.get("/api/v1/data/sources", headers=b_headers).json() == []
        pulled = _pull(client, b_headers, resource, source_id=source["id"], table="enterprises")
        assert pulled.status_code == 404
        url = f"/api/v1/data/sources/{source['id']}"
        assert client.delete(url, headers=b_headers).status_code == 404
        assert client.delete(url, headers=login(world.city_a_official)).status_code == 403
        assert (
            client.get("/api/v1/data/sources", headers=login(world.city_a_official)).status_code
            == 403
        )
        assert client.delete(url, headers=login(world.platform_admin)).status_code == 204
