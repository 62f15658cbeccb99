"""Test harness: a real database (SQLite file, or PostgreSQL via GOVHUB_TEST_DATABASE_URL),
migrated once per run with Alembic, and each test inside a rolled-back outer transaction."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from govhub.api import create_app
from govhub.core import db, migrations
from govhub.core.settings import get_settings
from govhub.data.exchange import service as exchange_service
from govhub.data.opendata import requests as opendata_requests
from govhub.identity.authn import login_throttle
from govhub.identity.models import Account
from govhub.models import Base
from tests.browsing import HTML, SignIn, csrf_from
from tests.factories import PASSWORD, World, build_world

_RUN_DIR_ENV = "GOVHUB_TEST_RUN_DIR"


def pytest_configure(config: pytest.Config) -> None:
    """Point the settings at a throwaway var dir before any GovHub module reads them."""
    run_dir = Path(config.rootpath) / "var" / "test-run" / str(os.getpid())
    run_dir.mkdir(parents=True, exist_ok=True)
    os.environ[_RUN_DIR_ENV] = str(run_dir)
    os.environ["GOVHUB_ENV"] = "test"
    os.environ["GOVHUB_VAR_DIR"] = str(run_dir)
    os.environ["GOVHUB_SECRET_KEY"] = "test-secret-key-for-the-suite-only"
    os.environ["GOVHUB_LOG_JSON"] = "true"
    os.environ["GOVHUB_LOGIN_RATE_PER_MINUTE"] = "1000"
    # Cheaper argon2id parameters keep the suite fast; production keeps RFC 9106 defaults.
    os.environ["GOVHUB_ARGON2_MEMORY_KIB"] = "1024"
    os.environ["GOVHUB_ARGON2_TIME_COST"] = "1"
    url = os.environ.get("GOVHUB_TEST_DATABASE_URL", "")
    os.environ["GOVHUB_DATABASE_URL"] = url or f"sqlite:///{run_dir / 'test.db'}"


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """The test database, migrated to head (PostgreSQL's schema is rebuilt first)."""
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()
    engine = db.get_engine()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrations.upgrade("head")
    yield engine
    engine.dispose()


@pytest.fixture
def own_url(tmp_path: Path) -> Iterator[str]:
    """A database URL of its own with the schema created, outside the rolled-back transaction
    (for tests whose threads or child processes commit): a fresh PostgreSQL schema, or a
    SQLite file."""
    base = os.environ.get("GOVHUB_TEST_DATABASE_URL", "")
    schema = None
    if base.startswith("postgresql"):
        schema = f"own_{uuid.uuid4().hex[:10]}"
        admin = db.make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tmp_path / 'own.db'}"
    engine = db.make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url
    if schema is not None:
        admin = db.make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose outer transaction is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture
def session_factory(
    connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> sessionmaker[Session]:
    """Sessions bound to the test connection; their commits become savepoints."""
    factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    monkeypatch.setattr(db, "get_sessionmaker", lambda: factory)
    return factory


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for service-level tests."""
    with session_factory() as s:
        yield s


@pytest.fixture(autouse=True)
def _fresh_throttle() -> Iterator[None]:
    limiters = (login_throttle, exchange_service.request_limiter, exchange_service.export_limiter,
                opendata_requests.limiter)  # fmt: skip
    for limiter in limiters:
        limiter.reset()
    yield
    for limiter in limiters:
        limiter.reset()


@pytest.fixture
def app(session_factory: sessionmaker[Session]) -> FastAPI:
    """The application, sharing the test connection."""
    return create_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for the application."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def world(session: Session) -> World:
    """The standard test world: a province, cities, departments and officials."""
    return build_world(session)


@pytest.fixture
def login(client: TestClient) -> Callable[[Account], dict[str, str]]:
    """Return a function giving the bearer header of an account (password `PASSWORD`)."""

    def headers(account: Account) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/token", json={"username": account.username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return headers


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A client that behaves like a browser: asks for HTML, keeps cookies, no auto-redirect."""
    with TestClient(app, headers=HTML, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def sign_in(browser: TestClient) -> SignIn:
    """Return a function that signs `account` in through the login form."""

    def do(account: Account) -> TestClient:
        token = csrf_from(browser.get("/login").text)
        response = browser.post(
            "/login",
            data={"username": account.username, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303, response.text
        return browser

    return do
