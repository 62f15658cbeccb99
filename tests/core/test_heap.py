"""The start-up heap is frozen once per process, when an application starts."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from govhub.api import create_app
from govhub.core.heap import freeze_startup_heap


def test_a_started_application_has_frozen_its_start_up_heap() -> None:
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 10_000
        assert freeze_startup_heap() is False  # once per process: a second start changes nothing
