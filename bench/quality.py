"""Benchmark quality assessment: GovHub against GX, pandera, Frictionless and raw DuckDB.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/quality.py                    # 10^6 and 10^7 rows
    .venv/bin/python bench/quality.py --quick            # 10^5 rows, for development
    .venv/bin/python bench/quality.py --repeat 2         # each tool twice, the faster counts

Generates an enterprise register (20 columns, nine kinds of injected error at known rates, see
`quality_data`) as CSV and Parquet under var/bench/quality/ (kept and reused for the same
parameters), then runs the same nine checks in each tool, each in a child process of its own
so that its peak RSS (VmHWM) is its own and imports are not timed (file reads are):

- govhub: `parse_rules` + `assess_files` over the Parquet file (20 failing-row samples per
  check, the default; `govhub-nosample` keeps none);
- duckdb-sql: the checks hand-written as one DuckDB query; duckdb-scan: reading every checked
  value once (the largest hash of each column), the floor of any check;
- gx (GX Core 1.x, ephemeral context, pandas) and pandera (pandas backend): pandas reads the
  checked columns of the Parquet file; check digits are vectorized numpy custom checks;
- frictionless: Table Schema constraints and a row check, on the CSV of the first 10^5 rows
  (GovHub runs on the same slice as Parquet for comparison);
- ingest: GovHub's streaming ingest pipeline (`govhub.data.ingest.pipeline.convert`) loading
  the CSV into a Parquet dataset file, rows/s and peak RSS.

GX and pandera run at 10^7 rows only when their 10^6 run, scaled linearly, stays under
`--peer-limit` seconds (300) and `--peer-memory` MiB (16 GiB). Every tool's counts must equal
the injected ground truth: the script exits with status 1 otherwise. Prints a table and writes
bench/results/quality.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import quality_data  # noqa: E402 - the benchmark's own modules, beside this script
import quality_tools  # noqa: E402
from memory import peak_rss_mib  # noqa: E402

SLICE_ROWS = 100_000
PEERS = ("gx", "pandera")
INPUTS = {
    "govhub": "Parquet",
    "govhub-nosample": "Parquet",
    "duckdb-sql": "Parquet",
    "duckdb-scan": "Parquet",
    "gx": "Parquet via pandas",
    "pandera": "Parquet via pandas",
    "frictionless": "CSV",
    "ingest": "CSV",
}
PRELOAD = {
    # pandas is no GovHub dependency, but where it is installed (the peers need it) pyarrow
    # imports it on its first conversion: an import, preloaded as for the pandas peers.
    "govhub": ["govhub.data.quality", "pandas"],
    "govhub-nosample": ["govhub.data.quality", "pandas"],
    "duckdb-sql": ["duckdb"],
    "duckdb-scan": ["duckdb"],
    "gx": ["great_expectations", "great_expectations.expectations", "pandas", "quality_peers"],
    "pandera": ["pandera.pandas", "pandas", "quality_peers"],
    "frictionless": ["frictionless", "quality_peers"],
    "ingest": ["govhub.data.ingest.pipeline"],
}


def run_tool(tool: str, parquet: Path, csv: Path, divisions: Path) -> dict[str, Any]:
    """Run one tool in this process; return its counts (and rows for ingest)."""
    if tool == "govhub":
        return {"counts": quality_tools.run_govhub(parquet, divisions)}
    if tool == "govhub-nosample":
        return {"counts": quality_tools.run_govhub(parquet, divisions, sample_size=0)}
    if tool == "duckdb-sql":
        return {"counts": quality_tools.run_duckdb_sql(parquet, divisions)}
    if tool == "duckdb-scan":
        return {"counts": quality_tools.run_duckdb_scan(parquet, quality_tools.CHECKED)}
    if tool == "ingest":
        return run_ingest(csv)
    import quality_peers  # noqa: PLC0415 - the peers are an optional extra

    if tool == "gx":
        return {"counts": quality_peers.run_gx(parquet, divisions)}
    if tool == "pandera":
        return {"counts": quality_peers.run_pandera(parquet, divisions)}
    return {"counts": quality_peers.run_frictionless(csv, divisions)}


def run_ingest(csv: Path) -> dict[str, Any]:
    """Load the CSV with GovHub's streaming ingest pipeline into a Parquet dataset file."""
    import tempfile  # noqa: PLC0415

    from govhub.data.ingest.pipeline import convert  # noqa: PLC0415
    from govhub.data.ingest.settings import IngestSettings  # noqa: PLC0415

    settings = IngestSettings(max_file_bytes=1 << 40)
    with tempfile.TemporaryDirectory(dir=csv.parent) as scratch:
        result = convert(csv, filename=csv.name, settings=settings, workdir=Path(scratch))
        size = result.path.stat().st_size
    return {"rows": result.row_count, "parquet_bytes": size, "columns": len(result.schema)}


def child(tool: str, parquet: Path, csv: Path, divisions: Path) -> None:
    """Measure one tool in this process and print the measurement as JSON."""
    import importlib  # noqa: PLC0415

    for module in PRELOAD[tool]:
        importlib.import_module(module)
    start = time.perf_counter()
    facts = run_tool(tool, parquet, csv, divisions)
    facts["seconds"] = time.perf_counter() - start
    facts["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(facts))


def measure(
    tool: str, parquet: Path, csv: Path, divisions: Path, repeat: int = 1
) -> dict[str, Any]:
    """Run `tool` in a fresh child process `repeat` times; return the fastest run's facts."""
    command = [sys.executable, __file__, "--child", tool, "--parquet", str(parquet),
               "--csv", str(csv), "--divisions", str(divisions)]  # fmt: skip
    runs: list[dict[str, Any]] = []
    for _ in range(repeat):
        out = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if out.returncode:
            raise RuntimeError(f"{tool} failed:\n{out.stderr[-4000:]}")
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    fastest = min(runs, key=lambda r: r["seconds"])
    fastest["runs_seconds"] = [round(r["seconds"], 3) for r in runs]
    return fastest


def compare(counts: dict[str, int], truth: dict[str, int]) -> dict[str, list[int]]:
    """Return the checks whose count differs from the truth: name -> [got, expected]."""
    names = set(truth) | {name for name, value in counts.items() if value}
    found = {n: [counts.get(n, 0), truth.get(n, 0)] for n in sorted(names)}
    return {n: pair for n, pair in found.items() if pair[0] != pair[1]}


def record(
    results: list[dict[str, Any]],
    tool: str,
    rows: int,
    facts: dict[str, Any],
    truth: dict[str, int],
) -> dict[str, Any]:
    """Add one measurement (with its agreement with the ground truth) to `results`."""
    entry: dict[str, Any] = {"tool": tool, "input": INPUTS[tool], "rows": rows, **facts}
    entry["seconds"] = round(facts["seconds"], 3)
    entry["rows_per_second"] = round(rows / facts["seconds"])
    if tool not in ("duckdb-scan", "ingest"):
        entry["differences"] = compare(facts["counts"], truth)
        entry["counts_match"] = not entry["differences"]
    results.append(entry)
    speed, peak = entry["rows_per_second"], entry["peak_rss_mib"]
    print(f"  {tool:<16} {rows:>10} rows {entry['seconds']:>9.2f} s {speed:>11,} rows/s {peak} MiB")
    return entry


def run_size(
    register: quality_data.Register,
    previous: list[dict[str, Any]],
    limit: float,
    *,
    memory_limit: float,
    slow: bool,
    repeat: int,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Measure every tool at one register size; return the results and the peers skipped."""
    rows, truth, skipped = register.rows, register.truth, []
    files = (register.parquet, register.csv, register.divisions)
    results: list[dict[str, Any]] = []
    for tool in ("govhub", "govhub-nosample", "duckdb-sql", "duckdb-scan", "ingest"):
        record(results, tool, rows, measure(tool, *files, repeat=repeat), truth)
    for tool in PEERS:
        earlier = [r for r in previous if r["tool"] == tool]
        if earlier:
            scale = rows / earlier[-1]["rows"]
            seconds, memory = earlier[-1]["seconds"] * scale, earlier[-1]["peak_rss_mib"] * scale
            if seconds > limit or memory > memory_limit:
                base = earlier[-1]["rows"]
                estimate = f"about {seconds:.0f} s and {memory:.0f} MiB estimated from {base} rows"
                skipped.append(f"{tool} at {rows} rows: {estimate}")
                print(f"  skipped {skipped[-1]}")
                continue
        record(results, tool, rows, measure(tool, *files, repeat=repeat), truth)
    if slow:
        sliced = min(SLICE_ROWS, rows)
        csv, parquet = quality_data.write_slice(register, sliced)
        slice_truth = register.truth_of_first(sliced)
        for tool in ("frictionless", "govhub"):
            entry = record(results, tool, sliced, measure(tool, parquet, csv, register.divisions),
                           slice_truth)  # fmt: skip
            entry["slice"] = True
    return results, skipped


def table(results: list[dict[str, Any]]) -> list[str]:
    """Return the result table as lines: each tool against GovHub on the same rows."""
    lines = [f"{'tool':<16} {'input':<19} {'rows':>10} {'seconds':>9} {'rows/s':>11} "
             f"{'x GovHub':>9} {'peak MiB':>9}  counts match"]  # fmt: skip
    for r in results:
        govhub = next(g for g in results if g["tool"] == "govhub" and g["rows"] == r["rows"])
        ratio = r["seconds"] / govhub["seconds"] if r["tool"] != "ingest" else None
        r["seconds_vs_govhub"] = None if ratio is None else round(ratio, 3)
        match = {True: "yes", False: "NO", None: "n/a"}[r.get("counts_match")]
        shown = "" if ratio is None else f"{ratio:.2f}"
        speed, peak = r["rows_per_second"], r["peak_rss_mib"]
        lines.append(
            f"{r['tool']:<16} {r['input']:<19} {r['rows']:>10} {r['seconds']:>9.2f} "
            f"{speed:>11,} {shown:>9} {peak:>9}  {match}"
        )
    return lines


def targets(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Check the issue's targets at each size where both sides ran."""
    found: dict[str, Any] = {}
    for g in (r for r in results if r["tool"] == "govhub" and not r.get("slice")):
        same = {r["tool"]: r for r in results if r["rows"] == g["rows"] and not r.get("slice")}
        goals: dict[str, Any] = {}
        if "gx" in same:
            ratio = same["gx"]["seconds"] / g["seconds"]
            goals["30x_faster_than_gx"] = {"ratio": round(ratio, 2), "met": ratio >= 30}
        if "pandera" in same:
            ratio = same["pandera"]["seconds"] / g["seconds"]
            goals["faster_than_pandera"] = {"ratio": round(ratio, 2), "met": ratio > 1}
        ratio = g["seconds"] / same["duckdb-scan"]["seconds"]
        goals["within_3x_of_raw_scan"] = {"ratio": round(ratio, 2), "met": ratio <= 3}
        found[str(g["rows"])] = goals
    return found


def main() -> None:
    """Generate the registers, measure every tool and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--quick", action="store_true", help="one size of 10^5 rows")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--peer-limit", type=float, default=300.0, help="seconds")
    parser.add_argument("--peer-memory", type=float, default=16384.0, help="MiB")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the fastest counts")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "quality.json")
    parser.add_argument("--child", choices=sorted(INPUTS), help=argparse.SUPPRESS)
    for hidden in ("--parquet", "--csv", "--divisions"):
        parser.add_argument(hidden, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.parquet, args.csv, args.divisions)
        return
    sizes = [100_000] if args.quick else sorted(args.sizes)
    scratch = ROOT / "var" / "bench" / "quality"
    results: list[dict[str, Any]] = []
    skipped: list[str] = []
    truths: dict[str, dict[str, int]] = {}
    for position, rows in enumerate(sizes):
        start = time.perf_counter()
        register = quality_data.generate(scratch, rows, args.seed)
        truths[str(rows)] = register.truth
        print(f"register of {rows} rows ({register.csv.stat().st_size / 2**20:.0f} MiB CSV, "
              f"{register.parquet.stat().st_size / 2**20:.0f} MiB Parquet) ready in "
              f"{time.perf_counter() - start:.0f} s")  # fmt: skip
        found, missed = run_size(
            register,
            results,
            args.peer_limit,
            memory_limit=args.peer_memory,
            slow=position == 0,
            repeat=args.repeat,
        )
        results += found
        skipped += missed
    lines = table(results)
    print("\n".join(["", *lines]))
    goals = targets(results)
    for rows, checks in goals.items():
        said = [f"{n} {'met' if v['met'] else 'missed'} ({v['ratio']}x)" for n, v in checks.items()]
        print(f"targets at {rows} rows: " + ", ".join(said))
    for note in skipped:
        print(f"skipped: {note}")
    mismatched = [r for r in results if r.get("counts_match") is False]
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "seed": args.seed,
        "repeat": args.repeat,
        "checks": list(quality_data.CHECKS),
        "rates": quality_data.RATES,
        "ground_truth": truths,
        "rules": quality_tools.RULES,
        "results": results,
        "targets": goals,
        "skipped": skipped,
        "counts_match": not mismatched,
    }
    args.output.parent.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {args.output}")
    for r in mismatched:
        print(f"COUNTS DIFFER: {r['tool']} at {r['rows']} rows: {r['differences']} "
              "(check: [counted, injected])")  # fmt: skip
    if mismatched:
        sys.exit(1)


if __name__ == "__main__":
    main()
