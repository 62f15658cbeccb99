"""Browser-test harness: a real uvicorn server on its own committed SQLite database, driven by
Debian's Chromium through Playwright.

The shared fixtures run each test in a rolled-back transaction that a server thread cannot
see, so the server here gets its own database file under a temporary directory, migrated to
head and filled with committed data; it is removed afterwards. While the e2e package runs,
`govhub.core.db.get_sessionmaker` answers sessions of that database.

Chromium is never downloaded: the tests use `/usr/bin/chromium` (override with
`GOVHUB_CHROMIUM`) and fail with instructions when it is missing. A failed test leaves a
screenshot at `tests/e2e/artifacts/<test name>.png` (git-ignored).
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy.orm import Session, sessionmaker

from govhub.api import create_app
from govhub.core import db, migrations
from govhub.identity import service
from govhub.identity.models import DepartmentType
from govhub.identity.permissions import Role
from govhub.identity.schemas import CitizenRegister
from tests.factories import PASSWORD, add_department, add_division, add_official, make_id_number

CHROMIUM = Path(os.environ.get("GOVHUB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@dataclass(frozen=True)
class Demo:
    """The committed data the e2e server holds."""

    official_username: str
    official_name: str
    department_name: str
    department_name_en: str
    citizen_username: str
    citizen_name: str
    citizen_id_number: str
    password: str = PASSWORD

    @property
    def masked_id_number(self) -> str:
        """The citizen's ID number as the account page shows it."""
        number = self.citizen_id_number
        return number[:6] + "*" * (len(number) - 10) + number[-4:]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


def _seed(factory: sessionmaker[Session]) -> Demo:
    with factory() as session:
        add_division(session, "330000", "浙江省").name_en = "Zhejiang"
        add_division(session, "330100", "杭州市").name_en = "Hangzhou"
        department = add_department(
            session, "HZ-SCJG", "330100", DepartmentType.MARKET_REGULATION, "杭州市市场监督管理局"
        )
        department.name_en = "Hangzhou Administration for Market Regulation"
        official = add_official(session, "wangfang", department, Role.APPROVER)
        official.display_name = "王芳"
        id_number = make_id_number("330102", "19850612", "047")
        service.register_citizen(
            session,
            data=CitizenRegister(
                username="lihua", password=PASSWORD, display_name="李华", id_number=id_number
            ),
        )
        session.commit()
        return Demo(
            official_username="wangfang",
            official_name="王芳",
            department_name=department.name,
            department_name_en=department.name_en,
            citizen_username="lihua",
            citizen_name="李华",
            citizen_id_number=id_number,
        )


@dataclass(frozen=True)
class LiveServer:
    """A running GovHub server and the data it holds."""

    url: str
    demo: Demo


@pytest.fixture(scope="package")
def live_server() -> Iterator[LiveServer]:
    """Serve `create_app()` with uvicorn on a free loopback port against a fresh database."""
    with tempfile.TemporaryDirectory(prefix="govhub-e2e-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'e2e.db'}"
        migrations.upgrade("head", database_url=url)
        engine = db.make_engine(url)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        demo = _seed(factory)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(db, "get_sessionmaker", lambda: factory)
            config = uvicorn.Config(
                create_app(), log_level="warning", lifespan="off", ws="none", http="h11"
            )
            server = uvicorn.Server(config)
            thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
            thread.start()
            deadline = time.monotonic() + 15
            while not server.started:
                if time.monotonic() > deadline or not thread.is_alive():
                    pytest.fail("the e2e server did not start")
                time.sleep(0.05)
            try:
                yield LiveServer(url=f"http://127.0.0.1:{port}", demo=demo)
            finally:
                server.should_exit = True
                thread.join(timeout=10)
                sock.close()
                engine.dispose()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """The Playwright driver."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; the tests fail (not skip) when it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. The browser tests need Debian's "
            "Chromium: run `sudo apt-get install -y chromium` (or `make chromium`), or point "
            "GOVHUB_CHROMIUM at another Chromium binary. Playwright's own browser download "
            "is not used.",
            pytrace=False,
        )
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def _artifact_name(nodename: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodename)


@pytest.fixture
def context(chromium: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) speaking Chinese, as most visitors do."""
    ctx = chromium.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page of the fresh profile; on failure its screenshot lands in tests/e2e/artifacts."""
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    report = request.node.stash.get(REPORTS, {}).get("call")
    if report is not None and report.failed:  # pragma: no cover - only on failure
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=ARTIFACTS / f"{_artifact_name(request.node.name)}.png", full_page=True)


@pytest.fixture
def demo(live_server: LiveServer) -> Demo:
    """The data on the e2e server."""
    return live_server.demo
