"""Crash safety: entries committed before a SIGKILL are integrated exactly once afterwards,
also by two integrators running at the same time.

These tests use a database of their own (a SQLite file, or a fresh schema on PostgreSQL when
GOVHUB_TEST_DATABASE_URL points there), because they need real commits from other processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from govhub.core.db import make_engine
from govhub.ledger import service
from govhub.ledger.models import LedgerEntry, LedgerPending, LedgerState
from govhub.ledger.schemas import EntryKind
from govhub.ledger.verify import audit_log

CHILD = """
import sys, time
from govhub.core.db import session_scope
from govhub.ledger import service
from govhub.ledger.schemas import EntryKind

count, stage = int(sys.argv[1]), sys.argv[2]
with session_scope() as session:
    for i in range(count):
        service.record(session, kind=EntryKind.DATA_ACCESS, actor="client:crash",
                       subject=f"row:{i}", payload={"i": i})
print("committed", flush=True)
if stage == "integrating":
    with session_scope() as session:
        service.integrate(session)
        session.flush()
        print("integrating", flush=True)
        time.sleep(60)
time.sleep(60)
"""


def _killed_child(url: str, count: int, stage: str) -> None:
    """Run the child until it reports `stage`, then SIGKILL it."""
    env = {**os.environ, "GOVHUB_DATABASE_URL": url}
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, str(count), stage],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        for line in child.stdout:
            if line.strip() == stage:
                break
        else:  # pragma: no cover - the child died early
            pytest.fail("the child process ended before reaching its stage")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL


def _integrate_concurrently(engine: Engine, workers: int = 2) -> list[int]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    added: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work() -> None:
        try:
            start.wait()
            while True:
                with factory() as session, session.begin():
                    step = service.integrate(session, limit=50)
                added.append(step.added)
                if step.added == 0:
                    return
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return added


def _assert_exactly_once(engine: Engine, count: int) -> None:
    with Session(engine) as session:
        indices = list(
            session.scalars(select(LedgerEntry.log_index).order_by(LedgerEntry.log_index))
        )
        assert indices == list(range(count))
        subjects = set(session.scalars(select(LedgerEntry.subject)))
        assert subjects == {f"row:{i}" for i in range(count)}
        assert session.scalar(select(func.count()).select_from(LedgerPending)) == 0
        assert session.scalar(select(LedgerState.tree_size)) == count
        report = audit_log(session)
        assert report.ok, [str(f) for f in report.findings]


@pytest.mark.parametrize("stage", ["committed", "integrating"])
def test_committed_entries_survive_a_kill_and_integrate_once(own_url: str, stage: str) -> None:
    _killed_child(own_url, 120, stage)
    engine = make_engine(own_url)
    try:
        with Session(engine) as session:
            pending = session.scalar(select(func.count()).select_from(LedgerPending))
        assert pending == 120
        added = _integrate_concurrently(engine)
        assert sum(added) == 120
        _assert_exactly_once(engine, 120)
        assert sum(_integrate_concurrently(engine)) == 0
    finally:
        engine.dispose()


@pytest.mark.skipif(
    not os.environ.get("GOVHUB_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="SQLite has one writer at a time: a later event cannot commit before an earlier one",
)
def test_an_event_committed_after_a_later_one_is_integrated_once(own_url: str) -> None:
    engine = make_engine(own_url)
    factory = sessionmaker(bind=engine)

    def record(session: Session, subject: str) -> None:
        service.record(session, kind=EntryKind.DATA_ACCESS, actor="a", subject=subject, payload={})

    try:
        early = factory()
        record(early, "early")  # takes the smaller seq, commits last
        with factory.begin() as session:
            record(session, "late")
        with factory.begin() as session:
            assert service.integrate(session).added == 1
        early.commit()
        early.close()
        with factory.begin() as session:
            assert service.integrate(session).added == 1
            assert service.integrate(session).added == 0
        with Session(engine) as session:
            query = select(LedgerEntry.subject).order_by(LedgerEntry.log_index)
            assert list(session.scalars(query)) == ["late", "early"]
            assert session.scalar(select(func.count()).select_from(LedgerPending)) == 0
            assert audit_log(session).ok
    finally:
        engine.dispose()
