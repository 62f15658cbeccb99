"""The batch integrator: a background task of the app, and the same step for the CLI.

Each run integrates everything pending in its own transaction(s). The app runs it every
`GOVHUB_LEDGER_BATCH_INTERVAL_SECONDS`, or sooner when `GOVHUB_LEDGER_BATCH_SIZE` entries
were recorded by this process. Test runs (`GOVHUB_ENV=test`) start no background task; they
integrate explicitly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from govhub.core.db import session_scope
from govhub.core.settings import get_settings
from govhub.ledger import service

log = logging.getLogger("govhub.ledger")


def integrate_pending() -> int:
    """Integrate every pending entry, one committed transaction per batch; return the count."""
    total = 0
    while True:
        with session_scope() as session:
            step = service.integrate(session)
        total += step.added
        if step.added == 0:
            return total


async def run_integrator(interval: float) -> None:
    """Integrate forever: every `interval` seconds, or when a full batch is waiting."""
    while True:
        await run_in_threadpool(service.batch_ready.wait, interval)
        service.batch_ready.clear()
        try:
            added = await run_in_threadpool(integrate_pending)
        except Exception:  # keep integrating after a transient database error
            log.exception("ledger integration failed; retrying")
        else:
            if added:
                log.debug("ledger integrated %d entries", added)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the integrator while the app serves (not in tests, not with interval <= 0)."""
    interval = service.get_ledger_settings().batch_interval_seconds
    if get_settings().env == "test" or interval <= 0:
        yield
        return
    task = asyncio.create_task(run_integrator(interval))
    try:
        yield
    finally:
        task.cancel()
        service.batch_ready.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
