"""The batch integrator: the CLI's step and the app's background task."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.core.settings import get_settings
from govhub.ledger import proofs, service, tasks
from tests.ledger.helpers import record_many


@pytest.fixture
def background(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Let the app start its integrator (the suite's settings say `test`, which disables it)."""
    development = get_settings().model_copy(update={"env": "development"})
    monkeypatch.setattr(tasks, "get_settings", lambda: development)
    service.get_ledger_settings.cache_clear()
    service.batch_ready.clear()
    yield monkeypatch
    service.get_ledger_settings.cache_clear()
    service.batch_ready.clear()


def test_integrate_pending_commits_every_batch(session: Session) -> None:
    record_many(session, 5)
    session.flush()
    assert tasks.integrate_pending() == 5
    assert tasks.integrate_pending() == 0
    assert proofs.tree_size(session) == 5


def test_the_app_integrates_on_its_interval(
    session: Session, app: FastAPI, background: pytest.MonkeyPatch
) -> None:
    background.setenv("GOVHUB_LEDGER_BATCH_INTERVAL_SECONDS", "0.05")
    record_many(session, 4)
    session.flush()
    with TestClient(app):
        time.sleep(0.5)
    assert proofs.tree_size(session) == 4


def test_a_full_batch_wakes_the_integrator_early(
    session: Session, app: FastAPI, background: pytest.MonkeyPatch
) -> None:
    background.setenv("GOVHUB_LEDGER_BATCH_INTERVAL_SECONDS", "60")
    background.setenv("GOVHUB_LEDGER_BATCH_SIZE", "3")
    record_many(session, 3)
    session.flush()
    assert service.batch_ready.is_set()
    with TestClient(app):
        time.sleep(0.5)
    assert proofs.tree_size(session) == 3


def test_no_background_task_in_tests(session: Session, app: FastAPI) -> None:
    record_many(session, 2)
    session.flush()
    with TestClient(app):
        time.sleep(0.1)
    assert proofs.tree_size(session) == 0
