"""Benchmark the exchange gateway over a dataset encrypted at rest against the same one in clear.

    .venv/bin/python bench/encryption.py [--rows 1000000] [--requests 100]

Runs bench/exchange.py's scratch platform twice in the same run, once with
GOVHUB_VAULT_MODE=off (the version stored as plain Parquet) and once with the default
(`personal`: the register holds names and ID numbers, so the version is sealed), each in a child
process with its own server. Measures, over HTTP: the first page after the server starts (it
pays the one decryption of the version), page latency p50/p99 after that, and the masked
Parquet export in rows/s. Prints a table with the encrypted/plain ratios and writes
bench/results/encryption.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import exchange as gateway  # noqa: E402 - the sibling benchmark's platform and measures

RESULTS = HERE / "results" / "encryption.json"


def child(mode: str, rows: int, requests: int) -> dict[str, Any]:
    """Build, serve and measure one mode; return the numbers."""
    scratch = Path(tempfile.mkdtemp(prefix=f"govhub-bench-vault-{mode}-"))
    env = {**gateway.environment(scratch), "GOVHUB_VAULT_MODE": mode}
    os.environ.update(env)
    built = gateway.build(scratch, rows)
    from govhub.core.storage import get_storage  # noqa: PLC0415 - after the settings
    from govhub.privacy import vault  # noqa: PLC0415

    sealed = vault.read_pointer(get_storage(), built["storage_key"]) is not None
    port = gateway.free_port()
    server = gateway.serve(env, port)
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/api/v1/exchange/resources/{built['resource_id']}/query"
    try:
        with httpx.Client(timeout=120) as client:
            start = time.perf_counter()
            response = client.post(
                url, json=gateway.QUERY, headers={"Authorization": f"Bearer {built['token']}"}
            )
            first_ms = round((time.perf_counter() - start) * 1000, 1)
            response.raise_for_status()
        _, gateways, page_rows = gateway.measure_pages({"gateway": base}, built, requests)
        page = gateways["gateway"]["latency"]
        export = gateway.measure_export(base, built)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "mode": mode,
        "sealed": sealed,
        "first_page_ms": first_ms,
        "page": page,
        "page_rows": page_rows,
        "export_parquet_masked": export,
    }


def main() -> None:
    """Run both modes, compare, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--child", choices=["off", "personal"])
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.requests)))
        return
    runs: dict[str, dict[str, Any]] = {}
    for mode in ("off", "personal"):
        command = [sys.executable, __file__, "--child", mode, "--rows", str(args.rows),
                   "--requests", str(args.requests)]  # fmt: skip
        out = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
        runs[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    plain, sealed = runs["off"], runs["personal"]
    if plain["sealed"] or not sealed["sealed"]:
        raise SystemExit("the two runs did not store the version plain and sealed")
    ratio = {
        "page_p50": round(sealed["page"]["p50_ms"] / plain["page"]["p50_ms"], 2),
        "page_p99": round(sealed["page"]["p99_ms"] / plain["page"]["p99_ms"], 2),
        "export_rows_per_second": round(
            sealed["export_parquet_masked"]["rows_per_second"]
            / plain["export_parquet_masked"]["rows_per_second"],
            2,
        ),
        "first_page": round(sealed["first_page_ms"] / plain["first_page_ms"], 2),
    }
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "rows": args.rows,
        "plain": plain,
        "encrypted": sealed,
        "encrypted_over_plain": ratio,
    }
    print(f"{'measure':<36} {'plain':>12} {'encrypted':>12} {'ratio':>7}")
    for label, a, b, r in (
        ("first page after start (ms)", plain["first_page_ms"], sealed["first_page_ms"],
         ratio["first_page"]),
        ("page p50 (ms)", plain["page"]["p50_ms"], sealed["page"]["p50_ms"], ratio["page_p50"]),
        ("page p99 (ms)", plain["page"]["p99_ms"], sealed["page"]["p99_ms"], ratio["page_p99"]),
        ("export Parquet, masked (rows/s)", plain["export_parquet_masked"]["rows_per_second"],
         sealed["export_parquet_masked"]["rows_per_second"], ratio["export_rows_per_second"]),
    ):  # fmt: skip
        print(f"{label:<36} {a!s:>12} {b!s:>12} {r!s:>7}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
