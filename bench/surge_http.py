"""The surge benchmark of issue 8: a city opens a campaign, over HTTP, against PostgreSQL.

    .venv/bin/python bench/surge_http.py [--quota 10000] [--surge-seconds 60] [--workers 2]

The server runs as in production (uvicorn with several worker processes, uvloop, httptools,
no access log) on a scratch PostgreSQL database of its own, made on the server that
`GOVHUB_BENCH_DATABASE_URL` names (default: the local one). The load generator in this
process sends requests at a fixed arrival rate (an open model: a request is due at its time
whether or not earlier ones have answered, and its latency counts from that time, so
queueing is never hidden) over keep-alive connections of a small asyncio HTTP/1.1 client, on
uvloop as the server (about 100 µs of the generator's CPU per request against 120 µs on the
standard event loop).
Every resident carries one Idempotency-Key and retries on 429 after Retry-After (plus
jitter), on 5xx and on timeouts, as a client would. Each arrival is a resident of its own:
before a phase, residents are added until there is one per scheduled arrival.

Latency is measured twice: from the time a request was due (its arrival, or the end of its
Retry-After wait) to its answer, which includes waiting for a free client connection; and
from the moment it was written on a connection to its answer ("service" latency), which
leaves out the load generator's own queueing.

Measured in one run:
- ceilings: a bare endpoint of the same server (`/healthz`, requests/s) and pgbench running
  GovHub's booking statements directly (one hot row, and over the campaign's shards);
- capacity C: the highest fixed arrival rate with p99 <= 200 ms, no errors and every request
  accepted;
- surges at 5x and 10x C, then normal load: goodput, latency of accepted and of rejected
  requests, oversold, duplicates, lost (acknowledged ids missing from the database),
  phantoms (reservations of residents whose client's last answer was a refusal or error),
  give-ups (clients that stopped retrying at the phase's deadline, and the reservations they
  hold without having seen them), 5xx and timeouts, time to sell out, recovery time, peak
  server memory;
- the naive design (read the quota, check, write) under the same surge as 5x.

Prints tables and writes bench/results/surge_http.json after every phase (a run cut short
keeps what it finished); clients stop retrying 60 s after a phase's last scheduled request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvloop

# The server and this process sign and verify the same tokens: one secret for both, set before
# GovHub's settings are first read.
SERVER_ENV = {
    "GOVHUB_SECRET_KEY": f"surge-{uuid.uuid4().hex}{uuid.uuid4().hex}",
    "GOVHUB_ENV": "production",
    "GOVHUB_LOG_LEVEL": "WARNING",
    "GOVHUB_RESERVATIONS_PER_IP_PER_MINUTE": str(10**9),  # every client is 127.0.0.1
}
os.environ.update(SERVER_ENV)

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from govhub.core.db import make_engine, utcnow  # noqa: E402
from govhub.identity.authn import API_AUDIENCE  # noqa: E402
from govhub.identity.codes import DivisionLevel, division_level, division_parent_code  # noqa: E402
from govhub.identity.models import (  # noqa: E402
    Account,
    AccountKind,
    AccountRole,
    Department,
    DepartmentType,
    Division,
)
from govhub.identity.permissions import Role  # noqa: E402
from govhub.identity.principal import Principal  # noqa: E402
from govhub.identity.tokens import issue_jwt, rotate_keys  # noqa: E402
from govhub.reservations import service  # noqa: E402
from govhub.reservations.models import Reservation  # noqa: E402
from govhub.reservations.schemas import CampaignCreate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "surge_http.json"
TIMEOUT_SECONDS = 10.0
# After a phase's last scheduled request, clients keep retrying for at most this long; the rest
# give up (counted), so a starved load generator cannot keep a phase running without end.
DRAIN_SECONDS = 60.0
GAVE_UP = -1  # the status a sample gets when its client gave up before sending
P99_BUDGET_MS = 200.0
# uvicorn closes a keep-alive connection idle for 5 s; like a browser, the client does not
# reuse one idle nearly that long (a request written as the server closes it would fail).
IDLE_SECONDS = 4.0


# --- a small HTTP/1.1 client --------------------------------------------------------------


class Connection:
    """One keep-alive connection: write a request, read a Content-Length answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.last_used = time.monotonic()

    async def send(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send one request and read its whole answer."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers, body

    def close(self) -> None:
        """Drop the connection."""
        self.writer.close()


class Pool:
    """Keep-alive connections to one server, opened on demand up to `size`."""

    def __init__(self, port: int, size: int, failures: dict[str, int] | None = None) -> None:
        self.port, self.size = port, size
        self.idle: list[Connection] = []
        self.opened = 0
        # status-0 answers counted by the exception behind them
        self.failures = failures if failures is not None else {}
        self.freed = asyncio.Condition()

    async def acquire(self) -> Connection:
        """Take an idle connection, open one, or wait for one to come back."""
        async with self.freed:
            while not self.idle and self.opened >= self.size:
                await self.freed.wait()
            stale = time.monotonic() - IDLE_SECONDS
            while self.idle and self.idle[0].last_used < stale:  # the oldest come first
                self.idle.pop(0).close()
                self.opened -= 1
            if self.idle:
                return self.idle.pop()
            self.opened += 1
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            await self.release(None)
            raise
        return Connection(reader, writer)

    async def release(self, connection: Connection | None) -> None:
        """Return a healthy connection, or forget a broken one."""
        async with self.freed:
            if connection is None:
                self.opened -= 1
            else:
                connection.last_used = time.monotonic()
                self.idle.append(connection)
            self.freed.notify()

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        body: bytes = b"",
        deadline: float = float("inf"),
    ) -> tuple[int, dict[str, str], bytes, float]:
        """Send one request: status, headers, body and when it was written (monotonic).

        Status 0 means a timeout or a broken connection, `GAVE_UP` that no connection was
        free before `deadline` (monotonic seconds)."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        connection = await self.acquire()
        sent = time.monotonic()
        if sent > deadline:
            await self.release(connection)
            return GAVE_UP, {}, b"", sent
        try:
            status, headers, body = await asyncio.wait_for(connection.send(raw), TIMEOUT_SECONDS)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            kind = type(exc).__name__
            self.failures[kind] = self.failures.get(kind, 0) + 1
            connection.close()
            await self.release(None)
            return 0, {}, b"", sent
        await self.release(connection)
        return status, headers, body, sent

    def close(self) -> None:
        """Close every idle connection."""
        for connection in self.idle:
            connection.close()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


# --- the run's records --------------------------------------------------------------------


@dataclass
class Sample:
    """One request: when it was due, when it was written, when it finished, its status."""

    due: float
    sent: float
    done: float
    status: int

    @property
    def latency_ms(self) -> float:
        """Milliseconds from the time the request was due to its answer."""
        return (self.done - self.due) * 1000

    @property
    def service_ms(self) -> float:
        """Milliseconds from writing the request on a connection to its answer."""
        return (self.done - self.sent) * 1000


@dataclass
class Phase:
    """The samples and outcomes of one load phase."""

    samples: list[Sample] = field(default_factory=list)
    acked: dict[str, str] = field(default_factory=dict)  # resident -> reservation id
    # residents whose client's last answer was a refusal or an error (not 429): a reservation
    # of one of them is a phantom
    refused: set[str] = field(default_factory=set)
    # residents whose client stopped retrying without a final answer (the phase's deadline,
    # or its attempts ran out): counted apart, since a retry with its key would still tell it
    gave_up: set[str] = field(default_factory=set)
    sold_out_at: float | None = None
    client_errors: dict[str, int] = field(default_factory=dict)  # status 0, by exception
    # the load generator's highest CPU share over half a second: near 1.0 it was saturated,
    # and the latencies it measured include its own delays
    generator_busy: float = 0.0
    peak_rss_mib: float = 0.0  # the server's, when watched


def summarize(samples: list[Sample]) -> dict[str, Any]:
    """Latency percentiles of accepted and rejected requests, and error counts."""
    accepted = [s.latency_ms for s in samples if 200 <= s.status < 300]
    rejected = [s.latency_ms for s in samples if s.status in (409, 429)]
    over = [s.latency_ms for s in samples if s.status == 429]
    sold = [s.latency_ms for s in samples if s.status == 409]
    accepted_service = [s.service_ms for s in samples if 200 <= s.status < 300]
    rejected_service = [s.service_ms for s in samples if s.status in (409, 429)]
    errors = sum(1 for s in samples if s.status >= 500 or s.status == 0)
    every = [s.latency_ms for s in samples]
    statuses: dict[str, int] = {}
    for s in samples:
        statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
    return {
        "statuses": statuses,
        "requests": len(samples),
        "accepted": len(accepted),
        "rejected": len(rejected),
        "errors": errors,
        "timeouts": sum(1 for s in samples if s.status == 0),
        "p99_ms": percentile(every, 99) if every else None,
        "accepted_p50_ms": percentile(accepted, 50) if accepted else None,
        "accepted_p95_ms": percentile(accepted, 95) if accepted else None,
        "accepted_p99_ms": percentile(accepted, 99) if accepted else None,
        "rejected_p50_ms": percentile(rejected, 50) if rejected else None,
        "rejected_p95_ms": percentile(rejected, 95) if rejected else None,
        "rejected_p99_ms": percentile(rejected, 99) if rejected else None,
        "rejected_429_p99_ms": percentile(over, 99) if over else None,
        "rejected_409_p99_ms": percentile(sold, 99) if sold else None,
        "accepted_service_p99_ms": (percentile(accepted_service, 99) if accepted_service else None),
        "rejected_service_p99_ms": (percentile(rejected_service, 99) if rejected_service else None),
    }


# --- the database -------------------------------------------------------------------------


@contextmanager
def scratch_database(server: str) -> Iterator[str]:
    """Create an empty database on `server`, migrate it to head, yield its URL, drop it."""
    name = f"govhub_surge_{uuid.uuid4().hex[:8]}"
    admin = make_url(server).set(database="postgres")

    engine = make_engine(admin.render_as_string(hide_password=False))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    env = {**os.environ, **SERVER_ENV, "GOVHUB_DATABASE_URL": url}
    command = [str(ROOT / ".venv/bin/govhub"), "db", "upgrade"]
    subprocess.run(command, env=env, check=True)  # noqa: S603 - fixed arguments
    try:
        yield url
    finally:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _sign(args: tuple[str, list[str]]) -> list[str]:
    """Sign API tokens for residents (in a worker process)."""
    url, residents = args

    engine = make_engine(url)
    with Session(engine) as session:
        out = [
            issue_jwt(session, {"sub": r, "aud": API_AUDIENCE, "scope": ""}, ttl_seconds=7200)
            for r in residents
        ]
    engine.dispose()
    return out


def make_signing_key(url: str) -> None:
    """Make the token signing key, once, before any resident's token is signed."""
    engine = make_engine(url)
    with Session(engine) as session:
        rotate_keys(session)
        session.commit()
    engine.dispose()


def make_residents(url: str, count: int) -> list[tuple[str, str]]:
    """Insert `count` citizen accounts and sign a token for each: (account id, token)."""

    ids = [uuid.uuid4() for _ in range(count)]
    engine = make_engine(url)
    with Session(engine) as session:
        for start in range(0, count, 5000):
            session.execute(
                insert(Account),
                [
                    {
                        "id": i,
                        "kind": AccountKind.CITIZEN,
                        "username": f"r{i.hex}",
                        "display_name": "resident",
                        "password_hash": "!",
                    }
                    for i in ids[start : start + 5000]
                ],
            )
            session.execute(
                insert(AccountRole),
                [{"account_id": i, "role": Role.CITIZEN} for i in ids[start : start + 5000]],
            )
        session.commit()
    engine.dispose()
    names = [str(i) for i in ids]
    chunks = [(url, names[i : i + 2000]) for i in range(0, count, 2000)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        tokens = [t for chunk in pool.map(_sign, chunks) for t in chunk]
    return list(zip(names, tokens, strict=True))


def ensure_residents(url: str, residents: list[tuple[str, str]], needed: int) -> None:
    """Add residents until there are `needed` (one per arrival of the coming phase)."""
    if needed > len(residents):
        started = time.monotonic()
        residents.extend(make_residents(url, needed - len(residents)))
        print(f"  {len(residents)} residents with tokens (+{time.monotonic() - started:.0f} s)")


def arrivals(schedule: list[tuple[float, float]]) -> int:
    """The number of requests a (seconds, rate) schedule sends."""
    return sum(int(seconds * rate) for seconds, rate in schedule)


def make_campaign(url: str, quota: int, shards: int) -> tuple[str, str]:
    """Publish a first-come-first-served campaign with one slot of `quota`: (id, slot id)."""

    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        for code in ("330000", "330100", "330102"):
            if session.get(Division, code) is None:
                level = division_level(code) or DivisionLevel.COUNTY
                parent = division_parent_code(code)
                session.add(Division(code=code, name=code, level=level, parent_code=parent))
                session.flush()
        department = session.scalar(select(Department).where(Department.code == "SURGE"))
        if department is None:
            department = Department(
                code="SURGE", name="surge", type=DepartmentType.OTHER, division_code="330100"
            )
            session.add(department)
            session.flush()
        manager = Principal(
            "surge",
            "surge",
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
                title="masks",
                item="masks",
                opens_at=now - timedelta(minutes=1),
                closes_at=now + timedelta(hours=2),
                points=[{"name": "p", "division_code": "330102"}],
                windows=[{"starts_at": now, "ends_at": now + timedelta(days=1)}],
                quota_per_slot=quota,
                shards=shards,
            ),
        )
        session.commit()
        result = str(campaign.id), str(campaign.slots[0].id)
    engine.dispose()
    return result


def check(url: str, campaign: str, quota: int, phase: Phase) -> dict[str, int]:
    """Compare the database with what clients saw: oversold, duplicates, lost, phantoms."""

    engine = make_engine(url)
    cid = uuid.UUID(campaign)
    with Session(engine) as session:
        rows = session.execute(
            select(Reservation.id, Reservation.resident_id).where(Reservation.campaign_id == cid)
        ).all()
        duplicates = session.scalar(
            select(func.count()).select_from(
                select(Reservation.resident_id)
                .where(Reservation.campaign_id == cid)
                .group_by(Reservation.resident_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
    engine.dispose()
    stored = {str(r.id) for r in rows}
    return {
        "booked": len(rows),
        "oversold": max(0, len(rows) - quota),
        "duplicates": int(duplicates or 0),
        "lost": sum(1 for rid in phase.acked.values() if rid not in stored),
        "phantoms": sum(1 for r in rows if str(r.resident_id) in phase.refused),
        "gave_up": len(phase.gave_up),
        "gave_up_holding": sum(1 for r in rows if str(r.resident_id) in phase.gave_up),
    }


# --- the server ---------------------------------------------------------------------------


class Server:
    """uvicorn with `workers` processes on a free port, as production runs it."""

    def __init__(self, url: str, workers: int, app: str = "govhub.api:create_app") -> None:
        self.port = random.randint(20000, 40000)
        env = {**os.environ, **SERVER_ENV, "GOVHUB_DATABASE_URL": url}
        env["PYTHONPATH"] = str(ROOT)
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                str(ROOT / ".venv/bin/uvicorn"),
                app,
                "--factory",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--no-access-log",
                "--log-level",
                "warning",
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--backlog",
                "4096",
            ],
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                subprocess.run(  # noqa: S603
                    ["/usr/bin/curl", "-sf", f"http://127.0.0.1:{self.port}/healthz"],
                    check=True,
                    capture_output=True,
                )
                return
            except subprocess.CalledProcessError:
                time.sleep(0.3)
        raise RuntimeError("the server did not start")

    def pids(self) -> list[str]:
        """The server process and its workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [str(self.process.pid)] + (children.read_text().split() if children.exists() else [])

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server and its workers have used so far."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        """Resident memory of the server and its workers, MiB."""
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024

    def stop(self) -> None:
        """Stop the server and its workers (killed when they do not stop within 30 s)."""
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


# --- load ---------------------------------------------------------------------------------


async def ceiling_hello(port: int, seconds: float, connections: int = 64) -> float:
    """Requests/s of `/healthz` from `connections` closed-loop clients."""
    pool = Pool(port, connections)
    count = 0
    end = time.monotonic() + seconds

    async def loop() -> None:
        nonlocal count
        while time.monotonic() < end:
            status, _, _, _ = await pool.request("GET", "/healthz", headers={})
            count += status == 200

    await asyncio.gather(*(loop() for _ in range(connections)))
    pool.close()
    return count / seconds


async def watch(phase: Phase, memory: Server | None) -> None:
    """Every half second: the server's memory and the load generator's CPU share."""
    cpu, wall = time.process_time(), time.monotonic()
    while True:
        if memory is not None:
            phase.peak_rss_mib = max(phase.peak_rss_mib, memory.rss_mib())
        await asyncio.sleep(0.5)
        busy = (time.process_time() - cpu) / (time.monotonic() - wall)
        phase.generator_busy = max(phase.generator_busy, busy)
        cpu, wall = time.process_time(), time.monotonic()


async def drive(
    port: int,
    path: str,
    residents: list[tuple[str, str]],
    schedule: list[tuple[float, float]],
    slot: str,
    *,
    connections: int,
    memory: Server | None = None,
) -> tuple[Phase, float]:
    """Send each resident's booking at a fixed rate per (seconds, rate) step; retry as clients do.

    Returns the phase and the peak server memory (MiB) seen while it ran.
    """
    phase = Phase()
    pool = Pool(port, connections, phase.client_errors)
    body = json.dumps({"slot_id": slot}).encode()
    start = time.monotonic()
    deadline = start + sum(seconds for seconds, _ in schedule) + DRAIN_SECONDS
    tasks: list[asyncio.Task[None]] = []

    async def resident(account: str, token: str, due: float) -> None:
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"{path.split('/')[-2]}:{account}",
        }
        for _ in range(30):
            status, answer_headers, answer, sent = await pool.request(
                "POST", path, headers=headers, body=body, deadline=deadline
            )
            now = time.monotonic()
            if status == GAVE_UP:
                phase.gave_up.add(account)
                return
            phase.samples.append(Sample(due - start, sent - start, now - start, status))
            if 200 <= status < 300:
                phase.acked[account] = json.loads(answer)["id"]
                return
            if status == 409:
                sold_out = b"sold" in answer.lower() or b"taken" in answer.lower()
                if sold_out and phase.sold_out_at is None:
                    phase.sold_out_at = now - start
                phase.refused.add(account)
                return
            if status not in (0, 429) and status < 500:
                phase.refused.add(account)
                return
            wait = float(answer_headers.get("retry-after", "1")) if status == 429 else 0.5
            if now + wait > deadline:
                phase.gave_up.add(account)
                return
            await asyncio.sleep(wait * (0.5 + random.random()))
            due = time.monotonic()
        phase.gave_up.add(account)

    watcher = asyncio.create_task(watch(phase, memory))
    index, offset = 0, 0.0
    for seconds, rate in schedule:
        count = int(seconds * rate)
        for i in range(count):
            due = start + offset + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            account, token = residents[index]  # one resident per arrival, never reused
            index += 1
            tasks.append(asyncio.create_task(resident(account, token, due)))
        offset += seconds
    await asyncio.gather(*tasks)
    watcher.cancel()
    pool.close()
    return phase, phase.peak_rss_mib


def recovery_seconds(phase: Phase, surge_end: float) -> float | None:
    """Seconds after the surge until a whole second of requests has p99 <= budget, no errors."""
    by_second: dict[int, list[Sample]] = {}
    for s in phase.samples:
        if s.due >= surge_end:
            by_second.setdefault(int(s.due - surge_end), []).append(s)
    for second in sorted(by_second):
        window = by_second[second]
        latencies = [s.latency_ms for s in window]
        bad = any(s.status >= 500 or s.status == 0 for s in window)
        if not bad and percentile(latencies, 99) <= P99_BUDGET_MS:
            return float(second)
    return None


# --- pgbench ------------------------------------------------------------------------------


PGBENCH_SCRIPT = """\\set s random(0, {last})
BEGIN;
INSERT INTO reservation_claims (period_key, resident_id, campaign_id, created_at)
  SELECT 'pg-' || gen_random_uuid(), id, '{campaign}', now() FROM accounts LIMIT 1
  ON CONFLICT DO NOTHING;
UPDATE reservation_quota_shards SET remaining = remaining - 1
  WHERE slot_id = '{slot}' AND shard = {shard} AND remaining > 0 RETURNING shard;
INSERT INTO reservations (id, campaign_id, slot_id, resident_id, period_key, shard, created_at)
  SELECT gen_random_uuid(), '{campaign}', '{slot}', id, 'pg-' || gen_random_uuid(), 0, now()
  FROM accounts LIMIT 1;
COMMIT;
"""


def pgbench(url: str, campaign: str, slot: str, shards: int, seconds: int) -> float:
    """Durable bookings/s of GovHub's booking statements run directly by pgbench."""
    parts = make_url(url)
    script = PGBENCH_SCRIPT.format(
        campaign=campaign, slot=slot, last=shards - 1, shard=":s" if shards > 1 else "0"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [
            "/usr/bin/pgbench",
            "-n",
            "-c",
            "32",
            "-j",
            "2",
            "-T",
            str(seconds),
            "-M",
            "prepared",
            "-f",
            handle.name,
            "-h",
            parts.host or "127.0.0.1",
            "-p",
            str(parts.port or 5432),
            "-U",
            parts.username or "postgres",
            parts.database or "",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(handle.name)
    for line in result.stdout.splitlines():
        if line.startswith("tps ="):
            return float(line.split()[2])
    raise RuntimeError(result.stdout + result.stderr)


# --- the run ------------------------------------------------------------------------------


def capacity(
    url: str,
    server: Server,
    residents: list[tuple[str, str]],
    args: Any,
    steps: list[dict[str, Any]],
) -> float:
    """Raise the rate step by step, appending each step's figures (with the server's CPU
    time per booking) to `steps`; return the last rate that met the budget."""
    campaign, slot = make_campaign(url, 10**7, args.shards)
    path = f"/api/v1/reservations/campaigns/{campaign}/bookings"
    warm = [(3.0, args.start_rate)]  # every worker opens its connections and caches first
    ensure_residents(url, residents, arrivals(warm))
    uvloop.run(drive(server.port, path, residents, warm, slot, connections=args.connections))
    rate, best = args.start_rate, 0.0
    while rate <= args.max_rate:
        campaign, slot = make_campaign(url, 10**7, args.shards)
        ensure_residents(url, residents, arrivals([(args.step_seconds, rate)]))
        cpu_before = server.cpu_seconds()
        phase, _ = uvloop.run(
            drive(
                server.port,
                f"/api/v1/reservations/campaigns/{campaign}/bookings",
                residents,
                [(args.step_seconds, rate)],
                slot,
                connections=args.connections,
            )
        )
        figures = summarize(phase.samples)
        cpu_ms = 1000 * (server.cpu_seconds() - cpu_before) / max(1, figures["accepted"])
        steps.append({"rate": rate, "server_cpu_ms_per_booking": round(cpu_ms, 2), **figures})
        ok = (
            figures["errors"] == 0
            and figures["accepted"] == figures["requests"]
            and (figures["p99_ms"] or 0) <= P99_BUDGET_MS
        )
        print(
            f"  capacity step {rate:>7.0f}/s: p50 {figures['accepted_p50_ms'] or 0:.0f} ms,"
            f" p99 {figures['p99_ms']:.0f} ms, server CPU {cpu_ms:.2f} ms/booking,"
            f" statuses {figures['statuses']}, ok={ok}"
        )
        if not ok:
            break
        best = rate
        rate *= 1.25
    return best


def surge(
    url: str,
    server: Server,
    residents: list[tuple[str, str]],
    args: Any,
    rate: float,
    normal: float,
    *,
    path: str = "/api/v1/reservations/campaigns/{campaign}/bookings",
    shards: int | None = None,
) -> dict[str, Any]:
    """One campaign of quota Q: `rate` for the surge, then normal load; figures and checks."""
    campaign, slot = make_campaign(url, args.quota, shards or args.shards)
    schedule = [(args.surge_seconds, rate), (args.after_seconds, normal)]
    ensure_residents(url, residents, arrivals(schedule))
    phase, peak = uvloop.run(
        drive(
            server.port,
            path.format(campaign=campaign),
            residents,
            schedule,
            slot,
            connections=args.connections,
            memory=server,
        )
    )
    in_surge = [s for s in phase.samples if s.due < args.surge_seconds]
    booked_in_surge = sum(1 for s in in_surge if 200 <= s.status < 300)
    selling = phase.sold_out_at or args.surge_seconds
    figures = summarize(in_surge)
    return {
        "rate": rate,
        **figures,
        "goodput": booked_in_surge / min(selling, args.surge_seconds),
        "error_rate": figures["errors"] / max(1, figures["requests"]),
        "sold_out_after_s": phase.sold_out_at,
        "recovery_s": recovery_seconds(phase, args.surge_seconds),
        "peak_server_rss_mib": round(peak, 1),
        "client_errors": phase.client_errors,
        "generator_peak_cpu_share": round(phase.generator_busy, 2),
        **check(url, campaign, args.quota, phase),
    }


def parse_args() -> argparse.Namespace:
    """The benchmark's parameters."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quota", type=int, default=10_000)
    parser.add_argument("--shards", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    # the residents made at the start; each phase adds more until it has one per arrival
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--surge-seconds", type=float, default=60)
    parser.add_argument("--after-seconds", type=float, default=20)
    parser.add_argument("--step-seconds", type=float, default=8)
    parser.add_argument("--start-rate", type=float, default=50)
    parser.add_argument("--max-rate", type=float, default=20_000)
    parser.add_argument("--connections", type=int, default=1024)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--capacity", type=float, help="skip the search and use this C")
    parser.add_argument(
        "--multiples", default="5,10", help="the surges to run, as multiples of C (default 5,10)"
    )
    parser.add_argument("--skip-naive", action="store_true", help="leave out the naive peer")
    return parser.parse_args()


def main() -> None:
    """Run the whole benchmark and print its tables."""
    args = parse_args()
    server_url = os.environ.get(
        "GOVHUB_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    results: dict[str, Any] = {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg(),
        "args": vars(args),
    }
    with scratch_database(server_url) as url:
        started = time.monotonic()
        make_signing_key(url)
        residents = make_residents(url, args.residents)
        print(f"{len(residents)} residents with tokens in {time.monotonic() - started:.0f} s")
        hot_campaign, hot_slot = make_campaign(url, 10**7, 1)
        results["pgbench_hot_row"] = pgbench(url, hot_campaign, hot_slot, 1, args.pgbench_seconds)
        wide_campaign, wide_slot = make_campaign(url, 10**7, args.shards)
        results["pgbench_sharded"] = pgbench(
            url, wide_campaign, wide_slot, args.shards, args.pgbench_seconds
        )
        server = Server(url, args.workers)
        try:
            results["hello_rps"] = uvloop.run(ceiling_hello(server.port, 5))
            steps: list[dict[str, Any]] = []
            results["capacity_steps"] = steps
            results["capacity"] = args.capacity or capacity(url, server, residents, args, steps)
            c = results["capacity"]
            if not c:
                raise SystemExit("no rate met the budget: lower --start-rate")
            save(results)
            for multiple in (int(m) for m in args.multiples.split(",") if m.strip()):
                results[f"surge_{multiple}x"] = surge(
                    url, server, residents, args, multiple * c, c / 2
                )
                save(results)
        finally:
            server.stop()
        if not args.skip_naive:
            naive = Server(url, args.workers, app="bench.surge_naive:create_app")
            try:
                results["naive_5x"] = surge(
                    url,
                    naive,
                    residents,
                    args,
                    5 * results["capacity"],
                    results["capacity"] / 2,
                    path="/bench/naive/{campaign}/bookings",
                    shards=1,
                )
                save(results)
            finally:
                naive.stop()
    results["load_after"] = os.getloadavg()
    save(results)
    report(results)


def save(results: dict[str, Any]) -> None:
    """Write what has been measured so far: a run cut short keeps its finished phases."""
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))


def report(results: dict[str, Any]) -> None:
    """Print the ceilings and the surge table."""
    c = results["capacity"]
    print(f"\nload average before {results['load_before']}, after {results['load_after']}")
    print(f"hello ceiling: {results['hello_rps']:.0f} req/s")
    print(f"pgbench: hot row {results['pgbench_hot_row']:.0f}/s, ", end="")
    print(f"sharded {results['pgbench_sharded']:.0f}/s")
    print(f"capacity C: {c:.0f} bookings/s (p99 <= {P99_BUDGET_MS:.0f} ms, no errors)\n")
    columns = [
        ("rate", "rate/s"),
        ("goodput", "goodput/s"),
        ("accepted_p99_ms", "acc p99"),
        ("rejected_p99_ms", "rej p99"),
        ("error_rate", "5xx+timeout"),
        ("booked", "booked"),
        ("oversold", "oversold"),
        ("duplicates", "dups"),
        ("lost", "lost"),
        ("phantoms", "phantoms"),
        ("sold_out_after_s", "sold out s"),
        ("recovery_s", "recovery s"),
        ("gave_up", "gave up"),
        ("gave_up_holding", "gave up, held"),
        ("peak_server_rss_mib", "RSS MiB"),
    ]
    print("| run | " + " | ".join(label for _, label in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name in [n for n in results if n.startswith(("surge_", "naive_"))]:
        row = results[name]
        cells = []
        for key, _ in columns:
            value = row.get(key)
            cells.append(
                "—" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)
            )
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
