"""Benchmark the open-data portal: the de-identification of its release gate (``--deid``).

    .venv/bin/pip install -e '.[bench]'          # anonypy, the peer
    .venv/bin/python bench/opendata.py --deid                 # ours; anonypy at k = 5
    .venv/bin/python bench/opendata.py --deid --peer-k 2 5 10 20 --peer-l --peer-t

De-identification: the UCI Adult extract (30,162 records, ../shared/testdata/adult) with the 8
quasi-identifiers and ARX's hierarchies of ARX's benchmark, at k = 2, 5, 10, 20, then 5-anonymity
with recursive-(4,3)-diversity and with 0.2-closeness (equal distance) on occupation, no record
suppression (and 5-anonymity with a 1% suppression limit). For each: the branch-and-bound search
(`govhub.privacy.anonymity.search`, the best of `--repeat` runs; the time covers building the
lattice and the search, not reading the file nor encoding the values), its information loss
(ARX's Loss metric, the one the search minimizes) and the nodes it checked, against the
exhaustive search over all 4,320 nodes (same levels, same loss), with the release confirmed by
pycanon (k, distinct l, t). The peer anonypy (Mondrian, multidimensional local recoding) runs
in the same process on the same records; its loss is the same metric applied to its partitions
(a partition's categorical value set or age range, counted in hierarchy leaves). anonypy takes
minutes per run on Adult, so only k = 5 runs by default.

With ``--local``: our Mondrian local recoding (`govhub.privacy.anonymity.mondrian`) at the same
settings (no suppression), its loss on the same metric beside the full-domain optimum's and
anonypy's (at ``--peer-k``), each release confirmed by pycanon; written to ``deid_local``.

    .venv/bin/python bench/opendata.py --deid --local --repeat 1

Prints a table and writes the ``deid`` section of bench/results/opendata.json (other sections
of that file are kept).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from govhub.privacy.anonymity import (
    KAnonymity,
    Lattice,
    RecursiveCLDiversity,
    TCloseness,
    apply,
    exhaustive_search,
    hierarchies,
    search,
)
from govhub.privacy.anonymity.dataset import encode
from govhub.privacy.anonymity.models import Criterion
from govhub.privacy.anonymity.mondrian import anonymize_local

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "opendata.json"
ADULT = ROOT.parent / "shared" / "testdata" / "adult"
QIS = (
    "age",
    "education",
    "marital-status",
    "native-country",
    "race",
    "salary-class",
    "sex",
    "workclass",
)
SENSITIVE = "occupation"
ARX_FLASH_MS = 28.4


def configurations() -> list[tuple[str, list[Criterion], float]]:
    """Return the benchmark's settings: name, criteria, suppression limit."""
    out: list[tuple[str, list[Criterion], float]] = [
        (f"k={k}", [KAnonymity(k)], 0.0) for k in (2, 5, 10, 20)
    ]
    out.append(("k=5, rec-(4,3)-div", [KAnonymity(5), RecursiveCLDiversity(SENSITIVE, 4, 3)], 0.0))
    out.append(("k=5, 0.2-closeness", [KAnonymity(5), TCloseness(SENSITIVE, 0.2)], 0.0))
    out.append(("k=5, 1% suppression", [KAnonymity(5)], 0.01))
    return out


def load_adult(folder: Path) -> tuple[pa.Table, dict[str, hierarchies.Hierarchy]]:
    """Read the Adult records (as strings) and ARX's hierarchies of its quasi-identifiers."""
    names = [*QIS, SENSITIVE]
    table = pacsv.read_csv(
        folder / "adult.csv",
        parse_options=pacsv.ParseOptions(delimiter=";"),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
    )
    trees = {q: hierarchies.load_csv(folder / f"adult_hierarchy_{q}.csv", q) for q in QIS}
    return table, trees


def ours(
    table: pa.Table,
    trees: dict[str, hierarchies.Hierarchy],
    criteria: list[Criterion],
    limit: float,
    repeat: int,
) -> dict[str, Any]:
    """Measure our fast and exhaustive searches and confirm the release with pycanon."""
    started = time.perf_counter()
    encoded = encode(table, trees, [SENSITIVE])
    encode_ms = (time.perf_counter() - started) * 1000
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        lattice = Lattice(encoded, criteria, suppression_limit=limit)
        result = search(lattice)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    if result is None or result.optimum is None:
        raise SystemExit(f"no optimum for {criteria}")
    lattice = Lattice(encoded, criteria, suppression_limit=limit)
    full = exhaustive_search(lattice)
    if full.optimum is None:
        raise SystemExit(f"the exhaustive search found no optimum for {criteria}")
    optimum = result.optimum
    release = apply(
        table, trees, criteria, dict(zip(QIS, optimum.levels, strict=True)), suppression_limit=limit
    )
    return {
        "levels": dict(zip(QIS, optimum.levels, strict=True)),
        "loss": optimum.loss,
        "precision": optimum.precision,
        "discernibility": optimum.discernibility,
        "average_class_size": optimum.average_class_size,
        "classes": optimum.classes,
        "suppressed": optimum.suppressed,
        "search_ms_best": min(walls),
        "search_ms_median": statistics.median(walls),
        "search_cpu_ms_best": min(cpus),
        "encode_ms": encode_ms,
        "nodes_total": result.nodes_total,
        "nodes_checked": result.nodes_checked,
        "nodes_tagged": result.nodes_tagged,
        "exhaustive_ms": full.seconds * 1000,
        "exhaustive_levels": dict(zip(QIS, full.optimum.levels, strict=True)),
        "exhaustive_loss": full.optimum.loss,
        "same_as_exhaustive": full.optimum.levels == optimum.levels
        and abs(full.optimum.loss - optimum.loss) < 1e-12,
        "pycanon": confirm(release.table, criteria),
        "risk": release.report.risk.as_dict(),
    }


def confirm(released: pa.Table, criteria: Sequence[Criterion]) -> dict[str, float]:
    """Return k (and distinct l, t where asked) of a released table as pycanon computes them."""
    from pycanon import anonymity as canon  # noqa: PLC0415 - a dev tool, imported when used

    frame = released.select([*QIS, SENSITIVE]).to_pandas()
    out = {"k": float(canon.k_anonymity(frame, list(QIS)))}
    for criterion in criteria:
        if isinstance(criterion, RecursiveCLDiversity):
            out["l_distinct"] = float(canon.l_diversity(frame, list(QIS), [SENSITIVE]))
        if isinstance(criterion, TCloseness):
            out["t"] = float(canon.t_closeness(frame, list(QIS), [SENSITIVE]))
    return out


def anonypy_run(
    table: pa.Table,
    trees: dict[str, hierarchies.Hierarchy],
    *,
    k: int,
    l_: int = 0,
    p: float = 0.0,
) -> dict[str, Any]:
    """Run anonypy's Mondrian partitioning and measure its loss on our metric."""
    from anonypy import Mondrian  # noqa: PLC0415 - the optional peer

    frame = table.select([*QIS, SENSITIVE]).to_pandas()
    frame["age"] = frame["age"].astype(int)
    for column in [*QIS, SENSITIVE]:
        if column != "age":
            frame[column] = frame[column].astype("category")
    wall, cpu = time.perf_counter(), time.process_time()
    partitions = Mondrian(frame, list(QIS), SENSITIVE).partition(k, l_, p)
    seconds = time.perf_counter() - wall
    cpu_seconds = time.process_time() - cpu
    loss_sum = 0.0
    sizes = []
    generalized = {q: np.empty(len(frame), dtype=object) for q in QIS}
    ages = np.asarray([int(v) for v in trees["age"].leaves])
    for part in partitions:
        rows = part.to_numpy()
        sizes.append(len(rows))
        for q in QIS:
            values = frame[q].to_numpy()[rows]
            leaves = len(trees[q].leaves)
            if q == "age":
                low, high = int(values.min()), int(values.max())
                covered = int(((ages >= low) & (ages <= high)).sum())
                label = f"{low}-{high}"
            else:
                distinct = sorted({str(v) for v in values})
                covered = len(distinct)
                label = ",".join(distinct)
            loss_sum += len(rows) * (covered - 1) / (leaves - 1)
            generalized[q][rows] = label
    released = pa.table(
        {**{q: generalized[q].tolist() for q in QIS}, SENSITIVE: table.column(SENSITIVE)}
    )
    from pycanon import anonymity as canon  # noqa: PLC0415

    checked = released.to_pandas()
    confirmed = {"k": float(canon.k_anonymity(checked, list(QIS)))}
    if l_:
        confirmed["l_distinct"] = float(canon.l_diversity(checked, list(QIS), [SENSITIVE]))
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "partitions": len(partitions),
        "smallest": min(sizes),
        "loss": loss_sum / (len(frame) * len(QIS)),
        "pycanon": confirmed,
    }


def local(
    table: pa.Table,
    trees: dict[str, hierarchies.Hierarchy],
    criteria: list[Criterion],
    repeat: int,
) -> dict[str, Any]:
    """Measure our Mondrian local recoding and confirm the release with pycanon."""
    walls, cpus = [], []
    release = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        release = anonymize_local(table, trees, criteria)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    if release is None:
        raise SystemExit("choose --repeat 1 or more")
    report = release.report
    return {
        "loss": report.loss,
        "classes": report.classes,
        "average_class_size": report.average_class_size,
        "ms_best": min(walls),
        "cpu_ms_best": min(cpus),
        "pycanon": confirm(release.table, criteria),
        "risk": report.risk.as_dict(),
    }


def deid_local(args: argparse.Namespace) -> dict[str, Any]:
    """Run Mondrian local recoding against full-domain generalization and anonypy."""
    table, trees = load_adult(Path(args.adult))
    rows: list[dict[str, Any]] = []
    print(
        f"{'setting':<22} {'local ms':>9} {'loss':>7} {'classes':>7} {'k':>5} "
        f"{'full loss':>9} {'anonypy s':>9} {'loss':>7}"
    )
    for name, criteria, limit in configurations():
        if limit:
            continue
        entry: dict[str, Any] = {"setting": name}
        entry["mondrian"] = local(table, trees, criteria, args.repeat)
        optimum = search(Lattice(encode(table, trees, [SENSITIVE]), criteria)).optimum
        entry["full_domain_loss"] = optimum.loss if optimum is not None else None
        peer = None
        single = name.startswith("k=") and "," not in name
        if not args.no_peer and single and int(name[2:]) in args.peer_k:
            peer = anonypy_run(table, trees, k=int(name[2:]))
        entry["anonypy"] = peer
        rows.append(entry)
        m = entry["mondrian"]
        peer_text = (
            f"{peer['seconds']:>9.1f} {peer['loss']:>7.4f}" if peer else f"{'-':>9} {'-':>7}"
        )
        print(
            f"{name:<22} {m['ms_best']:>9.0f} {m['loss']:>7.4f} {m['classes']:>7} "
            f"{m['pycanon']['k']:>5.0f} {entry['full_domain_loss'] or 1.0:>9.4f} {peer_text}",
            flush=True,
        )
    return {
        "dataset": "UCI Adult, 30,162 records, ARX hierarchies",
        "algorithm": "Mondrian multidimensional local recoding (govhub.privacy.anonymity.mondrian)",
        "metric": "loss (ARX Loss over each class's value set or numeric range, in leaves)",
        "repeat": args.repeat,
        "rows": rows,
    }


def deid(args: argparse.Namespace) -> dict[str, Any]:
    """Run the de-identification benchmark and return its section of the results."""
    folder = Path(args.adult)
    table, trees = load_adult(folder)
    rows: list[dict[str, Any]] = []
    for name, criteria, limit in configurations():
        entry = {"setting": name, "suppression_limit": limit}
        entry["govhub"] = ours(table, trees, criteria, limit, args.repeat)
        peer = None
        if not args.no_peer:
            if name.startswith("k=") and "," not in name and int(name[2:]) in args.peer_k:
                peer = anonypy_run(table, trees, k=int(name[2:]))
            elif name.startswith("k=5, rec") and args.peer_l:
                peer = anonypy_run(table, trees, k=5, l_=3)
            elif name.startswith("k=5, 0.2") and args.peer_t:
                peer = anonypy_run(table, trees, k=5, p=0.2)
        entry["anonypy"] = peer
        rows.append(entry)
        print_row(entry)
    return {
        "dataset": "UCI Adult, 30,162 records, ARX hierarchies",
        "quasi_identifiers": list(QIS),
        "sensitive": SENSITIVE,
        "metric": "loss (ARX Loss: (leaves under the class - 1)/(leaves - 1), suppressed = 1)",
        "repeat": args.repeat,
        "arx_flash_ms_k5_published": ARX_FLASH_MS,
        "rows": rows,
    }


def print_row(entry: dict[str, Any]) -> None:
    """Print one line of the table."""
    g = entry["govhub"]
    peer = entry["anonypy"]
    peer_text = (
        f"{peer['seconds'] * 1000:>9.0f} {peer['loss']:>7.4f} {peer['loss'] / g['loss']:>6.2f}x"
        if peer
        else f"{'-':>9} {'-':>7} {'-':>7}"
    )
    print(
        f"{entry['setting']:<22} {g['search_ms_best']:>7.1f} {g['search_cpu_ms_best']:>7.1f} "
        f"{g['nodes_checked']:>5}/{g['nodes_total']} {g['loss']:>7.4f} "
        f"{g['exhaustive_ms']:>8.0f} {'yes' if g['same_as_exhaustive'] else 'NO':>4} "
        f"{g['pycanon']['k']:>5.0f} {peer_text}",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the chosen sections, write the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deid", action="store_true", help="run the de-identification part")
    parser.add_argument("--adult", default=str(ADULT), help="folder of the Adult extract")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each search (best kept)")
    parser.add_argument(
        "--peer-k", type=int, nargs="*", default=[5], help="k at which anonypy runs"
    )
    parser.add_argument("--peer-l", action="store_true", help="also run anonypy with l = 3")
    parser.add_argument("--peer-t", action="store_true", help="also run anonypy with p = 0.2")
    parser.add_argument("--no-peer", action="store_true", help="skip anonypy")
    parser.add_argument(
        "--local", action="store_true", help="run Mondrian local recoding (with --deid)"
    )
    args = parser.parse_args(argv)
    if not args.deid:
        parser.error("choose a section to run: --deid")
    results: dict[str, Any] = {}
    if RESULTS.exists():
        results = json.loads(RESULTS.read_text(encoding="utf-8"))
    if args.local:
        section = deid_local(args)
        section["machine"] = {"python": sys.version.split()[0], "platform": platform.platform()}
        section["when"] = datetime.now(UTC).isoformat(timespec="seconds")
        results["deid_local"] = section
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return 0
    print(
        f"{'setting':<22} {'ms':>7} {'cpu ms':>7} {'checked':>10} {'loss':>7} "
        f"{'exh. ms':>8} {'same':>4} {'k':>5} {'anonypy ms':>9} {'loss':>7} {'ratio':>7}"
    )
    section = deid(args)
    section["machine"] = {"python": sys.version.split()[0], "platform": platform.platform()}
    section["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["deid"] = section
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    agree = all(row["govhub"]["same_as_exhaustive"] for row in section["rows"])
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
