"""Benchmark the booking core under contention, against a naive read-check-write peer.

    .venv/bin/python bench/surge.py [--quota 200] [--residents 600] [--threads 8]

A first, small step towards the surge benchmark of issue 8 (no HTTP server yet): worker
threads book one slot of a fresh campaign at the service layer, exactly as the API does (plan
in one transaction, claim + sharded conditional decrement + insert in a write transaction),
every resident trying twice (a double click). The peer is the naive design: read the slot's
remaining quota, check it, insert the reservation and write back the decremented value.
Measured per backend (a fresh SQLite file; PostgreSQL too when GOVHUB_BENCH_DATABASE_URL is
set, in a scratch schema created and dropped on that server): bookings, oversold (booked -
quota), duplicate reservations per resident, errors, wall time, bookings/s.

Prints a table and writes bench/results/surge.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from govhub.core.db import make_engine, utcnow
from govhub.core.errors import GovHubError
from govhub.identity.codes import DivisionLevel, division_level, division_parent_code
from govhub.identity.models import Account, AccountKind, Department, DepartmentType, Division
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.reservations import service
from govhub.reservations.models import QuotaShard, Reservation, Slot
from govhub.reservations.schemas import BookingCreate, CampaignCreate
from scratch import scratch

RESULTS = Path(__file__).parent / "results" / "surge.json"


def prepare(engine: Engine, quota: int, residents: int, shards: int) -> tuple[Any, list[Any]]:
    """Create a department, a campaign with one slot of `quota` and `residents` citizens."""
    with Session(engine, expire_on_commit=False) as session:
        for code in ("330000", "330100", "330102"):
            level = division_level(code) or DivisionLevel.COUNTY
            session.add(
                Division(code=code, name=code, level=level, parent_code=division_parent_code(code))
            )
            session.flush()
        department = Department(
            code="BENCH", name="bench", type=DepartmentType.OTHER, division_code="330100"
        )
        session.add(department)
        session.flush()
        manager = Principal(
            "bench",
            "bench",
            frozenset({Role.OFFICIAL, Role.DEPT_ADMIN}),
            kind=AccountKind.OFFICIAL,
            department_id=department.id,
            division_code="330100",
        )
        now = utcnow()
        campaign = service.create_campaign(
            session,
            principal=manager,
            data=CampaignCreate(
                title="bench",
                item="masks",
                opens_at=now - timedelta(minutes=1),
                closes_at=now + timedelta(hours=1),
                points=[{"name": "p", "division_code": "330102"}],
                windows=[{"starts_at": now, "ends_at": now + timedelta(days=1)}],
                quota_per_slot=quota,
                shards=shards,
            ),
        )
        ids = [uuid.uuid4() for _ in range(residents)]
        session.execute(
            insert(Account),
            [
                {
                    "id": i,
                    "kind": AccountKind.CITIZEN,
                    "username": f"r{i.hex}",
                    "display_name": "r",
                    "password_hash": "!",
                }
                for i in ids
            ],
        )
        session.commit()
        return campaign, ids


def citizen(resident: Any) -> Principal:
    """Return a citizen principal."""
    return Principal(
        "r", "r", frozenset({Role.CITIZEN}), account_id=resident, kind=AccountKind.CITIZEN
    )


def book_govhub(factory: sessionmaker[Session], campaign: Any, resident: Any) -> None:
    """Book as the API does."""
    with factory() as read:
        plan = service.plan_booking(
            read,
            principal=citizen(resident),
            campaign_id=campaign.id,
            data=BookingCreate(slot_id=campaign.slots[0].id),
        )
        read.commit()
    with factory() as write, write.begin():
        service.execute_booking(write, plan=plan)  # type: ignore[arg-type]


def book_naive(factory: sessionmaker[Session], campaign: Any, resident: Any) -> None:
    """Read the remaining quota, check it, insert and write the decremented value back."""
    slot: Slot = campaign.slots[0]
    where = (QuotaShard.slot_id == slot.id, QuotaShard.shard == 0)
    with factory() as session, session.begin():
        remaining = session.scalar(select(QuotaShard.remaining).where(*where))
        if not remaining:
            return
        session.add(
            Reservation(
                campaign_id=campaign.id,
                slot_id=slot.id,
                resident_id=resident,
                period_key=f"naive:{uuid.uuid4()}",  # no one-per-resident rule
            )
        )
        session.flush()
        session.execute(update(QuotaShard).where(*where).values(remaining=remaining - 1))


Booker = Callable[[sessionmaker[Session], Any, Any], None]


def run(url: str, booker: Booker, args: argparse.Namespace, shards: int) -> dict[str, Any]:
    """Run one implementation against a fresh campaign; return its figures."""
    engine = make_engine(url)
    campaign, residents = prepare(engine, args.quota, args.residents, shards)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    attempts = [r for r in residents for _ in range(2)]
    errors = refusals = 0
    lock = threading.Lock()
    start = threading.Barrier(args.threads + 1)

    def work(i: int) -> None:
        nonlocal errors, refusals
        start.wait()
        for resident in attempts[i :: args.threads]:
            try:
                booker(factory, campaign, resident)
            except GovHubError:
                with lock:
                    refusals += 1
            except DBAPIError:
                with lock:
                    errors += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(args.threads)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    with Session(engine) as session:
        booked = (
            session.scalar(
                select(func.count())
                .select_from(Reservation)
                .where(Reservation.campaign_id == campaign.id)
            )
            or 0
        )
        per_resident = session.execute(
            select(Reservation.resident_id, func.count())
            .where(Reservation.campaign_id == campaign.id)
            .group_by(Reservation.resident_id)
        ).all()
    engine.dispose()
    return {
        "attempts": len(attempts),
        "booked": booked,
        "oversold": max(0, booked - args.quota),
        "duplicates": sum(n - 1 for _, n in per_resident),
        "refused": refusals,
        "errors": errors,
        "seconds": round(seconds, 3),
        "bookings_per_s": round(booked / seconds, 1) if seconds else 0.0,
    }


def main() -> None:
    """Run the benchmark and write its results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quota", type=int, default=200)
    parser.add_argument("--residents", type=int, default=600)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--shards", type=int, default=8)
    args = parser.parse_args()
    servers: list[str | None] = [None]
    if os.environ.get("GOVHUB_BENCH_DATABASE_URL"):
        servers.append(os.environ["GOVHUB_BENCH_DATABASE_URL"])
    rows: list[dict[str, Any]] = []
    for server in servers:
        for name, booker, shards in (
            ("govhub", book_govhub, args.shards),
            ("naive", book_naive, 1),
        ):
            with (
                tempfile.TemporaryDirectory() as tmp,
                scratch(server, Path(tmp), "surge") as (backend, url),
            ):
                figures = run(url, booker, args, shards)
                rows.append({"backend": backend, "implementation": name, **figures})
    header = ("backend", "implementation", "booked", "oversold", "duplicates", "refused",
              "errors", "seconds", "bookings_per_s")  # fmt: skip
    print(" | ".join(header))
    for row in rows:
        print(" | ".join(str(row[h]) for h in header))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "surge (service-level contention)",
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "parameters": vars(args),
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
