"""Benchmark the workflow timers: `govhub services tick` against scanning every workflow.

    .venv/bin/python bench/workflow_timers.py [--applications 2000] [--due-share 0.1]
        [--database-url postgresql+psycopg://...]   (default: SQLite in a temporary directory)

Applications of SW-001 go through the real submission (SpiffWorkflow process with its boundary
timers); a `--due-share` of them are submitted with a one-hour limit, the rest with the
catalog's working days. Two hours later:

* **tick** (`services.timers.tick`): finds the due tasks through the `service_tasks` timer
  columns, locks their applications in batches, fires their timers, notifies and ledgers;
* **scan** (the peer: what SpiffWorkflow's own `refresh_waiting_tasks` pattern needs without
  an index): loads every waiting workflow, fires the timers that are due and stores the ones
  that changed, in one transaction that is rolled back so both see the same state.

Both are then repeated with nothing left due (the cost of an idle run, every few minutes).
Prints a table and writes bench/results/workflow_timers.json; the caller notes the load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (  # type: ignore[import-untyped]
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.util import BpmnEvent  # type: ignore[import-untyped]
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from govhub.core.db import make_engine, utcnow
from govhub.identity.codes import DivisionLevel, division_level, division_parent_code
from govhub.identity.models import (
    Account,
    AccountKind,
    AccountRole,
    Department,
    DepartmentType,
    Division,
)
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.models import Base
from govhub.services import service, timers, workflow
from govhub.services.models import Application, ApplicationStatus
from govhub.services.schemas import ApplicationCreate

RESULTS = Path(__file__).parent / "results" / "workflow_timers.json"


def prepare(factory: sessionmaker[Session], count: int, due_share: float) -> float:
    """Create city A, its tax bureau with an approver and a leader, the catalog and `count`
    applications (the first `due_share` with a one-hour limit); return seconds per submission."""
    with factory() as session:
        for code in ("330000", "330100"):
            level = division_level(code) or DivisionLevel.CITY
            session.add(
                Division(code=code, name=code, level=level, parent_code=division_parent_code(code))
            )
            session.flush()
        tax = Department(code="A-SWJ", name="税务局", type=DepartmentType.TAXATION,
                         division_code="330100")  # fmt: skip
        session.add(tax)
        session.flush()
        for name, role in (("approver", Role.APPROVER), ("leader", Role.LEADER)):
            official = Account(kind=AccountKind.OFFICIAL, username=name, display_name=name,
                               password_hash="!", department_id=tax.id)  # noqa: S106  # fmt: skip
            official.role_rows = [AccountRole(role=role)]
            session.add(official)
        account = Account(kind=AccountKind.CITIZEN, username="r", display_name="r",
                          password_hash="!")  # noqa: S106 - "!" disables password login  # fmt: skip
        session.add(account)
        session.flush()
        service.load_standard(session)
        session.commit()
        resident = Principal("r", "r", frozenset({Role.CITIZEN}), account_id=account.id,
                             kind=AccountKind.CITIZEN)  # fmt: skip
    hurried = int(count * due_share)
    started = time.perf_counter()
    for n in range(count):
        with factory() as session:
            service.get_matter(session, "SW-001").promised_hours = 1 if n < hurried else None
            data = ApplicationCreate.model_validate(
                {"matter_code": "SW-001", "division_code": "330100",
                 "form": {"applicant_name": "张三", "phone": "13800138000", "quantity": n + 1}}
            )  # fmt: skip
            service.submit(session, principal=resident, data=data)
            session.commit()
    return (time.perf_counter() - started) / count


def scan(factory: sessionmaker[Session], now: datetime) -> tuple[float, int]:
    """The peer: load every waiting workflow, fire its due timers, store the changed ones
    (rolled back); return seconds and how many timers fired."""
    fired = 0
    started = time.perf_counter()
    with factory() as session:
        rows = session.scalars(
            select(Application).where(Application.status == ApplicationStatus.IN_REVIEW)
        )
        for application in rows:
            process = workflow.load(application.workflow_state)
            due = [n for n, at in workflow.timer_times(process).items() if at <= now]
            for name in due:
                process.send_event(BpmnEvent(TimeDateEventDefinition(name, "")))
            if due:
                process.do_engine_steps()
                application.workflow_state = workflow.dump(process)
                fired += len(due)
        session.flush()
        session.rollback()
    return time.perf_counter() - started, fired


def run(url: str, count: int, due_share: float, batch: int) -> dict[str, Any]:
    """Prepare a fresh database at `url` and measure both approaches."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    per_submission = prepare(factory, count, due_share)
    now = utcnow() + timedelta(hours=2)
    scan_busy, fired = scan(factory, now)
    started = time.perf_counter()
    report = timers.tick(now=now, batch=batch, sessions=factory)
    tick_busy = time.perf_counter() - started
    scan_idle, _ = scan(factory, now)
    started = time.perf_counter()
    idle = timers.tick(now=now, batch=batch, sessions=factory)
    tick_idle = time.perf_counter() - started
    engine.dispose()
    if idle != timers.TickReport():
        raise RuntimeError(f"a second tick found work: {idle}")
    return {
        "backend": engine.dialect.name,
        "applications": count,
        "due_applications": report.applications,
        "timers_fired_by_scan": fired,
        "reminders": report.reminded,
        "escalations": report.escalated,
        "submission_ms": round(per_submission * 1000, 2),
        "tick_seconds": round(tick_busy, 3),
        "scan_seconds": round(scan_busy, 3),
        "scan_over_tick": round(scan_busy / tick_busy, 1),
        "idle_tick_ms": round(tick_idle * 1000, 2),
        "idle_scan_ms": round(scan_idle * 1000, 2),
        "idle_scan_over_tick": round(scan_idle / tick_idle, 1),
    }


def main() -> None:
    """Run the benchmark, print its table and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--due-share", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=timers.DEFAULT_BATCH)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if args.database_url:
        result = run(args.database_url, args.applications, args.due_share, args.batch)
    else:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{Path(directory) / 'timers.db'}"
            result = run(url, args.applications, args.due_share, args.batch)
    result["python"] = platform.python_version()
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(f"{'measure (' + result['backend'] + ')':<52}{'value':>14}")
    rows = [
        ("applications (due)", f"{result['applications']} ({result['due_applications']})"),
        ("submission (ms each, with process start)", result["submission_ms"]),
        ("tick: reminders + escalations", f"{result['reminders']} + {result['escalations']}"),
        ("tick (s)", result["tick_seconds"]),
        ("scan every workflow, peer (s)", result["scan_seconds"]),
        ("scan / tick", result["scan_over_tick"]),
        ("idle tick (ms)", result["idle_tick_ms"]),
        ("idle scan, peer (ms)", result["idle_scan_ms"]),
        ("idle scan / idle tick", result["idle_scan_over_tick"]),
    ]
    for label, value in rows:
        print(f"{label:<52}{value!s:>14}")
    RESULTS.parent.mkdir(exist_ok=True)
    existing: dict[str, Any] = {}
    if RESULTS.exists():
        existing = json.loads(RESULTS.read_text(encoding="utf-8"))
    existing[result["backend"]] = result
    RESULTS.write_text(json.dumps(existing, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
