"""Benchmark lineage walks: upstream and downstream at depth 10 on a graph of 10^5 runs.

    .venv/bin/python bench/lineage.py [--runs 100000] [--depth 10] [--samples 200]

The synthetic graph: pipelines of 100 runs each (1,000 pipelines at 10^5 runs); every run uses
the previous run's output and one random earlier entity of its pipeline, generates one new
entity, and maps 4 columns (column edges from the previous output). So a walk of depth 10
meets up to a few dozen entities, and the column walk follows one column down the chain.

Measured per backend (a fresh SQLite file; PostgreSQL too when GOVHUB_BENCH_DATABASE_URL is
set: the tables are built in a scratch schema `bench_lineage` of that database, dropped at
the end):

- `walk_entities` up and down (one recursive CTE, then one query for the runs between the
  nodes met) and `walk_columns` up, from random entities; median and p95 in ms;
- SQLite once more after `ANALYZE` (20 upstream walks): with statistics on a links table past
  ~2^18 rows SQLite builds a Bloom filter in every recursive step, a scan each time; GovHub
  does not run ANALYZE on SQLite, and the number shows why it should not;
- the peer in the same run: the same walk as a breadth-first search issuing one query per
  level (the frontier as an IN list), with the same answer checked node for node; the ratio
  is peer time / CTE time.

Prints a table and writes bench/results/lineage.json.
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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, and_, insert, select, text
from sqlalchemy.orm import Session, aliased

from govhub.core.db import make_engine, utcnow
from govhub.data.lineage import graph
from govhub.data.lineage.models import (
    ActivityKind,
    EntityKind,
    LineageColumnEdge,
    LineageEntity,
    LineageLink,
    LineageRun,
    LinkRole,
)
from govhub.models import Base

RESULTS = Path(__file__).parent / "results" / "lineage.json"
PIPELINE = 100
COLUMNS = 4
CHUNK = 10_000
SCHEMA = "bench_lineage"
SEED = 2026


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]


def fill(engine: Engine, runs: int) -> tuple[list[uuid.UUID], float]:
    """Insert the synthetic graph; return the entity ids and the seconds it took."""
    rng = random.Random(SEED)
    started = time.perf_counter()
    now = utcnow()
    entities: list[dict[str, Any]] = []
    run_rows: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    columns: list[dict[str, Any]] = []
    ids: list[uuid.UUID] = []
    for _ in range(runs // PIPELINE):
        chain = [uuid.UUID(int=rng.getrandbits(128))]
        for _ in range(PIPELINE):
            run_id = uuid.UUID(int=rng.getrandbits(128))
            output = uuid.UUID(int=rng.getrandbits(128))
            other = chain[rng.randrange(len(chain))]
            run_rows.append(
                {
                    "id": run_id,
                    "kind": ActivityKind.TRANSFORM,
                    "parameters": {},
                    "actor": "service:bench",
                    "created_at": now,
                }
            )
            for used in {chain[-1], other}:
                links.append({"run_id": run_id, "role": LinkRole.USED, "entity_id": used})
            links.append({"run_id": run_id, "role": LinkRole.GENERATED, "entity_id": output})
            for c in range(COLUMNS):
                columns.append(
                    {
                        "run_id": run_id,
                        "output_entity_id": output,
                        "output_column": f"c{c}",
                        "input_entity_id": chain[-1],
                        "input_column": f"c{c}",
                        "expression": "",
                    }
                )
            chain.append(output)
        ids.extend(chain)
    for entity_id in ids:
        entities.append(
            {
                "id": entity_id,
                "kind": EntityKind.DATASET,
                "locator": str(entity_id),
                "name": "",
                "format": "",
                "created_at": now,
            }
        )
    with engine.begin() as conn:
        for model, rows in (
            (LineageEntity, entities),
            (LineageRun, run_rows),
            (LineageLink, links),
            (LineageColumnEdge, columns),
        ):
            for chunk in _chunks(rows):
                conn.execute(insert(model), chunk)
        if engine.dialect.name == "postgresql":  # autovacuum would, soon; SQLite: see below
            conn.execute(text("ANALYZE"))
    return ids, time.perf_counter() - started


def bfs(session: Session, seed: uuid.UUID, *, up: bool, depth: int) -> set[uuid.UUID]:
    """The peer: a breadth-first walk with one query per level."""
    near, far = aliased(LineageLink), aliased(LineageLink)
    near_role, far_role = (
        (LinkRole.GENERATED, LinkRole.USED) if up else (LinkRole.USED, LinkRole.GENERATED)
    )
    seen, frontier = {seed}, {seed}
    for _ in range(depth):
        if not frontier:
            break
        rows = session.scalars(
            select(far.entity_id)
            .join(near, and_(near.run_id == far.run_id, near.role == near_role))
            .where(near.entity_id.in_(list(frontier)), far.role == far_role)
            .distinct()
        )
        frontier = set(rows) - seen
        seen |= frontier
    return seen


def timed(
    call: Callable[[uuid.UUID], Any], seeds: list[uuid.UUID]
) -> tuple[list[float], list[Any]]:
    """Return the times in ms of `call` on every seed, and its answers."""
    times, answers = [], []
    for seed in seeds:
        start = time.perf_counter()
        answers.append(call(seed))
        times.append((time.perf_counter() - start) * 1000)
    return times, answers


def summary(times: list[float]) -> dict[str, float]:
    """Median and p95 in ms."""
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3),
    }


def measure(engine: Engine, runs: int, depth: int, samples: int) -> dict[str, Any]:
    """Fill one backend and time every walk and its peer."""
    Base.metadata.create_all(engine)
    ids, fill_seconds = fill(engine, runs)
    rng = random.Random(SEED + 1)
    seeds = [ids[rng.randrange(len(ids))] for _ in range(samples)]
    out: dict[str, Any] = {"fill_seconds": round(fill_seconds, 2), "entities": len(ids)}
    with Session(engine) as session:
        for name, up in (("upstream", True), ("downstream", False)):
            direction = graph.Direction.UP if up else graph.Direction.DOWN

            def walk(seed: uuid.UUID, d: graph.Direction = direction) -> graph.EntityWalk:
                return graph.walk_entities(session, [seed], direction=d, depth=depth)

            def peer(seed: uuid.UUID, u: bool = up) -> set[uuid.UUID]:
                return bfs(session, seed, up=u, depth=depth)

            cte_times, walks = timed(walk, seeds)
            peer_times, peer_sets = timed(peer, seeds)
            for found, expected in zip(walks, peer_sets, strict=True):
                if set(found.depths) != expected:
                    raise SystemExit("the CTE and the BFS disagree")
            sizes = [len(w.depths) for w in walks]
            out[name] = {
                "cte": summary(cte_times),
                "bfs_peer": summary(peer_times),
                "ratio_peer_over_cte": round(
                    statistics.median(peer_times) / statistics.median(cte_times), 2
                ),
                "nodes_median": statistics.median(sizes),
                "nodes_max": max(sizes),
            }

        def column(seed: uuid.UUID) -> graph.ColumnWalk:
            return graph.walk_columns(
                session, (seed, "c0"), direction=graph.Direction.UP, depth=depth
            )

        col_times, col_walks = timed(column, seeds)
        out["column_upstream"] = {
            "cte": summary(col_times),
            "nodes_median": statistics.median(len(w.depths) for w in col_walks),
        }
    if engine.dialect.name == "sqlite":
        # With sqlite_stat1 on a links table past ~2^18 rows, SQLite builds a Bloom filter in
        # every recursive step (a scan of the index); GovHub never runs ANALYZE on SQLite.
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        with Session(engine) as session:

            def analyzed(seed: uuid.UUID) -> graph.EntityWalk:
                return graph.walk_entities(
                    session, [seed], direction=graph.Direction.UP, depth=depth
                )

            times, _ = timed(analyzed, seeds[:20])
        out["upstream_after_analyze"] = {"cte": summary(times)}
    return out


def _postgres(url: str) -> Engine:
    base = make_engine(url)
    with base.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    base.dispose()
    return sqlalchemy.create_engine(url, connect_args={"options": f"-csearch_path={SCHEMA}"})


def main() -> None:
    """Run the benchmark and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    backends: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="govhub-bench-lineage-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'lineage.db'}")
        backends["sqlite"] = measure(engine, args.runs, args.depth, args.samples)
        engine.dispose()
    url = os.environ.get("GOVHUB_BENCH_DATABASE_URL", "")
    if url:
        engine = _postgres(url)
        try:
            backends["postgresql"] = measure(engine, args.runs, args.depth, args.samples)
        finally:
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            engine.dispose()
    print(f"lineage walks: {args.runs:,} runs, depth {args.depth}, {args.samples} samples")
    print(
        f"{'backend':<11} {'walk':<18} {'CTE p50':>9} {'CTE p95':>9} {'BFS p50':>9} "
        f"{'BFS/CTE':>8} {'nodes':>6}"
    )
    for backend, result in backends.items():
        for name in ("upstream", "downstream"):
            r = result[name]
            print(
                f"{backend:<11} {name:<18} {r['cte']['median_ms']:>9.2f} "
                f"{r['cte']['p95_ms']:>9.2f} {r['bfs_peer']['median_ms']:>9.2f} "
                f"{r['ratio_peer_over_cte']:>8.2f} {r['nodes_median']:>6}"
            )
        c = result["column_upstream"]
        print(
            f"{backend:<11} {'column upstream':<18} {c['cte']['median_ms']:>9.2f} "
            f"{c['cte']['p95_ms']:>9.2f} {'':>9} {'':>8} {c['nodes_median']:>6}"
        )
        if "upstream_after_analyze" in result:
            a = result["upstream_after_analyze"]["cte"]
            print(
                f"{backend:<11} {'up, after ANALYZE':<18} {a['median_ms']:>9.2f} "
                f"{a['p95_ms']:>9.2f}"
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "lineage",
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                    "sqlalchemy": sqlalchemy.__version__,
                },
                "parameters": {
                    "runs": args.runs,
                    "depth": args.depth,
                    "samples": args.samples,
                    "pipeline_runs": PIPELINE,
                    "columns_per_run": COLUMNS,
                },
                "backends": backends,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
