"""The webhook sender: a background task of the app (none in tests, which send explicitly)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from govhub.core.settings import get_settings
from govhub.data.exchange import webhooks
from govhub.data.exchange.settings import get_exchange_settings

log = logging.getLogger("govhub.exchange")


async def run_sender(interval: float) -> None:
    """Send due deliveries every `interval` seconds, forever."""
    with httpx.Client() as client:
        while True:
            try:
                await run_in_threadpool(webhooks.deliver_due, client)
            except Exception:  # keep sending after a transient database error
                log.exception("webhook delivery round failed; retrying")
            await asyncio.sleep(interval)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the sender while the app serves (not in tests, not with interval <= 0)."""
    interval = get_exchange_settings().webhook_interval_seconds
    if get_settings().env == "test" or interval <= 0:
        yield
        return
    task = asyncio.create_task(run_sender(interval))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
