"""Benchmark the exchange gateway on a 10^6-row resource, against DuckDB run directly.

    .venv/bin/python bench/exchange.py [--rows 1000000] [--requests 300] [--seconds 20]
                                       [--against REV]

Builds a scratch platform (SQLite in a temporary directory): a resource of a city's market
bureau with an enterprise register of `--rows` rows published as Parquet, and a consuming
system of another city holding a grant to it (six fields, rows of its own city only, the legal
representative's name and ID number masked). Then measures, with the server in a child process
(uvicorn, one worker) and the clients in this one:

- latency p50/p99 of a filtered, sorted page of 100 rows over HTTP, against the same SQL run
  directly in DuckDB on the same file (the grant's condition included): the overhead ratio and
  the milliseconds the gateway adds (HTTP, token, grant checks, masking, ledger write, commit);
- bulk export throughput as Parquet with masking applied, in rows/s, measured at the client;
- sustained requests/s of that query from 50 concurrent clients (threads).

With `--against REV` (a git revision), the gateway of that revision is served too, from a
copy of the same platform, and its calls alternate with the other two: a before/after
comparison under one and the same machine load.

Prints a table and writes bench/results/exchange.json.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "exchange.json"
FIELDS = ["tyshxydm", "qymc", "fddbr", "fddbr_sfzh", "zczb", "clrq"]
QUERY = {
    "where": [{"field": "zczb", "op": "ge", "value": 990_000}],
    "order_by": [{"field": "clrq", "descending": True}],
    "limit": 100,
}


def environment(scratch: Path) -> dict[str, str]:
    """Settings for the scratch platform (shared by this process and the server)."""
    return {
        "GOVHUB_VAR_DIR": str(scratch),
        "GOVHUB_DATABASE_URL": f"sqlite:///{scratch / 'govhub.db'}",
        "GOVHUB_SECRET_KEY": "bench-secret-key-not-for-production",
        "GOVHUB_EXCHANGE_REQUESTS_PER_MINUTE": "100000000",
        "GOVHUB_EXCHANGE_EXPORTS_PER_HOUR": "1000",
        "GOVHUB_LOG_LEVEL": "warning",
        "GOVHUB_LEDGER_INTERVAL_SECONDS": "1",
    }


def register(path: Path, rows: int, seed: int = 2026) -> None:
    """Write an enterprise register spread over three counties of each of two cities."""
    rng = random.Random(seed)
    counties = ["330203", "330205", "330212", "330106", "330108", "330110"]
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜敏静丽强磊军洋"
    county = [rng.choice(counties) for _ in range(rows)]
    epoch = date(1950, 1, 1)
    births = [epoch + timedelta(days=rng.randrange(365 * 50)) for _ in range(rows)]
    founded = [date(1990, 1, 1) + timedelta(days=rng.randrange(12_000)) for _ in range(rows)]
    table = pa.table(
        {
            "tyshxydm": [f"91{c}MA{i:08d}" for i, c in enumerate(county)],
            "qymc": [f"企业{i}有限公司" for i in range(rows)],
            "fddbr": [rng.choice(surnames) + rng.choice(given) for _ in range(rows)],
            "fddbr_sfzh": [
                f"{c}{b:%Y%m%d}{i % 1000:03d}X"
                for i, (c, b) in enumerate(zip(county, births, strict=True))
            ],
            "szqh": [f"{c}001" for c in county],
            "zczb": pa.array([rng.randrange(1, 1_000_000) for _ in range(rows)], pa.int64()),
            "clrq": pa.array(founded, pa.date32()),
        }
    )
    pq.write_table(table, path, compression="zstd", row_group_size=131_072)


def build(scratch: Path, rows: int) -> dict[str, Any]:
    """Create the platform, publish the register, grant it; return ids, token and file path."""
    from govhub.core import migrations  # noqa: PLC0415 - settings come from the environment
    from govhub.core.db import session_scope  # noqa: PLC0415
    from govhub.data.catalog import service as catalog  # noqa: PLC0415
    from govhub.data.catalog.models import DatasetVersion  # noqa: PLC0415
    from govhub.data.catalog.schemas import ResourceCreate  # noqa: PLC0415
    from govhub.data.ingest import service as ingest  # noqa: PLC0415
    from govhub.data.sharing import service as sharing  # noqa: PLC0415
    from govhub.data.sharing.schemas import ShareRequestCreate  # noqa: PLC0415
    from govhub.identity import authn  # noqa: PLC0415
    from govhub.identity import service as identity  # noqa: PLC0415
    from govhub.identity.codes import DivisionLevel  # noqa: PLC0415
    from govhub.identity.models import Department, DepartmentType, Division  # noqa: PLC0415
    from govhub.identity.permissions import Role  # noqa: PLC0415
    from govhub.identity.principal import Principal  # noqa: PLC0415
    from govhub.identity.schemas import ClientCreate  # noqa: PLC0415

    migrations.upgrade("head")
    source = scratch / "register.parquet"
    register(source, rows)
    with session_scope() as session:
        for code, name in (("330000", "浙江省"), ("330100", "杭州市"), ("330200", "宁波市")):
            level = DivisionLevel.PROVINCE if code.endswith("0000") else DivisionLevel.CITY
            parent = None if code.endswith("0000") else "330000"
            session.add(Division(code=code, name=name, level=level, parent_code=parent))
        session.flush()
        owner = Department(code="HZ-SCJG", name="杭州市市场监督管理局", division_code="330100",
                           type=DepartmentType.MARKET_REGULATION)  # fmt: skip
        consumer = Department(code="NB-SWJ", name="宁波市税务局", division_code="330200",
                              type=DepartmentType.TAXATION)  # fmt: skip
        session.add_all([owner, consumer])
        session.flush()
        everything = frozenset({Role.PLATFORM_ADMIN})
        admin = Principal(username="bench", display_name="bench", roles=everything,
                          division_code="330000")  # fmt: skip
        body = {
            "title": "企业登记信息", "update_frequency": "daily", "sharing_type": "unconditional",
            "opening_type": "not_open", "security_class": "general", "sensitivity": "internal",
            "department_id": str(owner.id), "division_codes": ["330100"],
            "fields": [{"name": n, "type": "string"} for n in ("tyshxydm", "qymc", "szqh")]
            + [{"name": "fddbr", "type": "string", "element_code": "chinese_name"},
               {"name": "fddbr_sfzh", "type": "string", "element_code": "id_number"},
               {"name": "zczb", "type": "integer"}, {"name": "clrq", "type": "date"}],
        }  # fmt: skip
        resource = catalog.create_resource(
            session, principal=admin, data=ResourceCreate.model_validate(body)
        )
        owner_admin = Principal(username="bench-owner", display_name="bench",
                                roles=frozenset({Role.PLATFORM_ADMIN}), department_id=owner.id,
                                division_code="330100")  # fmt: skip
        ingest.ingest(session, principal=owner_admin, resource_id=resource.id, source=source,
                      filename=source.name)  # fmt: skip
        system, _ = identity.create_client(
            session, principal=admin, data=ClientCreate(name="税务核验", department_id=consumer.id)
        )
        requester = Principal(username="bench-consumer", display_name="bench",
                              roles=frozenset({Role.DATA_OWNER}), department_id=consumer.id,
                              division_code="330200")  # fmt: skip
        request = ShareRequestCreate.model_validate(
            {
                "resource_id": str(resource.id), "client_id": system.client_id, "fields": FIELDS,
                "row_filter": [{"field": "szqh", "op": "within_division", "value": "330200"}],
                "purpose": "纳税人登记信息核验", "legal_basis": "《税收征收管理法》第十五条",
                "duration_days": 30,
            }
        )  # fmt: skip
        sharing.create_request(session, principal=requester, data=request)
        token, _ = authn.issue_access_token(session, client=system)
        session.flush()
        dataset = session.query(DatasetVersion).filter_by(resource_id=resource.id).one()
        from govhub.privacy import vault  # noqa: PLC0415

        parquet = vault.local_copy(dataset.storage_key, scratch)  # plain, for DuckDB directly
        return {"resource_id": str(resource.id), "token": token, "parquet": str(parquet),
                "storage_key": dataset.storage_key}  # fmt: skip


def direct_sql() -> str:
    """The gateway's SQL for QUERY, written by hand: the grant's city, the filter, the order."""
    return (
        'SELECT "tyshxydm", "qymc", "fddbr", "fddbr_sfzh", "zczb", "clrq" '
        "FROM read_parquet($path, file_row_number = true) "
        'WHERE starts_with(CAST("szqh" AS VARCHAR), \'3302\') AND "zczb" >= 990000 '
        'ORDER BY "clrq" DESC NULLS LAST, file_row_number LIMIT 101'
    )


def percentiles(samples: list[float]) -> dict[str, float]:
    """Return p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
    }


def measure_pages(
    bases: dict[str, str], built: dict[str, Any], count: int
) -> tuple[dict[str, float], dict[str, dict[str, dict[str, float]]], int]:
    """Time the query in DuckDB directly and through each gateway in `bases`, alternately.

    Directly: one DuckDB connection in this process with the gateway's engine setting (Parquet
    footers kept once read), the statement executed once, results as Arrow. Through a gateway:
    over HTTP on one keep-alive connection of the standard library's `http.client`, the
    thinnest client at hand, so that the time measured is the gateway's and not a client
    library's (httpx spends about 1 ms more per call on this page). Alternating gives each
    the same share of whatever else the machine is doing. A gateway's `Server-Timing` says
    how long its own DuckDB read took, so each call's overhead (latency minus that read) is
    measured too: on a busy machine it is steadier than the difference of two noisy medians.
    """
    import duckdb  # noqa: PLC0415

    # As the gateway does (`govhub.data.exchange.service._read_page`): for a page, the extra
    # copy DuckDB warns of costs less than binding the statement twice.
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
    con = duckdb.connect()
    con.execute("SET GLOBAL parquet_metadata_cache = true")
    sql = direct_sql()
    path = f"/api/v1/exchange/resources/{built['resource_id']}/query"
    headers = {"Authorization": f"Bearer {built['token']}", "Content-Type": "application/json"}
    body = json.dumps(QUERY).encode()
    connections = {name: _connection(base) for name, base in bases.items()}
    direct: list[float] = []
    latency: dict[str, list[float]] = {name: [] for name in bases}
    overhead: dict[str, list[float]] = {name: [] for name in bases}
    rows = 0
    try:
        for _ in range(count):
            start = time.perf_counter()
            con.execute(sql, {"path": built["parquet"]}).to_arrow_table()
            direct.append(time.perf_counter() - start)
            for name, connection in connections.items():
                start = time.perf_counter()
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                content = response.read()
                latency[name].append(time.perf_counter() - start)
                if response.status != 200:
                    raise SystemExit(f"{name}: HTTP {response.status}: {content[:300]!r}")
                rows = len(json.loads(content)["rows"])
                timing = response.getheader("server-timing", "")
                engine = float(timing.partition("dur=")[2]) / 1000
                overhead[name].append(latency[name][-1] - engine)
    finally:
        for connection in connections.values():
            connection.close()
    gateways = {
        name: {"latency": percentiles(latency[name]), "overhead": percentiles(overhead[name])}
        for name in bases
    }
    return percentiles(direct), gateways, rows


def _connection(base: str) -> http.client.HTTPConnection:
    host, _, port = base.removeprefix("http://").partition(":")
    return http.client.HTTPConnection(host, int(port), timeout=60)


def measure_export(base: str, built: dict[str, Any]) -> dict[str, Any]:
    """Download the whole grant as masked Parquet; rows/s at the client."""
    url = f"{base}/api/v1/exchange/resources/{built['resource_id']}/export"
    headers = {"Authorization": f"Bearer {built['token']}"}
    with httpx.Client(timeout=600) as client:
        start = time.perf_counter()
        response = client.post(url, json={"format": "parquet"}, headers=headers)
        seconds = time.perf_counter() - start
    response.raise_for_status()
    rows = int(response.headers["x-row-count"])
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_second": round(rows / seconds),
            "bytes": len(response.content)}  # fmt: skip


def measure_concurrent(
    base: str, built: dict[str, Any], clients: int, seconds: float
) -> dict[str, Any]:
    """Run `clients` threads issuing the query for `seconds`; return requests/s and errors."""
    url = f"{base}/api/v1/exchange/resources/{built['resource_id']}/query"
    headers = {"Authorization": f"Bearer {built['token']}"}
    done: list[int] = []
    errors: list[int] = []
    stop = time.perf_counter() + seconds

    kinds: dict[str, int] = {}
    latencies: list[float] = []

    def worker() -> None:
        ok = bad = 0
        with httpx.Client(timeout=120) as client:
            while time.perf_counter() < stop:
                began = time.perf_counter()
                try:
                    response = client.post(url, json=QUERY, headers=headers)
                except httpx.TransportError as exc:  # a reset or a timeout is an error too
                    kind = type(exc).__name__
                else:
                    if response.status_code == 200:
                        ok += 1
                        latencies.append(time.perf_counter() - began)
                        continue
                    kind = f"HTTP {response.status_code}"
                bad += 1
                kinds[kind] = kinds.get(kind, 0) + 1
        done.append(ok)
        errors.append(bad)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    rate = round(sum(done) / elapsed, 1)
    return {"clients": clients, "seconds": round(elapsed, 1), "requests": sum(done),
            "errors": sum(errors), "error_kinds": kinds, "requests_per_second": rate,
            "latency": percentiles(latencies) if latencies else {}}  # fmt: skip


def free_port() -> int:
    """Return a free TCP port on localhost."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Start the platform with uvicorn in a child process and wait until it answers."""
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "uvicorn", "govhub.api:create_app", "--factory",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env={**os.environ, **env},
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def peer(scratch: Path, revision: str) -> dict[str, str]:
    """Copy the platform for the gateway of `revision` and return that server's settings.

    The revision's `src` is unpacked beside the copy and put first on the server's path.
    """
    copy = scratch.with_name(f"{scratch.name}-peer")
    shutil.copytree(scratch, copy, ignore=shutil.ignore_patterns("register.parquet"))
    archive = subprocess.run(  # noqa: S603 - fixed arguments
        ["git", "archive", "--format=tar", revision, "src"],  # noqa: S607 - git from PATH
        cwd=ROOT, check=True, capture_output=True,
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(copy / "peer", filter="data")
    return {
        **environment(copy),
        "PYTHONPATH": str(copy / "peer" / "src"),
    }


def _row(label: str, stats: dict[str, float]) -> tuple[str, str]:
    return label, f"{stats['p50_ms']} / {stats['p99_ms']}"


def main() -> None:
    """Build, serve, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--against", metavar="REV", help="also serve this git revision's gateway")
    parser.add_argument("--pages-only", action="store_true", help="skip export and concurrency")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="govhub-bench-exchange-"))
    env = environment(scratch)
    os.environ.update(env)
    built = build(scratch, args.rows)
    servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    try:
        if args.against:
            port = free_port()
            servers[args.against] = (
                serve(peer(scratch, args.against), port),
                f"http://127.0.0.1:{port}",
            )
        port = free_port()
        servers["gateway"] = (serve(env, port), f"http://127.0.0.1:{port}")
        bases = {name: base for name, (_, base) in servers.items()}
        direct, gateways, rows = measure_pages(bases, built, args.requests)
        load = round(os.getloadavg()[0], 1)
        if not args.pages_only:
            export = measure_export(bases["gateway"], built)
            concurrent = measure_concurrent(bases["gateway"], built, args.clients, args.seconds)
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=30)
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "rows": args.rows,
        "page_rows": rows,
        "load_average_1m": load,
        "direct_duckdb": direct,
    }
    lines = [_row("direct DuckDB page p50 / p99 (ms)", direct)]
    for name, measured in gateways.items():
        key = "" if name == "gateway" else f" ({name})"
        latency, overhead = measured["latency"], measured["overhead"]
        ratio = round(latency["p50_ms"] / direct["p50_ms"], 2)
        added = round(latency["p50_ms"] - direct["p50_ms"], 2)
        report[name if name == "gateway" else f"gateway_{name}"] = {
            **latency,
            "overhead_ratio_p50": ratio,
            "added_ms_p50": added,
            "overhead_per_call": overhead,
        }
        lines += [
            _row(f"gateway{key} page p50 / p99 (ms)", latency),
            (f"overhead ratio at p50{key}", str(ratio)),
            (f"added at p50{key} (ms)", str(added)),
            _row(f"overhead per call{key} p50 / p99 (ms)", overhead),
        ]
    if not args.pages_only:
        report["export_parquet_masked"] = export
        report["concurrent"] = concurrent
        lines += [
            ("export Parquet, masked (rows/s)", str(export["rows_per_second"])),
            (f"{args.clients} clients (requests/s, errors)",
             f"{concurrent['requests_per_second']}, {concurrent['errors']}"),
        ]  # fmt: skip
    print(f"{'measure':<48} {'value':>16}")
    for label, value in lines:
        print(f"{label:<48} {value:>16}")
    print(f"load average (1 min) {load}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
