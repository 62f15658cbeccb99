"""Benchmark the trust ledger: append throughput, proofs at 10^3..10^6 entries, event cost.

    .venv/bin/python bench/ledger.py [--sizes 1000,100000,1000000] [--append 100000] [--repeats 5]

Measured per backend (a fresh SQLite file; PostgreSQL too when GOVHUB_BENCH_DATABASE_URL is
set, in a scratch schema created and dropped in that database):

- append: `ledger.record` for `--append` entries in transactions of 1,000 (the domains' path),
  then `ledger.integrate` in batches of 10,000 (leaf hashes, subtree hashes, a signed
  checkpoint per batch); entries/s for each phase and end to end;
- event cost: the median time of a small domain transaction (one audit row) with and without
  one `ledger.record` in it, and the difference;
- both are repeated `--repeats` times in the run (the machine is shared, so one run can be
  unlucky): the table shows the median of the repeats and their range, the JSON every run;
- proofs: the tree is grown to each of `--sizes` (pending rows bulk-inserted, then
  integrated), and inclusion and consistency proofs for random indices are generated from the
  stored subtree hashes (two indexed queries each) and verified; medians and p95 in ms;
- the peer, `pymerkle` (PyPI) in the same run: tree building and proof generation of its
  `InmemoryTree` against `govhub.ledger.merkle.MemoryTree` and against the database-backed
  proofs, and its persistent `SqliteTree` against our SQLite append.

Prints a table and writes bench/results/ledger.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pymerkle
import sqlalchemy
from sqlalchemy import Engine, create_engine, insert, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from govhub.core import migrations
from govhub.core.db import make_engine, utcnow
from govhub.identity import audit
from govhub.identity.models import AuditAction
from govhub.ledger import merkle, proofs, service
from govhub.ledger.models import LedgerPending
from govhub.ledger.schemas import EntryKind

RESULTS = Path(__file__).parent / "results" / "ledger.json"
SAMPLES = 300
RECORD_TXN = 1_000
INTEGRATE_BATCH = 10_000
FILL_CHUNK = 20_000
SEED = 2026


def ms(seconds: float) -> float:
    """Return milliseconds rounded to microseconds."""
    return round(seconds * 1000, 4)


def timings(fn: Callable[[], Any], samples: int = SAMPLES) -> dict[str, float]:
    """Time `fn` `samples` times; return the median and p95 in ms."""
    values = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        values.append(time.perf_counter() - start)
    values.sort()
    return {
        "median_ms": ms(statistics.median(values)),
        "p95_ms": ms(values[int(0.95 * len(values))]),
    }


@contextmanager
def sqlite_database(directory: Path, name: str) -> Iterator[str]:
    """Yield the URL of a fresh, migrated SQLite file."""
    url = f"sqlite:///{directory / name}"
    migrations.upgrade("head", database_url=url)
    yield url


@contextmanager
def postgres_database(database_url: str) -> Iterator[str]:
    """Yield the URL of a scratch, migrated schema in a PostgreSQL database; drop it afterwards."""
    name = f"govhub_bench_{secrets.token_hex(4)}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    url = make_url(database_url)
    url = url.update_query_dict({"options": f"-csearch_path={name}"})
    rendered = url.render_as_string(hide_password=False)
    try:
        migrations.upgrade("head", database_url=rendered)
        yield rendered
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def _record(session: Session, i: int) -> None:
    service.record(
        session,
        kind=EntryKind.DATA_ACCESS,
        actor="client:bench",
        subject=f"dataset:{i % 997}",
        payload={"rows": i, "fields": ["name", "uscc"]},
    )


def integrate_all(factory: sessionmaker[Session]) -> int:
    """Integrate every pending entry, one transaction per batch; return how many."""
    total = 0
    while True:
        with factory() as session, session.begin():
            added = service.integrate(session, limit=INTEGRATE_BATCH).added
        total += added
        if added == 0:
            return total


def append(factory: sessionmaker[Session], count: int) -> dict[str, Any]:
    """Record `count` entries in transactions of RECORD_TXN, then integrate them."""
    start = time.perf_counter()
    for base in range(0, count, RECORD_TXN):
        with factory() as session, session.begin():
            for i in range(base, min(base + RECORD_TXN, count)):
                _record(session, i)
    recorded = time.perf_counter() - start
    start = time.perf_counter()
    integrated = integrate_all(factory)
    integrating = time.perf_counter() - start
    if integrated != count:
        raise RuntimeError(f"integrated {integrated} of {count} entries")
    return {
        "entries": count,
        "record_per_s": round(count / recorded),
        "integrate_per_s": round(count / integrating),
        "end_to_end_per_s": round(count / (recorded + integrating)),
    }


def event_cost(factory: sessionmaker[Session], rounds: int = 1_000) -> dict[str, Any]:
    """Time a small domain transaction with and without one recorded event, in pairs.

    Each pair runs both transactions back to back (alternating which goes first); the added
    cost is the median of the pairs' differences, so a slow moment of the machine, which
    hits both transactions of a pair alike, cancels out.
    """
    plain: list[float] = []
    with_event: list[float] = []
    call: list[float] = []
    for i in range(rounds):
        pair = {}
        for recorded in (False, True) if i % 2 else (True, False):
            start = time.perf_counter()
            with factory() as session, session.begin():
                audit.record(session, AuditAction.KEY_ROTATED, kind="bench")
                if recorded:
                    before = time.perf_counter()
                    _record(session, i)
                    call.append(time.perf_counter() - before)
            pair[recorded] = time.perf_counter() - start
        plain.append(pair[False])
        with_event.append(pair[True])
    integrate_all(factory)
    return {
        "transactions": rounds,
        "without_event_ms": ms(statistics.median(plain)),
        "with_event_ms": ms(statistics.median(with_event)),
        "added_ms": ms(statistics.median(w - p for w, p in zip(with_event, plain, strict=True))),
        "record_call_ms": ms(statistics.median(call)),
    }


def fill(factory: sessionmaker[Session], target: int) -> float:
    """Grow the log to `target` entries (bulk-inserted pending rows); return integrate seconds."""
    with factory() as session:
        current = proofs.tree_size(session)
    now = utcnow()
    for base in range(current, target, FILL_CHUNK):
        rows = [
            {
                "kind": "data_access",
                "actor": "client:bench",
                "subject": f"dataset:{i % 997}",
                "payload_digest": f"{i:064x}",
                "recorded_at": now,
            }
            for i in range(base, min(base + FILL_CHUNK, target))
        ]
        with factory() as session, session.begin():
            session.execute(insert(LedgerPending), rows)
    start = time.perf_counter()
    integrate_all(factory)
    return time.perf_counter() - start


def measure_proofs(factory: sessionmaker[Session], size: int, rng: random.Random) -> dict[str, Any]:
    """Time proof generation and verification at tree size `size`."""
    indices = [rng.randrange(size) for _ in range(SAMPLES)]
    firsts = [rng.randrange(1, size) for _ in range(SAMPLES)]
    with factory() as session:
        root = proofs.get_checkpoint(session, size).root_hash
        it, ct = iter(indices), iter(firsts)
        inclusion = timings(lambda: proofs.inclusion_proof(session, next(it), size))
        consistency = timings(lambda: proofs.consistency_proof(session, next(ct), size))
        sample = [proofs.inclusion_proof(session, i, size) for i in indices[:50]]
        first = firsts[0]
        cons = proofs.consistency_proof(session, first, size)
    first_root = _ordered_root(factory, first)
    pi = iter(sample * (SAMPLES // 50 + 1))

    def verify_one() -> None:
        proof = next(pi)
        merkle.verify_inclusion(proof.index, size, proof.leaf_hash, proof.hashes, root)

    return {
        "size": size,
        "inclusion_proof_hashes": len(sample[0].hashes),
        "inclusion_generate": inclusion,
        "inclusion_verify": timings(verify_one),
        "consistency_generate": consistency,
        "consistency_verify": timings(
            lambda: merkle.verify_consistency(first, size, first_root, root, cons)
        ),
    }


def _ordered_root(factory: sessionmaker[Session], size: int) -> bytes:
    """Return the root of the first `size` leaves from the stored nodes, in fold order."""
    with factory() as session:
        wanted = merkle.root_nodes(size)
        found = proofs.read_nodes(session, set(wanted))
    return merkle.fold([found[node] for node in wanted])


def spread(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Summarize repeated runs: per measure, the median and the range of the repeats."""
    summary: dict[str, Any] = {}
    for key, first in runs[0].items():
        values = [run[key] for run in runs]
        if key in {"entries", "transactions"} or not isinstance(first, int | float):
            summary[key] = first
            continue
        median = statistics.median(values)
        summary[key] = round(median, 4) if isinstance(first, float) else round(median)
        summary[f"{key}_range"] = [min(values), max(values)]
    return summary


def write_path(url: str, appended: int, repeats: int) -> dict[str, Any]:
    """Measure append throughput and the cost of one event, `repeats` times on one database."""
    engine: Engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    runs: list[dict[str, Any]] = []
    for repeat in range(repeats):
        load = os.getloadavg()[0]
        runs.append({"append": append(factory, appended), "event_cost": event_cost(factory)})
        runs[-1]["load_average_1min"] = [round(load, 2), round(os.getloadavg()[0], 2)]
        a, e = runs[-1]["append"], runs[-1]["event_cost"]
        print(f"  run {repeat + 1}/{repeats}: integrate {a['integrate_per_s']:,}/s,"
              f" an event adds {e['added_ms']} ms", flush=True)  # fmt: skip
    engine.dispose()
    return {
        "append": spread([run["append"] for run in runs]),
        "event_cost": spread([run["event_cost"] for run in runs]),
        "runs": runs,
    }


def proof_path(url: str, sizes: list[int]) -> dict[str, Any]:
    """Grow a fresh log to each size and measure proofs there."""
    engine: Engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    rng = random.Random(SEED)
    rows, fills = [], {}
    for size in sizes:
        fills[str(size)] = round(fill(factory, size), 2)
        rows.append(measure_proofs(factory, size, rng))
        print(f"  {size:>9,} entries: {rows[-1]['inclusion_generate']}", flush=True)
    engine.dispose()
    return {"proofs": rows, "fill_integrate_seconds": fills}


def leaf_inputs(count: int) -> list[bytes]:
    """Return `count` distinct leaf inputs of realistic size (~200 bytes of JSON)."""
    return [
        json.dumps({"index": i, "kind": "data_access", "actor": "client:bench",
                    "subject": f"dataset:{i % 997}", "digest": f"{i:064x}"}).encode()
        for i in range(count)
    ]  # fmt: skip


def _peer_row(size: int, rng: random.Random) -> dict[str, Any]:
    """Build and prove one size with both implementations."""
    data = leaf_inputs(size)
    start = time.perf_counter()
    ours = merkle.MemoryTree()
    for item in data:
        ours.append(merkle.leaf_hash(item))
    ours_build = time.perf_counter() - start
    start = time.perf_counter()
    theirs = pymerkle.InmemoryTree(algorithm="sha256")
    for item in data:
        theirs.append_entry(item)
    theirs_build = time.perf_counter() - start
    if theirs.get_root() != ours.root():
        raise RuntimeError("pymerkle and RFC 9162 roots differ")
    indices = [rng.randrange(size) for _ in range(SAMPLES)]
    a, b = iter(indices), iter(indices)
    ours_proof = timings(lambda: ours.prove(merkle.inclusion_ranges(next(a), size)))
    theirs_proof = timings(lambda: theirs.prove_inclusion(next(b) + 1, size))
    firsts = [rng.randrange(1, size) for _ in range(SAMPLES)]
    c, d = iter(firsts), iter(firsts)
    ours_cons = timings(lambda: ours.prove(merkle.consistency_ranges(next(c), size)))
    theirs_cons = timings(lambda: theirs.prove_consistency(next(d), size))
    return {
        "size": size,
        "build_s": {"govhub": round(ours_build, 3), "pymerkle": round(theirs_build, 3)},
        "build_ratio": round(theirs_build / ours_build, 2),
        "inclusion_ms": {"govhub": ours_proof, "pymerkle": theirs_proof},
        "inclusion_ratio": round(theirs_proof["median_ms"] / ours_proof["median_ms"], 2),
        "consistency_ms": {"govhub": ours_cons, "pymerkle": theirs_cons},
        "consistency_ratio": round(theirs_cons["median_ms"] / ours_cons["median_ms"], 2),
    }


def peer(sizes: list[int], directory: Path, sqlite_append: int) -> dict[str, Any]:
    """Compare in-memory building and proving with pymerkle's InmemoryTree, and its SqliteTree."""
    rng = random.Random(SEED)
    rows = []
    for size in sizes:
        rows.append(_peer_row(size, rng))
        print(f"  pymerkle {size:>9,}: build x{rows[-1]['build_ratio']}", flush=True)
    data = leaf_inputs(sqlite_append)
    start = time.perf_counter()
    with pymerkle.SqliteTree(str(directory / "pymerkle.db")) as tree:
        tree.append_entries(data)
        sqlite_seconds = time.perf_counter() - start
        size = tree.get_size()
        indices = iter([rng.randrange(size) for _ in range(SAMPLES)])
        sqlite_proof = timings(lambda: tree.prove_inclusion(next(indices) + 1, size))
    return {
        "inmemory": rows,
        "sqlite_tree": {
            "entries": sqlite_append,
            "append_per_s": round(sqlite_append / sqlite_seconds),
            "inclusion_ms": sqlite_proof,
        },
    }


def print_table(results: dict[str, Any]) -> None:
    """Print the headline numbers."""
    for backend, result in results["backends"].items():
        a, e = result["append"], result["event_cost"]
        print(f"\n{backend} (median of {len(result['runs'])} runs [range]):"
              f" record {a['record_per_s']:,}/s {a['record_per_s_range']},"
              f" integrate {a['integrate_per_s']:,}/s {a['integrate_per_s_range']},"
              f" end to end {a['end_to_end_per_s']:,}/s;"
              f" an event adds {e['added_ms']} ms {e['added_ms_range']}"
              f" (record() call {e['record_call_ms']} ms)")  # fmt: skip
        print(f"{'size':>10} {'hashes':>6} {'incl gen':>9} {'incl ver':>9} {'cons gen':>9}"
              f" {'cons ver':>9}   (median ms)")  # fmt: skip
        for p in result["proofs"]:
            print(f"{p['size']:>10,} {p['inclusion_proof_hashes']:>6}"
                  f" {p['inclusion_generate']['median_ms']:>9}"
                  f" {p['inclusion_verify']['median_ms']:>9}"
                  f" {p['consistency_generate']['median_ms']:>9}"
                  f" {p['consistency_verify']['median_ms']:>9}")  # fmt: skip
    print("\npymerkle / govhub (time ratio, > 1 means govhub is faster):")
    for row in results["pymerkle"]["inmemory"]:
        print(f"{row['size']:>10,}: build x{row['build_ratio']},"
              f" inclusion x{row['inclusion_ratio']},"
              f" consistency x{row['consistency_ratio']}")  # fmt: skip
    s = results["pymerkle"]["sqlite_tree"]
    print(f"pymerkle SqliteTree: append {s['append_per_s']:,}/s, inclusion {s['inclusion_ms']}")


def main() -> None:
    """Run the benchmark and write bench/results/ledger.json."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--append", type=int, default=100_000)
    parser.add_argument("--peer-sizes", default="1000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[str, Any] = {
        "benchmark": "ledger",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "sqlalchemy": sqlalchemy.__version__,
            "pymerkle": getattr(pymerkle, "__version__", "7"),
        },
        "parameters": {
            "sizes": sizes,
            "append": args.append,
            "record_transaction": RECORD_TXN,
            "integrate_batch": INTEGRATE_BATCH,
            "samples": SAMPLES,
            "repeats": args.repeats,
        },
        "backends": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        print("sqlite", flush=True)
        with sqlite_database(directory, "write.db") as url:
            results["backends"]["sqlite"] = write_path(url, args.append, args.repeats)
        with sqlite_database(directory, "proofs.db") as url:
            results["backends"]["sqlite"] |= proof_path(url, sizes)
        server = os.environ.get("GOVHUB_BENCH_DATABASE_URL")
        if server:
            print("postgresql", flush=True)
            with postgres_database(server) as url:
                results["backends"]["postgresql"] = write_path(url, args.append, args.repeats)
            with postgres_database(server) as url:
                results["backends"]["postgresql"] |= proof_path(url, sizes)
        print("pymerkle", flush=True)
        peer_sizes = [int(s) for s in args.peer_sizes.split(",")]
        results["pymerkle"] = peer(peer_sizes, directory, min(args.append, 100_000))
    print_table(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
