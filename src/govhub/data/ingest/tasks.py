"""The load-job runner: a small thread pool in the app's process.

Jobs are handed to the runner only after the transaction that queued them commits (a
`Session` `after_commit` hook), so a worker never looks for a job it cannot see yet. With
`GOVHUB_INGEST_JOB_WORKERS=0`, and in test runs, a job runs in the committing thread. At
startup the app queues again whatever a stopped process left queued or running (`jobs.recover`).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from govhub.core.settings import get_settings
from govhub.data.ingest import jobs, runner
from govhub.data.ingest.settings import get_ingest_settings

log = logging.getLogger("govhub.ingest")
_PENDING = "govhub.ingest.pending_jobs"
_lock = threading.Lock()
_pools: list[ThreadPoolExecutor] = []  # zero or one: the running app's pool


def _run_logged(job_id: uuid.UUID) -> None:
    try:
        runner.run(job_id)
    except Exception:  # a worker must outlive any one job
        log.exception("load job %s crashed", job_id)


def submit(job_id: uuid.UUID) -> Future[None] | None:
    """Run a queued job: on the pool when the app runs one (its future), else right here."""
    with _lock:
        pool = _pools[0] if _pools else None
    if pool is None:
        _run_logged(job_id)
        return None
    return pool.submit(_run_logged, job_id)


def submit_after_commit(session: Session, job_id: uuid.UUID) -> None:
    """Run a job once the session's transaction commits (dropped if it rolls back)."""
    session.info.setdefault(_PENDING, []).append(job_id)


@event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    for job_id in session.info.pop(_PENDING, []):
        submit(job_id)


@event.listens_for(Session, "after_rollback")
def _on_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def start_pool(workers: int) -> None:
    """Start the worker pool (no pool when `workers` is 0)."""
    with _lock:
        _pools.clear()
        if workers:
            _pools.append(ThreadPoolExecutor(workers, thread_name_prefix="govhub-load"))


def stop_pool() -> None:
    """Stop taking jobs and wait for the running ones."""
    with _lock:
        pool = _pools.pop() if _pools else None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the pool while the app serves and resume the jobs a stopped process left."""
    workers = 0 if get_settings().env == "test" else get_ingest_settings().job_workers
    start_pool(workers)
    if workers:
        try:
            for job_id in await run_in_threadpool(jobs.recover):
                submit(job_id)
        except Exception:  # a database not migrated yet must not stop the app
            log.exception("could not resume load jobs")
    try:
        yield
    finally:
        await run_in_threadpool(stop_pool)
