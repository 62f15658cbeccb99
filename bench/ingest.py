"""Benchmark ingestion: a large enterprise-register CSV to Parquet, rows/s and peak memory.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--encoding utf-8|gb18030] [--keep]

Generates a CSV of `--rows` rows (15 columns: credit code, Chinese names and addresses from
Faker zh_CN pools, capital, dates, status codes, phone numbers) in a scratch directory, then
converts it in separate child processes, so that each peak RSS (`/proc`'s VmHWM) belongs to one
tool alone:

- govhub: `govhub.data.ingest.pipeline.convert` (encoding and delimiter detection, streaming
  pyarrow CSV reader, schema check per batch, ParquetWriter batch by batch, SHA-256);
- peer: `pandas.read_csv` + `DataFrame.to_parquet` when pandas is installed, else
  `pyarrow.csv.read_csv` of the whole file + `pyarrow.parquet.write_table`.

Prints a table and writes bench/results/ingest.json. Use `--rows 10000000` for the big run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from memory import peak_rss_mib

HERE = Path(__file__).resolve().parent
HEADER = [
    "tyshxydm", "qymc", "fddbr", "zczb", "clrq", "hzrq", "djjg", "qylx", "jyzt",
    "zs", "lxdh", "hydm", "cyrs", "sfss", "yyqx",
]  # fmt: skip


def generate(path: Path, rows: int, encoding: str, seed: int = 2026) -> None:
    """Write an enterprise register of `rows` rows (values drawn from Faker zh_CN pools)."""
    from faker import Faker  # noqa: PLC0415 - only the generator needs Faker

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    companies = [fake.company() for _ in range(5000)]
    names = [fake.name() for _ in range(5000)]
    addresses = [fake.address().replace("\n", " ") for _ in range(5000)]
    agencies = [f"{fake.city()}市场监督管理局" for _ in range(200)]
    kinds = ["有限责任公司", "股份有限公司", "个人独资企业", "合伙企业", "个体工商户"]
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            year = rng.randint(1990, 2024)
            writer.writerow(
                [
                    f"91330100MA{i:07d}X"[:18],
                    rng.choice(companies),
                    rng.choice(names),
                    rng.randint(1, 100_000) * 100,
                    f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    f"{min(year + rng.randint(0, 5), 2025)}-{rng.randint(1, 12):02d}-01",
                    rng.choice(agencies),
                    rng.choice(kinds),
                    rng.choice("12345"),
                    rng.choice(addresses),
                    f"1{rng.randint(3, 9)}{rng.randint(0, 999_999_999):09d}",
                    f"{rng.choice('ABCDEFGHIJ')}{rng.randint(1, 99):02d}",
                    rng.randint(1, 5000),
                    rng.choice(["true", "false"]),
                    rng.randint(10, 50),
                ]
            )


def run_govhub(source: Path, target_dir: Path) -> dict[str, Any]:
    """Convert with GovHub's streaming pipeline."""
    from govhub.data.ingest.pipeline import convert  # noqa: PLC0415
    from govhub.data.ingest.settings import IngestSettings  # noqa: PLC0415

    settings = IngestSettings(max_file_bytes=1 << 40)
    result = convert(source, filename=source.name, settings=settings, workdir=target_dir)
    size = result.path.stat().st_size
    result.path.unlink()
    return {"rows": result.row_count, "parquet_bytes": size, "digest": result.digest[:16]}


def run_peer(source: Path, target_dir: Path) -> dict[str, Any]:
    """Convert with pandas (read_csv + to_parquet) or, without pandas, pyarrow whole-file."""
    target = target_dir / "peer.parquet"
    try:
        import pandas as pd  # noqa: PLC0415

        frame = pd.read_csv(source, encoding="utf-8")
        frame.to_parquet(target)
        rows, tool = len(frame), f"pandas {pd.__version__}"
    except ImportError:
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.csv as pacsv  # noqa: PLC0415
        import pyarrow.parquet as pq  # noqa: PLC0415

        table = pacsv.read_csv(source)
        pq.write_table(table, target, compression="zstd")
        rows, tool = table.num_rows, f"pyarrow.csv.read_csv (whole file) {pa.__version__}"
    size = target.stat().st_size
    target.unlink()
    return {"rows": rows, "parquet_bytes": size, "tool": tool}


def child(which: str, source: Path) -> None:
    """Run one conversion in this process and print its measurements as JSON."""
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        facts = (run_govhub if which == "govhub" else run_peer)(source, Path(scratch))
        seconds = time.perf_counter() - start
    facts.update(
        seconds=round(seconds, 3),
        rows_per_second=round(facts["rows"] / seconds),
        peak_rss_mib=peak_rss_mib(),
    )
    print(json.dumps(facts))


def measure(which: str, source: Path) -> dict[str, Any]:
    """Run `which` in a child process and return what it printed."""
    out = subprocess.run(  # noqa: S603 - runs this script with fixed arguments
        [sys.executable, __file__, "--child", which, "--source", str(source)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Generate the file, measure both tools and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--encoding", default="utf-8", choices=["utf-8", "gb18030"])
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV")
    parser.add_argument("--child", choices=["govhub", "peer"], help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.source)
        return
    scratch = Path(tempfile.mkdtemp(prefix="govhub-bench-ingest-"))
    source = scratch / "register.csv"
    start = time.perf_counter()
    generate(source, args.rows, args.encoding)
    print(f"generated {args.rows} rows, {source.stat().st_size / 2**20:.0f} MiB "
          f"in {time.perf_counter() - start:.0f} s")  # fmt: skip
    results = {"govhub": measure("govhub", source)}
    if args.encoding == "utf-8":
        results["peer"] = measure("peer", source)
    print(f"{'tool':<8} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'peak RSS MiB':>13}")
    for name, r in results.items():
        print(f"{name:<8} {r['rows']:>10} {r['seconds']:>8} {r['rows_per_second']:>10} "
              f"{r['peak_rss_mib']:>13}")  # fmt: skip
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "rows": args.rows,
        "encoding": args.encoding,
        "csv_bytes": source.stat().st_size,
        "results": results,
    }
    out = HERE / "results" / "ingest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(HERE.parent)}")
    if not args.keep:
        source.unlink()
        scratch.rmdir()


if __name__ == "__main__":
    main()
