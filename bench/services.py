"""Benchmark online services: applications submitted per second and task-inbox latency.

    .venv/bin/python bench/services.py [--applications 2000] [--background-tasks 0]
    # the issue's scale (10^5 applications, 10^6 workflow tasks), PostgreSQL:
    GOVHUB_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
      .venv/bin/python bench/services.py --applications 100000 --background-tasks 1000000

Each submission runs in its own transaction at the service layer, exactly as the API does:
JSON Schema validation, a duplicate check, a fresh `matter_review` BPMN process serialized into
the row, its first task and a ledger entry. The peer is the bare insert of the same application
row with no process, task or ledger entry: the ratio is the price of the workflow.
`--background-tasks` bulk-inserts tasks of other departments first, so the inbox query runs
against a large table. Inbox latency is the first page (50 tasks) and total of one department,
median and p95 over `--inbox-reps` reads; decisions per second completes acceptance tasks.

Prints a table and writes bench/results/services.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from govhub.core.db import make_engine, utcnow
from govhub.identity.codes import DivisionLevel, division_level, division_parent_code
from govhub.identity.models import Account, AccountKind, Department, DepartmentType, Division
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.ledger.recording import payload_digest
from govhub.services import service
from govhub.services.models import Application, ApplicationStatus, Task, TaskStatus
from govhub.services.schemas import ApplicationCreate, Outcome, TaskComplete
from scratch import scratch

RESULTS = Path(__file__).parent / "results" / "services.json"
BATCH = 5000


def prepare(factory: sessionmaker[Session], residents: int) -> tuple[Principal, list[Principal]]:
    """Create city A with a tax bureau, the catalog and `residents` applicants."""
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
        ids = [uuid.uuid4() for _ in range(residents)]
        now = utcnow()
        session.execute(
            insert(Account),
            [
                {"id": i, "kind": AccountKind.CITIZEN, "username": f"r{n}", "display_name": "r",
                 "password_hash": "!", "is_active": True, "failed_logins": 0,
                 "locale": "zh_CN", "created_at": now, "updated_at": now}
                for n, i in enumerate(ids)
            ],
        )  # fmt: skip
        service.load_standard(session)
        session.commit()
        official = Principal("bench-official", "bench", frozenset({Role.OFFICIAL, Role.APPROVER}),
                             kind=AccountKind.OFFICIAL, department_id=tax.id,
                             division_code="330100")  # fmt: skip
    applicants = [
        Principal(f"r{n}", "r", frozenset({Role.CITIZEN}), account_id=i, kind=AccountKind.CITIZEN)
        for n, i in enumerate(ids)
    ]
    return official, applicants


def application(n: int) -> ApplicationCreate:
    """The n-th invoice application (SW-001, no upload)."""
    form = {"applicant_name": "张三", "phone": "13800138000", "quantity": n % 1000 + 1}
    return ApplicationCreate(matter_code="SW-001", division_code="330100", form=form)


def submit_all(factory: sessionmaker[Session], applicants: list[Principal]) -> float:
    """Submit one application per applicant, one transaction each; return seconds."""
    started = time.perf_counter()
    for n, principal in enumerate(applicants):
        with factory() as session:
            service.submit(session, principal=principal, data=application(n))
            session.commit()
    return time.perf_counter() - started


def insert_bare(factory: sessionmaker[Session], applicants: list[Principal]) -> float:
    """The peer: insert the same application rows with no process, task or ledger entry."""
    started = time.perf_counter()
    for n, principal in enumerate(applicants):
        data = application(n)
        with factory() as session:
            now = utcnow()
            session.add(
                Application(
                    applicant_id=principal.account_id,
                    division_code="330100",
                    form=data.form,
                    form_digest=payload_digest(data.form),
                    status=ApplicationStatus.IN_REVIEW,
                    submitted_at=now,
                    due_at=now,
                    workflow_state="{}",
                )
            )
            session.commit()
    return time.perf_counter() - started


def background(factory: sessionmaker[Session], applicant: Principal, tasks: int) -> float:
    """Bulk-insert `tasks` tasks of 100 other departments (ten per application)."""
    started = time.perf_counter()
    with factory() as session:
        departments = []
        for k in range(100):
            dept = Department(code=f"BG-{k}", name="bg", type=DepartmentType.OTHER,
                              division_code="330100")  # fmt: skip
            session.add(dept)
            departments.append(dept)
        session.flush()
        now = utcnow()
        for start in range(0, tasks, BATCH * 10):
            count = min(BATCH * 10, tasks - start)
            apps = [uuid.uuid4() for _ in range((count + 9) // 10)]
            session.execute(
                insert(Application),
                [{"id": a, "applicant_id": applicant.account_id, "division_code": "330100",
                  "form": {}, "form_digest": "0" * 64, "status": ApplicationStatus.IN_REVIEW,
                  "submitted_at": now, "due_at": now, "workflow_state": "{}"} for a in apps],
            )  # fmt: skip
            session.execute(
                insert(Task),
                [{"id": uuid.uuid4(), "application_id": apps[i // 10], "spiff_id": uuid.uuid4(),
                  "step": "review", "matter_code": "ZF-001",
                  "department_id": departments[(start + i) % 100].id, "division_code": "330100",
                  "status": TaskStatus.OPEN, "created_at": now, "due_at": now}
                 for i in range(count)],
            )  # fmt: skip
        session.commit()
    return time.perf_counter() - started


def inbox_latency(
    factory: sessionmaker[Session], official: Principal, reps: int
) -> dict[str, float]:
    """Median and p95 milliseconds of the inbox's first page with its total."""
    samples = []
    for _ in range(reps):
        with factory() as session:
            started = time.perf_counter()
            service.inbox(session, principal=official, limit=50)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2),
    }


def decide(factory: sessionmaker[Session], official: Principal, count: int) -> float:
    """Accept `count` tasks from the inbox, one transaction each; return decisions per second."""
    with factory() as session:
        tasks = [t.id for t in service.inbox(session, principal=official, limit=count)[0]]
    started = time.perf_counter()
    for task_id in tasks:
        with factory() as session:
            service.complete(session, principal=official, task_id=task_id,
                             data=TaskComplete(outcome=Outcome.ACCEPT))  # fmt: skip
            session.commit()
    return len(tasks) / (time.perf_counter() - started)


def run(backend: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Measure one backend."""
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    official, applicants = prepare(factory, args.applications + args.peer)
    result: dict[str, Any] = {"backend": backend}
    if args.background_tasks:
        result["background_seconds"] = round(
            background(factory, applicants[-1], args.background_tasks), 1
        )
    seconds = submit_all(factory, applicants[: args.applications])
    result["applications"] = args.applications
    result["applications_per_s"] = round(args.applications / seconds, 1)
    peer = insert_bare(factory, applicants[args.applications :])
    result["peer_bare_insert_per_s"] = round(args.peer / peer, 1)
    result["workflow_cost_ratio"] = round(
        result["peer_bare_insert_per_s"] / result["applications_per_s"], 2
    )
    result["inbox"] = inbox_latency(factory, official, args.inbox_reps)
    result["decisions_per_s"] = round(decide(factory, official, args.decisions), 1)
    engine.dispose()
    return result


def main() -> None:
    """Run the benchmark on SQLite, and on PostgreSQL when a server is named."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--peer", type=int, default=1000)
    parser.add_argument("--background-tasks", type=int, default=0)
    parser.add_argument("--inbox-reps", type=int, default=200)
    parser.add_argument("--decisions", type=int, default=200)
    args = parser.parse_args()
    server = os.environ.get("GOVHUB_BENCH_DATABASE_URL")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for target in (None, server) if server else (None,):
            with scratch(target, Path(tmp), "services") as (backend, url):
                results.append(run(backend, url, args))
    print(f"{'backend':<11}{'apps/s':>9}{'bare/s':>9}{'ratio':>7}{'inbox p50':>11}"
          f"{'inbox p95':>11}{'decide/s':>10}")  # fmt: skip
    for r in results:
        print(f"{r['backend']:<11}{r['applications_per_s']:>9}{r['peer_bare_insert_per_s']:>9}"
              f"{r['workflow_cost_ratio']:>7}{r['inbox']['median_ms']:>9}ms"
              f"{r['inbox']['p95_ms']:>9}ms{r['decisions_per_s']:>10}")  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "parameters": vars(args),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
