"""Benchmark online services: applications submitted per second and task-inbox latency.

    .venv/bin/python bench/services.py [--applications 2000] [--background-tasks 0]
    # the issue's scale (10^5 applications, 10^6 workflow tasks), PostgreSQL:
    GOVHUB_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
      .venv/bin/python bench/services.py --scale full

Each submission runs in its own transaction at the service layer, exactly as the API does:
JSON Schema validation, a duplicate check, a fresh `matter_review` BPMN process serialized into
the row, its first task and a ledger entry. The peer is the bare insert of the same application
row with no process, task or ledger entry: the ratio is the price of the workflow.
`--background-tasks` bulk-inserts tasks of other departments first, so the inbox query runs
against a large table. Inbox latency is the first page (50 tasks) and total of one department,
median, p95 and p99 over `--inbox-reps` reads; decisions per second completes acceptance tasks.

`--scale full` (PostgreSQL only) first seeds the issue's history with COPY: 10^5 applications
of 20,000 residents over a year, across 11 cities and 33 counties with eight departments each,
and 10^6 tasks (ten per application, 99.5 % completed, a third at other departments of
the division, as bundles and cross-department approvals leave them), then VACUUM ANALYZE, and
records the inbox queries' plans (EXPLAIN ANALYZE) next to the timings.

Prints a table and writes bench/results/services.json (`--scale full`: services_full.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from govhub.core.db import make_engine, utcnow
from govhub.identity.codes import DivisionLevel, division_level, division_parent_code
from govhub.identity.models import Account, AccountKind, Department, DepartmentType, Division
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.ledger.recording import payload_digest
from govhub.services import service
from govhub.services.models import Application, ApplicationStatus, Matter, Task, TaskStatus
from govhub.services.schemas import ApplicationCreate, Outcome, TaskComplete
from govhub.services.workflow import inbox_queries
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


def submit_all(
    factory: sessionmaker[Session], applicants: list[Principal]
) -> tuple[float, list[uuid.UUID]]:
    """Submit one application per applicant, one transaction each; return seconds and ids."""
    ids = []
    started = time.perf_counter()
    for n, principal in enumerate(applicants):
        with factory() as session:
            submitted, _ = service.submit(session, principal=principal, data=application(n))
            session.commit()
            ids.append(submitted.id)
    return time.perf_counter() - started, ids


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


FULL_APPLICATIONS = 100_000
FULL_TASKS_PER_APPLICATION = 10
FULL_RESIDENTS = 20_000
CITIES = [f"33{n:02d}00" for n in range(1, 12)]
COUNTIES = [city[:4] + f"{k:02d}" for city in CITIES for k in (2, 3, 4)]
SEEDED_TYPES = (
    DepartmentType.MARKET_REGULATION, DepartmentType.TAXATION, DepartmentType.PUBLIC_SECURITY,
    DepartmentType.CIVIL_AFFAIRS, DepartmentType.HEALTH, DepartmentType.ECOLOGY_ENVIRONMENT,
    DepartmentType.HUMAN_RESOURCES_SOCIAL_SECURITY, DepartmentType.OTHER,
)  # fmt: skip
# In twentieths of the applications: a year of history is mostly decided (85 % approved,
# 10 % rejected); the 5 % still in review each have their last task open.
STATUS_MIX = (
    [ApplicationStatus.APPROVED] * 17 + [ApplicationStatus.REJECTED] * 2
    + [ApplicationStatus.IN_REVIEW] * 1
)  # fmt: skip
STEPS = ("accept", "review", "decide", "approve")
OUTCOMES = {"accept": "accept", "review": "approve", "decide": "approve", "approve": "approve"}


def seed_departments(factory: sessionmaker[Session], official: Principal) -> dict[str, list[Any]]:
    """Create the cities and counties with eight departments each (the official's tax bureau
    serves 330100); return each division's department ids with their types."""
    by_division: dict[str, list[Any]] = {}
    with factory() as session:
        for code in CITIES[1:] + COUNTIES:
            session.add(
                Division(
                    code=code,
                    name=code,
                    level=division_level(code) or DivisionLevel.COUNTY,
                    parent_code=division_parent_code(code),
                )
            )
            session.flush()  # fmt: skip
        for code in CITIES + COUNTIES:
            for kind in SEEDED_TYPES:
                if code == "330100" and kind is DepartmentType.TAXATION:
                    by_division.setdefault(code, []).append((official.department_id, kind))
                    continue
                dept = Department(code=f"{code}-{kind.value}", name=kind.value, type=kind,
                                  division_code=code)  # fmt: skip
                session.add(dept)
                session.flush()
                by_division.setdefault(code, []).append((dept.id, kind))
        session.commit()
    return by_division


def _copy(cursor: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@dataclass
class History:
    """Generates the seeded applications with their tasks, from one seeded random stream."""

    rng: random.Random
    departments: dict[str, list[Any]]
    matters: dict[DepartmentType, tuple[uuid.UUID, str]]
    residents: list[uuid.UUID]
    officials: list[uuid.UUID]
    now: datetime

    def application(self, n: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        """Return the n-th application row and its ten task rows."""
        rng = self.rng
        divisions = list(self.departments)
        division = divisions[n % len(divisions)]
        department, kind = rng.choice(self.departments[division])
        matter_id, matter_code = self.matters[kind]
        status = rng.choice(STATUS_MIX)
        submitted = self.now - timedelta(days=rng.uniform(1, 365))
        due = submitted + timedelta(days=10)
        app_id = uuid.uuid4()
        steps_at = submitted
        tasks = []
        for k in range(FULL_TASKS_PER_APPLICATION):
            step = STEPS[min(k, len(STEPS) - 1)]
            task_dept = department if rng.random() < 0.67 else rng.choice(
                self.departments[division])[0]  # fmt: skip
            last = k == FULL_TASKS_PER_APPLICATION - 1
            done = not (last and status is ApplicationStatus.IN_REVIEW)
            finished = steps_at + timedelta(hours=rng.uniform(0.5, 30))
            tasks.append((uuid.uuid4(), app_id, uuid.uuid4(), step, matter_code, task_dept,
                          division, "completed" if done else "open", steps_at, due,
                          finished if done else None,
                          rng.choice(self.officials) if done else None,
                          OUTCOMES[step] if done else None, None))  # fmt: skip
            steps_at = finished
        decided = steps_at if status is not ApplicationStatus.IN_REVIEW else None
        address = f"{division} 某路 {n % 500} 号"
        form = json.dumps({"applicant_name": "张三", "phone": "13800138000",
                           "address": address}, ensure_ascii=False)  # fmt: skip
        reason = "材料不全" if status is ApplicationStatus.REJECTED else None
        row = (app_id, rng.choice(self.residents), matter_id, division, department, form,
               f"{n:064x}", status.value, reason, submitted, due, decided, "{}")  # fmt: skip
        return row, tasks


APPLICATION_COLUMNS = ("id", "applicant_id", "matter_id", "division_code", "department_id",
                       "form", "form_digest", "status", "reason", "submitted_at", "due_at",
                       "decided_at", "workflow_state")  # fmt: skip
TASK_COLUMNS = ("id", "application_id", "spiff_id", "step", "matter_code", "department_id",
                "division_code", "status", "created_at", "due_at", "completed_at",
                "completed_by", "outcome", "comment")  # fmt: skip
ACCOUNT_COLUMNS = ("id", "kind", "username", "display_name", "password_hash", "is_active",
                   "failed_logins", "locale", "created_at", "updated_at")  # fmt: skip


def seed_full(engine: Engine, factory: sessionmaker[Session], official: Principal) -> float:
    """COPY 10^5 applications and 10^6 tasks of a year of history; return seconds (with the
    VACUUM ANALYZE that autovacuum would run after such a load)."""
    started = time.perf_counter()
    departments = seed_departments(factory, official)
    with factory() as session:
        matters = {m.department_type: (m.id, m.code) for m in session.scalars(select(Matter))}
    history = History(random.Random(7), departments, matters,
                      residents=[uuid.uuid4() for _ in range(FULL_RESIDENTS)],
                      officials=[uuid.uuid4() for _ in range(200)], now=utcnow())  # fmt: skip
    pooled = engine.raw_connection()
    raw = pooled.driver_connection  # psycopg's own connection, for COPY
    if raw is None:  # pragma: no cover - a live pooled connection always has one
        raise RuntimeError("no driver connection")
    try:
        cursor = raw.cursor()
        now = history.now
        _copy(cursor, "accounts", ACCOUNT_COLUMNS,
              [(a, kind, f"seed-{kind}-{n}", "seed", "!", True, 0, "zh_CN", now, now)
               for kind, ids in (("citizen", history.residents), ("official", history.officials))
               for n, a in enumerate(ids)])  # fmt: skip
        for start in range(0, FULL_APPLICATIONS, 10_000):
            apps, tasks = [], []
            for n in range(start, start + 10_000):
                row, rows = history.application(n)
                apps.append(row)
                tasks.extend(rows)
            _copy(cursor, "service_applications", APPLICATION_COLUMNS, apps)
            _copy(cursor, "service_tasks", TASK_COLUMNS, tasks)
        raw.commit()
        raw.autocommit = True  # VACUUM runs outside a transaction
        cursor.execute("VACUUM ANALYZE")
        raw.autocommit = False
    finally:
        pooled.close()
    return time.perf_counter() - started


def explain_inbox(engine: Engine, official: Principal) -> dict[str, list[str]]:
    """EXPLAIN ANALYZE the inbox's count and page queries for the official's department."""
    if official.department_id is None:
        return {}
    plans: dict[str, list[str]] = {}
    statements = inbox_queries(official.department_id, TaskStatus.OPEN)
    with engine.connect() as conn:
        for name, statement in zip(("count", "page"), statements, strict=True):
            compiled = statement.compile(dialect=engine.dialect)
            rows = conn.exec_driver_sql(
                f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", dict(compiled.params)
            )
            plans[name] = [row[0] for row in rows]
    return plans


def inbox_latency(
    factory: sessionmaker[Session], official: Principal, reps: int
) -> dict[str, float]:
    """Median, p95 and p99 milliseconds of the inbox's first page with its total."""
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
        "p99_ms": round(samples[int(0.99 * (len(samples) - 1))], 2),
    }


def decide(
    factory: sessionmaker[Session], official: Principal, applications: list[uuid.UUID], count: int
) -> float:
    """Accept the first tasks of `count` submitted applications, one transaction each; return
    decisions per second."""
    with factory() as session:
        tasks = list(
            session.scalars(
                select(Task.id).where(
                    Task.application_id.in_(applications[:count]), Task.status == TaskStatus.OPEN
                )
            )
        )
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
    if args.scale == "full":
        result["seeded"] = {
            "applications": FULL_APPLICATIONS,
            "tasks": FULL_APPLICATIONS * FULL_TASKS_PER_APPLICATION,
            "seconds": round(seed_full(engine, factory, official), 1),
        }
    if args.background_tasks:
        result["background_seconds"] = round(
            background(factory, applicants[-1], args.background_tasks), 1
        )
    seconds, submitted = submit_all(factory, applicants[: args.applications])
    result["applications"] = args.applications
    result["applications_per_s"] = round(args.applications / seconds, 1)
    peer = insert_bare(factory, applicants[args.applications :])
    result["peer_bare_insert_per_s"] = round(args.peer / peer, 1)
    result["workflow_cost_ratio"] = round(
        result["peer_bare_insert_per_s"] / result["applications_per_s"], 2
    )
    result["inbox"] = inbox_latency(factory, official, args.inbox_reps)
    result["decisions_per_s"] = round(decide(factory, official, submitted, args.decisions), 1)
    if backend == "postgresql":
        result["inbox_plans"] = explain_inbox(engine, official)
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
    parser.add_argument(
        "--scale", choices=("small", "full"), default="small",
        help="full: seed 10^5 applications and 10^6 tasks first (PostgreSQL only)",
    )  # fmt: skip
    args = parser.parse_args()
    server = os.environ.get("GOVHUB_BENCH_DATABASE_URL")
    if args.scale == "full" and not server:
        parser.error("--scale full needs GOVHUB_BENCH_DATABASE_URL (PostgreSQL)")
    targets = (server,) if args.scale == "full" else (None, server) if server else (None,)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for target in targets:
            with scratch(target, Path(tmp), "services") as (backend, url):
                results.append(run(backend, url, args))
    print(f"{'backend':<11}{'apps/s':>9}{'bare/s':>9}{'ratio':>7}{'inbox p50':>11}"
          f"{'inbox p95':>11}{'inbox p99':>11}{'decide/s':>10}")  # fmt: skip
    for r in results:
        print(f"{r['backend']:<11}{r['applications_per_s']:>9}{r['peer_bare_insert_per_s']:>9}"
              f"{r['workflow_cost_ratio']:>7}{r['inbox']['median_ms']:>9}ms"
              f"{r['inbox']['p95_ms']:>9}ms{r['inbox']['p99_ms']:>9}ms"
              f"{r['decisions_per_s']:>10}")  # fmt: skip
        for name, plan in r.get("inbox_plans", {}).items():
            print(f"-- inbox {name} plan:", *plan, sep="\n  ")
    results_file = RESULTS.with_name("services_full.json") if args.scale == "full" else RESULTS
    results_file.parent.mkdir(parents=True, exist_ok=True)
    results_file.write_text(
        json.dumps(
            {
                "machine": {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                },
                "parameters": vars(args),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
