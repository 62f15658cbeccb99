"""Benchmark the demo load: the full province into a fresh database, against two peers.

    .venv/bin/python bench/demo_load.py [--citizens 10000] [--enterprises 2000]

Measured per backend (a fresh SQLite file; PostgreSQL too when GOVHUB_BENCH_DATABASE_URL is
set, in a scratch database created and dropped on that server):

- bulk: `govhub.demo.load_demo`, batched `insert()` of plain rows, one shared password hash;
- naive ORM peer: the same citizens, one `session.add(Account(...))` and flush per object
  (the shape of the identity service's write path), same encryption and shared hash;
- service peer: `identity_service.register_citizen`, which also hashes each password with
  argon2id, for a handful of citizens;
- on SQLite, the wall time of the real command, `govhub demo load`, in a subprocess.

Prints a table and writes bench/results/demo_load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session

from govhub.core import migrations
from govhub.core.crypto import encrypt_field
from govhub.core.db import make_engine
from govhub.core.settings import get_settings
from govhub.demo import DEMO_PASSWORD, DemoPlan, build_plan, load_demo
from govhub.demo.people import CitizenSeed
from govhub.identity import service as identity_service
from govhub.identity.authn import hash_password
from govhub.identity.models import Account, AccountKind, AccountRole
from govhub.identity.permissions import Role
from govhub.identity.schemas import CitizenRegister

RESULTS = Path(__file__).parent / "results" / "demo_load.json"
SEED = 2026

FreshDatabase = Callable[[str], AbstractContextManager[str]]
"""Given a name, a context yielding the URL of a fresh, migrated database."""


def rate(rows: int, seconds: float) -> float:
    """Return rows per second (0 when nothing was timed)."""
    return round(rows / seconds, 1) if seconds > 0 else 0.0


@contextmanager
def sqlite_database(directory: Path, name: str) -> Iterator[str]:
    """Yield the URL of a fresh, migrated SQLite file."""
    url = f"sqlite:///{directory / name}"
    migrations.upgrade("head", database_url=url)
    yield url


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """Yield the URL of a scratch, migrated PostgreSQL database; drop it afterwards."""
    name = f"govhub_bench_{secrets.token_hex(4)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade("head", database_url=url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bulk(engine: Engine, plan: DemoPlan) -> dict[str, Any]:
    """Load the whole plan the way `govhub demo load` does; return tables and stage timings."""
    started = time.perf_counter()
    with Session(engine) as session:
        report = load_demo(session, plan)
        session.commit()
    seconds = time.perf_counter() - started
    return {
        "load_seconds": round(seconds, 3),
        "tables": report.tables,
        "rows": sum(report.tables.values()),
        "rows_per_second": rate(sum(report.tables.values()), seconds),
        "stages": {
            name: {
                "rows": stage.inserted,
                "seconds": round(stage.seconds, 3),
                "rows_per_second": rate(stage.inserted, stage.seconds),
            }
            for name, stage in report.stages.items()
        },
    }


def _peer(citizens: tuple[CitizenSeed, ...], seconds: float) -> dict[str, Any]:
    """Summarize a peer run in the unit of the bulk citizens stage: accounts (each with a role)."""
    return {
        "rows": len(citizens),
        "seconds": round(seconds, 3),
        "rows_per_second": rate(len(citizens), seconds),
    }


def naive_orm(engine: Engine, citizens: tuple[CitizenSeed, ...]) -> dict[str, Any]:
    """Insert citizens one ORM object and one flush at a time (the shared hash is reused)."""
    password_hash = hash_password(DEMO_PASSWORD)
    started = time.perf_counter()
    with Session(engine) as session:
        for seed in citizens:
            account = Account(
                kind=AccountKind.CITIZEN,
                username=seed.username,
                display_name=seed.display_name,
                password_hash=password_hash,
                id_number_encrypted=encrypt_field(
                    seed.id_number, context=identity_service.ID_NUMBER_CONTEXT
                ),
                id_number_index=identity_service.id_number_lookup_key(seed.id_number),
            )
            account.role_rows = [AccountRole(role=Role.CITIZEN)]
            session.add(account)
            session.flush()
        session.commit()
    return _peer(citizens, time.perf_counter() - started)


def service_path(engine: Engine, citizens: tuple[CitizenSeed, ...]) -> dict[str, Any]:
    """Register citizens through the identity service (argon2id per password, audit events)."""
    started = time.perf_counter()
    with Session(engine) as session:
        for seed in citizens:
            identity_service.register_citizen(
                session,
                data=CitizenRegister(
                    username=seed.username,
                    password=DEMO_PASSWORD,
                    display_name=seed.display_name,
                    id_number=seed.id_number,
                ),
            )
        session.commit()
    return _peer(citizens, time.perf_counter() - started)


def command_line(url: str, citizens: int, enterprises: int) -> float:
    """Return the wall time of `govhub demo load` run as a user would run it."""
    executable = Path(sys.executable).with_name("govhub")
    env = {**os.environ, "GOVHUB_DATABASE_URL": url}
    args = [str(executable), "demo", "load", "--citizens", str(citizens)]
    args += ["--enterprises", str(enterprises)]
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)  # noqa: S603
    return round(time.perf_counter() - started, 3)


def run_backend(
    backend: str, fresh: FreshDatabase, plan: DemoPlan, naive_count: int, service_count: int
) -> dict[str, Any]:
    """Measure the bulk load and both peers on fresh databases of one backend."""
    result: dict[str, Any] = {"backend": backend}
    with fresh("bulk.db") as url:
        engine = make_engine(url)
        result.update(bulk(engine, plan))
        engine.dispose()
    with fresh("naive.db") as url:
        engine = make_engine(url)
        result["naive_orm"] = naive_orm(engine, plan.citizens[:naive_count])
        engine.dispose()
    with fresh("service.db") as url:
        engine = make_engine(url)
        result["service"] = service_path(engine, plan.citizens[:service_count])
        engine.dispose()
    bulk_rate = result["stages"]["citizens"]["rows_per_second"]
    for peer in ("naive_orm", "service"):
        result[f"speedup_vs_{peer}"] = round(bulk_rate / result[peer]["rows_per_second"], 1)
    return result


def print_table(results: dict[str, Any]) -> None:
    """Print rows, seconds and rows/s for every backend."""
    print(f"demo load: seed {results['params']['seed']}, plan {results['plan_seconds']:.2f} s")
    header = f"{'backend':<10} {'what':<28} {'rows':>8} {'seconds':>9} {'per second':>11}"
    print(header)
    print("-" * len(header))
    for run in results["backends"]:
        name = run["backend"]
        for table, rows in run["tables"].items():
            print(f"{name:<10} {'table ' + table:<28} {rows:>8,}")
        for stage, info in run["stages"].items():
            what = f"stage {stage}"
            print(
                f"{name:<10} {what:<28} {info['rows']:>8,} {info['seconds']:>9.3f}"
                f" {info['rows_per_second']:>11,.0f}"
            )
        print(
            f"{name:<10} {'bulk load, all tables':<28} {run['rows']:>8,}"
            f" {run['load_seconds']:>9.3f} {run['rows_per_second']:>11,.0f}"
        )
        for peer in ("naive_orm", "service"):
            info = run[peer]
            what = f"peer {peer}: citizens"
            print(
                f"{name:<10} {what:<28} {info['rows']:>8,} {info['seconds']:>9.3f}"
                f" {info['rows_per_second']:>11,.0f}"
            )
        print(
            f"{name:<10} citizens/s: bulk is {run['speedup_vs_naive_orm']}x the naive ORM peer"
            f" and {run['speedup_vs_service']}x the service peer"
        )
        if "command_seconds" in run:
            print(f"{name:<10} `govhub demo load` end to end: {run['command_seconds']:.2f} s")


def main() -> None:
    """Run the benchmark and write its results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=10_000)
    parser.add_argument("--enterprises", type=int, default=2_000)
    parser.add_argument("--naive", type=int, default=1_000, help="citizens for the ORM peer")
    parser.add_argument("--service", type=int, default=10, help="citizens for the service peer")
    args = parser.parse_args()

    started = time.perf_counter()
    plan = build_plan(seed=SEED, citizens=args.citizens, enterprises=args.enterprises)
    plan_seconds = round(time.perf_counter() - started, 3)
    settings = get_settings()
    results: dict[str, Any] = {
        "benchmark": "demo_load",
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "sqlalchemy": sqlalchemy.__version__,
            "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        },
        "params": {
            "seed": SEED,
            "citizens": args.citizens,
            "enterprises": args.enterprises,
            "naive_citizens": args.naive,
            "service_citizens": args.service,
            "argon2_memory_kib": settings.argon2_memory_kib,
            "argon2_time_cost": settings.argon2_time_cost,
        },
        "plan_seconds": plan_seconds,
        "backends": [],
    }
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)

        def fresh_sqlite(name: str) -> AbstractContextManager[str]:
            return sqlite_database(directory, name)

        sqlite_run = run_backend("sqlite", fresh_sqlite, plan, args.naive, args.service)
        with fresh_sqlite("command.db") as url:
            sqlite_run["command_seconds"] = command_line(url, args.citizens, args.enterprises)
        results["backends"].append(sqlite_run)

    server = os.environ.get("GOVHUB_BENCH_DATABASE_URL")
    if server:

        def fresh_postgres(_: str) -> AbstractContextManager[str]:
            return postgres_database(server)

        results["backends"].append(
            run_backend("postgresql", fresh_postgres, plan, args.naive, args.service)
        )

    print_table(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
