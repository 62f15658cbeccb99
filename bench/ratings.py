"""Benchmark ratings: ratings submitted per second and public statistics latency.

    .venv/bin/python bench/ratings.py [--rate 1000] [--background 100000]

Ratings run through the service layer, one transaction each, exactly as the API does: the
own-application check, the duplicate check, the insert, a ledger entry and, for every fifth
rating (level 1), a rectification case with its own ledger entry. Applications are inserted
approved (no workflow: that is the services benchmark's subject). `--background` bulk-inserts
ratings of other applications first, so the statistics queries (grouped by matter, department
and division) run over a large table; median and p95 over `--reps` reads each.

Prints a table and writes bench/results/ratings.json (SQLite under a temporary directory).
"""

from __future__ import annotations

import argparse
import json
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
from govhub.models import Base
from govhub.ratings import service as ratings
from govhub.ratings.models import Rating
from govhub.ratings.schemas import RatingCreate, StatsBy
from govhub.services import service
from govhub.services.models import Application, ApplicationStatus

RESULTS = Path(__file__).parent / "results" / "ratings.json"
BATCH = 5000


def prepare(factory: sessionmaker[Session], count: int) -> tuple[Principal, list[uuid.UUID]]:
    """Create city A, its tax bureau, the catalog, one resident and `count` approved
    applications of SW-001; return the resident and the application ids."""
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
        account = Account(kind=AccountKind.CITIZEN, username="r", display_name="r",
                          password_hash="!")  # noqa: S106 - "!" disables password login  # fmt: skip
        session.add(account)
        session.flush()
        service.load_standard(session)
        matter = service.get_matter(session, "SW-001")
        now = utcnow()
        ids = [uuid.uuid4() for _ in range(count)]
        for start in range(0, count, BATCH):
            session.execute(
                insert(Application),
                [
                    {"id": i, "applicant_id": account.id, "matter_id": matter.id,
                     "division_code": "330100", "department_id": tax.id, "form": {},
                     "form_digest": "0" * 64, "status": ApplicationStatus.APPROVED,
                     "submitted_at": now, "due_at": now, "decided_at": now,
                     "workflow_state": "{}"}
                    for i in ids[start : start + BATCH]
                ],
            )  # fmt: skip
        session.commit()
        resident = Principal("r", "r", frozenset({Role.CITIZEN}), account_id=account.id,
                             kind=AccountKind.CITIZEN)  # fmt: skip
    return resident, ids


def rate_all(factory: sessionmaker[Session], resident: Principal, ids: list[uuid.UUID]) -> float:
    """Rate every application, one transaction each; return seconds."""
    started = time.perf_counter()
    for n, application_id in enumerate(ids):
        level = 1 if n % 5 == 0 else 5 - n % 3
        values: dict[str, Any] = {"application_id": application_id, "overall": level,
                                  "efficiency": level, "guide_accuracy": level,
                                  "convenience": level, "usability": level}  # fmt: skip
        if level == 1:
            values["reasons"] = ["slow"]
        with factory() as session:
            ratings.rate(session, principal=resident, data=RatingCreate.model_validate(values))
            session.commit()
    return time.perf_counter() - started


def stats_latency(factory: sessionmaker[Session], by: StatsBy, reps: int) -> dict[str, float]:
    """Median and p95 milliseconds of one statistics read."""
    times = []
    for _ in range(reps):
        with factory() as session:
            started = time.perf_counter()
            ratings.statistics(session, by=by)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2)}  # fmt: skip


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--background", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'ratings.db'}")
        Base.metadata.create_all(engine)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        resident, ids = prepare(factory, args.rate + args.background)
        seconds = rate_all(factory, resident, ids[: args.rate])
        bulk_started = time.perf_counter()
        for start in range(args.rate, len(ids), BATCH):
            with factory() as session:
                rows: list[dict[str, Any]] = [
                    {"id": uuid.uuid4(), "application_id": i, "applicant_id": resident.account_id,
                     "matter_code": "SW-001", "department_id": None, "division_code": "330100",
                     "overall": n % 5 + 1, "efficiency": 4, "guide_accuracy": 4,
                     "convenience": 4, "usability": 4, "reasons": [], "comment": "",
                     "excluded": False, "created_at": utcnow()}
                    for n, i in enumerate(ids[start : start + BATCH])
                ]  # fmt: skip
                department = session.get_one(Application, ids[0]).department_id
                for row in rows:
                    row["department_id"] = department
                session.execute(insert(Rating), rows)
                session.commit()
        bulk = time.perf_counter() - bulk_started
        latency = {by.value: stats_latency(factory, by, args.reps) for by in StatsBy}
        engine.dispose()
    result = {
        "backend": "sqlite",
        "python": platform.python_version(),
        "rated": args.rate,
        "ratings_per_second": round(args.rate / seconds, 1),
        "background_ratings": args.background,
        "background_insert_seconds": round(bulk, 2),
        "statistics": latency,
    }
    print(f"{'measure':<58}{'value':>14}")
    print(f"{'ratings per second (service, 1 tx each)':<58}{result['ratings_per_second']:>14}")
    for by, values in latency.items():
        label = f"statistics by {by} over {args.rate + args.background} (median/p95 ms)"
        print(f"{label:<58} {values['median_ms']:>6}/{values['p95_ms']}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
