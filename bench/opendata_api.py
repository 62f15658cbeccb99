"""Benchmark the open data API: `datastore_search` on a 10^6-row table and `package_search`
on a catalog of 10,000 public datasets.

    .venv/bin/python bench/opendata_api.py [--rows 1000000] [--datasets 10000] [--requests 200]

Builds a scratch platform (SQLite in a temporary directory): 20 departments, `--datasets`
open resources with themes, keywords and search terms, each with a published dataset version;
the first one's version is an enterprise register of `--rows` rows in Parquet. Then calls the
Action API in process through the whole ASGI stack (middleware, routing, key and rate checks,
envelope, usage counting), one request at a time, and reports latency p50/p99:

- `datastore_search` with a filter on the county and `limit=100` (the total included), against
  the same two statements (page and count) run directly in DuckDB on the same file: the ratio
  is what the API adds;
- `package_search` over the catalog: free text, `fq` on an organization, a theme and a
  `metadata_modified` range, sorts, paging, and four facets.

Prints a table and writes bench/results/opendata_api.json. Target: p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import insert

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "opendata_api.json"
COUNTIES = ["330203", "330205", "330212", "330106", "330108", "330110"]
WORDS = [
    "企业",
    "登记",
    "运输",
    "医疗",
    "学校",
    "环境",
    "空气",
    "水质",
    "税收",
    "人口",
    "信用",
    "道路",
]
TARGET_MS = 50.0


def environment(scratch: Path) -> dict[str, str]:
    """Settings of the scratch platform."""
    return {
        "GOVHUB_VAR_DIR": str(scratch),
        "GOVHUB_DATABASE_URL": f"sqlite:///{scratch / 'govhub.db'}",
        "GOVHUB_SECRET_KEY": "bench-secret-key-not-for-production",
        "GOVHUB_OPENDATA_ANONYMOUS_PER_MINUTE": "100000000",
        "GOVHUB_LOG_LEVEL": "warning",
    }


def register(path: Path, rows: int, seed: int = 2026) -> None:
    """Write an enterprise register of `rows` rows over six counties."""
    rng = random.Random(seed)
    county = [rng.choice(COUNTIES) for _ in range(rows)]
    founded = [date(1990, 1, 1) + timedelta(days=rng.randrange(12_000)) for _ in range(rows)]
    table = pa.table(
        {
            "tyshxydm": [f"91{c}MA{i:08d}" for i, c in enumerate(county)],
            "qymc": [f"企业{i}有限公司" for i in range(rows)],
            "szqh": county,
            "zczb": [rng.randrange(1, 1_000_000) for _ in range(rows)],
            "clrq": founded,
        }
    )
    pq.write_table(table, path, row_group_size=122_880)


def build(rows: int, datasets: int) -> uuid.UUID:
    """Create the catalog and its files; return the big table's resource (version) id."""
    # GovHub is imported here, after the scratch settings are in the environment.
    from govhub.core import migrations  # noqa: PLC0415
    from govhub.core.db import session_scope  # noqa: PLC0415
    from govhub.core.settings import get_settings  # noqa: PLC0415
    from govhub.core.storage import LocalStorage, get_storage  # noqa: PLC0415
    from govhub.data.catalog import search  # noqa: PLC0415
    from govhub.data.catalog.models import (  # noqa: PLC0415
        DatasetVersion,
        Resource,
        ResourceTheme,
        SearchTerm,
        Theme,
    )
    from govhub.identity.codes import DivisionLevel  # noqa: PLC0415
    from govhub.identity.models import Department, DepartmentType, Division  # noqa: PLC0415

    get_settings.cache_clear()
    migrations.upgrade("head")
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        raise RuntimeError("the benchmark needs local storage")
    big_key, small_key = "datasets/bench/register.parquet", "datasets/bench/small.parquet"
    storage.local_path(big_key).parent.mkdir(parents=True, exist_ok=True)
    register(storage.local_path(big_key), rows)
    register(storage.local_path(small_key), 10)
    rng = random.Random(7)
    themes = list(Theme)
    now = datetime.now(UTC)
    big_version = uuid.uuid4()
    with session_scope() as session:
        session.add(Division(code="330000", name="浙江省", level=DivisionLevel.PROVINCE))
        session.flush()
        departments = [
            Department(
                id=uuid.uuid4(),
                code=f"D{i:02d}",
                name=f"部门{i}",
                type=DepartmentType.OTHER,
                division_code="330000",
            )
            for i in range(20)
        ]
        session.add_all(departments)
        session.flush()
        resources, theme_rows, terms, versions = [], [], [], []
        for i in range(datasets):
            rid = uuid.uuid4()
            words = rng.sample(WORDS, 3)
            title = f"{words[0]}{words[1]}数据{i}"
            description = f"{words[0]}、{words[1]}与{words[2]}的开放数据，第{i}号。"
            resources.append(
                {
                    "id": rid, "identifier": f"D{i % 20:02d}-{i:05d}",
                    "department_id": departments[i % 20].id, "version": 1, "title": title,
                    "title_en": f"Dataset {i}", "description": description,
                    "description_en": "", "update_frequency": "monthly",
                    "keywords": words[:2], "division_codes": [], "sharing_type": "unconditional",
                    "sharing_conditions": "", "opening_type": "open", "opening_conditions": "",
                    "security_class": "general", "sensitivity": "public", "contact_name": "",
                    "contact_phone": "", "contact_email": "", "license": rng.choice(
                        ["CC-BY-4.0", "CC0-1.0"]
                    ), "fields": [{"name": "qymc", "type": "string"}],
                    "created_at": now - timedelta(days=i % 700),
                    "updated_at": now - timedelta(days=i % 700),
                    "published_at": now - timedelta(days=i % 500),
                }
            )  # fmt: skip
            for theme in rng.sample(themes, 2):
                theme_rows.append({"resource_id": rid, "theme": theme})
            for term in search.document_terms(title, description, " ".join(words[:2])):
                terms.append({"resource_id": rid, "term": term})
            versions.append(
                {
                    "id": big_version if i == 0 else uuid.uuid4(), "resource_id": rid,
                    "version": 1, "storage_key": big_key if i == 0 else small_key,
                    "row_count": rows if i == 0 else 10, "schema": [],
                    "digest": "sha256:" + "0" * 64, "created_at": now - timedelta(days=i % 500),
                }
            )  # fmt: skip
        session.execute(insert(Resource), resources)
        session.execute(insert(ResourceTheme), theme_rows)
        session.execute(insert(SearchTerm), terms)
        session.execute(insert(DatasetVersion), versions)
    return big_version


def _nearest_rank(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def percentiles(samples: list[tuple[float, float]]) -> dict[str, float]:
    """Return p50, p99 and the mean of the wall times (ms), and the CPU times' p50 and p99."""
    wall = sorted(w for w, _ in samples)
    cpu = sorted(c for _, c in samples)
    return {
        "p50_ms": round(statistics.median(wall), 2),
        "p99_ms": round(_nearest_rank(wall, 0.99), 2),
        "mean_ms": round(statistics.fmean(wall), 2),
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "cpu_p99_ms": round(_nearest_rank(cpu, 0.99), 2),
        "n": len(wall),
    }


def timed(calls: list[Callable[[], None]]) -> list[tuple[float, float]]:
    """Run each call once; return (wall, CPU) milliseconds of each.

    CPU is the time this process spent on the call (client, server and database all run in
    it): on a shared machine it shows a call's cost without the time spent waiting for a core.
    """
    samples = []
    for call in calls:
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        wall = (time.perf_counter() - started) * 1000
        samples.append((wall, (time.process_time() - cpu_started) * 1000))
    return samples


def main() -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="time only package_search and the portal's search page (a 10-row big table)",
    )
    args = parser.parse_args()
    if args.search_only:
        args.rows = 10
    with tempfile.TemporaryDirectory(prefix="govhub-bench-") as tmp:
        os.environ.update(environment(Path(tmp)))
        started = time.perf_counter()
        version = build(args.rows, args.datasets)
        build_s = time.perf_counter() - started
        result = measure(version, args.requests, search_only=args.search_only)
    result.update(
        {
            "rows": args.rows,
            "datasets": args.datasets,
            "build_seconds": round(build_s, 1),
            "target_p99_ms": TARGET_MS,
            "load_average_1m": round(os.getloadavg()[0], 1),
            "machine": f"{platform.machine()}, {os.cpu_count()} cpus, "
            f"Python {sys.version.split()[0]}",
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    print_table(result)
    target = RESULTS.with_name("opendata_search.json") if args.search_only else RESULTS
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


def measure(version: uuid.UUID, requests: int, *, search_only: bool = False) -> dict[str, Any]:
    """Time datastore_search, its direct DuckDB peer, package_search and the portal search."""
    import duckdb  # noqa: PLC0415
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from govhub.api import create_app  # noqa: PLC0415
    from govhub.core.storage import LocalStorage, get_storage  # noqa: PLC0415

    rng = random.Random(11)
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        raise RuntimeError("the benchmark needs local storage")
    path = str(storage.local_path("datasets/bench/register.parquet"))
    with TestClient(create_app()) as client:

        def datastore(county: str) -> Callable[[], None]:
            def call() -> None:
                response = client.post(
                    "/api/3/action/datastore_search",
                    json={"resource_id": str(version), "filters": {"szqh": county}, "limit": 100},
                )
                if response.status_code != 200 or len(response.json()["result"]["records"]) != 100:
                    raise RuntimeError(response.text[:500])

            return call

        con = duckdb.connect()

        def direct(county: str) -> Callable[[], None]:
            def call() -> None:
                source = "read_parquet($p, file_row_number = true)"
                con.execute(
                    f"SELECT file_row_number + 1, * FROM {source} WHERE szqh = $c "  # noqa: S608
                    "LIMIT 100",
                    {"p": path, "c": county},
                ).fetchall()
                con.execute(
                    f"SELECT count(*) FROM {source} WHERE szqh = $c",  # noqa: S608
                    {"p": path, "c": county},
                ).fetchone()

            return call

        since = (datetime.now(UTC) - timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
        searches: list[dict[str, Any]] = [
            {"q": "企业 登记", "rows": 20},
            {"fq": "organization:d07", "rows": 20, "sort": "metadata_modified desc"},
            {"fq": f"metadata_modified:[{since} TO *]", "sort": "id asc", "rows": 100},
            {"fq": "groups:transport", "rows": 20, "start": 40},
            {
                "q": "环境",
                "facet.field": ["organization", "groups", "tags", "license_id"],
                "rows": 10,
            },
        ]

        def package(params: dict[str, Any]) -> Callable[[], None]:
            def call() -> None:
                response = client.post("/api/3/action/package_search", json=params)
                if response.status_code != 200:
                    raise RuntimeError(response.text[:500])

            return call

        pages: list[dict[str, Any]] = [
            {"q": "企业 登记"},
            {"department": "d07", "sort": "title"},
            {"theme": "transport", "page": 3},
            {"q": "环境", "frequency": "monthly"},
            {},
        ]

        def portal(params: dict[str, Any]) -> Callable[[], None]:
            def call() -> None:
                response = client.get("/open-data", params=params)
                if response.status_code != 200:
                    raise RuntimeError(response.text[:500])

            return call

        timed([package(p) for p in searches] + [portal(p) for p in pages])
        ps = timed([package(searches[i % len(searches)]) for i in range(requests)])
        facets = timed([package(searches[4]) for _ in range(max(20, requests // 5))])
        portal_times = timed([portal(pages[i % len(pages)]) for i in range(requests)])
        searched = {
            "package_search": percentiles(ps),
            "package_search_with_facets": percentiles(facets),
            "portal_search_page": percentiles(portal_times),
        }
        if search_only:
            return searched
        timed([datastore(c) for c in COUNTIES])
        timed([direct(c) for c in COUNTIES])
        ds = timed([datastore(rng.choice(COUNTIES)) for _ in range(requests)])
        peer = timed([direct(rng.choice(COUNTIES)) for _ in range(requests)])
    ds_stats, peer_stats = percentiles(ds), percentiles(peer)
    return {
        "datastore_search": ds_stats,
        "duckdb_direct": peer_stats,
        "datastore_overhead_ratio_p50": round(ds_stats["p50_ms"] / peer_stats["p50_ms"], 2),
        **searched,
    }


def print_table(result: dict[str, Any]) -> None:
    """Print the results as a table."""
    print(f"Open data API: {result['rows']:,} rows, {result['datasets']:,} datasets")
    print(
        f"{'operation':<34}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}"
        f"{'CPU p50':>10}{'CPU p99':>10}{'n':>6}"
    )
    for name in (
        "datastore_search",
        "duckdb_direct",
        "package_search",
        "package_search_with_facets",
        "portal_search_page",
    ):
        if name not in result:
            continue
        row = result[name]
        print(
            f"{name:<34}{row['p50_ms']:>10}{row['p99_ms']:>10}{row['mean_ms']:>10}"
            f"{row['cpu_p50_ms']:>10}{row['cpu_p99_ms']:>10}{row['n']:>6}"
        )
    if "datastore_overhead_ratio_p50" in result:
        ratio = result["datastore_overhead_ratio_p50"]
        print(f"datastore_search / DuckDB direct (p50): {ratio}x")
    print(f"target p99 < {TARGET_MS} ms")


if __name__ == "__main__":
    raise SystemExit(main())
