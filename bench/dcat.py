"""Benchmark the DCAT-AP export: build and serialize a catalog of 10,000 open datasets.

    .venv/bin/python bench/dcat.py [--datasets 10000] [--validate 100]

Builds the rdflib graph of `--datasets` synthetic open datasets (public views with bilingual
text, two themes, three keywords, a division, a temporal period and four distributions each,
as the export makes them) in memory, serializes it as Turtle, JSON-LD and RDF/XML, and times
each step and the output size. Then validates one page of `--validate` datasets with pyshacl
against the DCAT-AP 3.0.1 shapes, which is what a harvester-side check costs. The database is
left out: the export reads one page of 100 rows per request, which is not where time goes.

Prints a table and writes bench/results/dcat.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from rdflib import Graph
from rdflib.namespace import SH

from govhub.data.catalog.schemas import ResourcePublicRead
from govhub.data.opendata import dcat

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "dcat.json"
SHAPES = HERE.parents[1] / "shared" / "testdata" / "dcat-ap"
BASE = "https://data.example.gov.cn"
THEMES = ["economy", "market", "health", "transport", "environment", "education"]
FREQUENCIES = ["daily", "weekly", "monthly", "quarterly", "annual"]


def synthetic(n: int) -> list[dcat.PublicDataset]:
    """Return `n` open datasets with realistic metadata."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    datasets = []
    for i in range(n):
        view: dict[str, Any] = {
            "id": uuid.UUID(int=i + 1),
            "identifier": f"D{i % 40:02d}-SCJG-{i:05d}",
            "version": 1 + i % 5,
            "title": f"企业登记信息第{i}号数据集",
            "title_en": f"Enterprise register, part {i}",
            "description": "市场监督管理局登记的企业基本信息，按月更新，已去标识化。" * 2,
            "description_en": "Basic information of registered enterprises, de-identified. " * 2,
            "department": {"id": uuid.UUID(int=10_000 + i % 40), "code": f"D{i % 40:02d}-SCJG",
                           "name": f"第{i % 40}市场监督管理局",
                           "name_en": f"Market bureau {i % 40}"},
            "division_codes": [f"33{i % 11 + 1:02d}00"],
            "update_frequency": FREQUENCIES[i % len(FREQUENCIES)],
            "temporal_start": date(2020, 1, 1),
            "temporal_end": date(2024, 12, 31),
            "keywords": ["企业", "登记", f"k{i % 97}"],
            "themes": sorted({THEMES[i % 6], THEMES[(i + 1) % 6]}),
            "opening_type": "open",
            "license": "CC-BY-4.0",
            "quality_grade": "A",
            "fields": [{"name": "qymc", "type": "string", "description": "企业名称",
                        "element_code": "uscc" if i % 2 else None}],
            "updated_at": start + timedelta(minutes=i),
        }  # fmt: skip
        resource = ResourcePublicRead.model_validate(view)
        datasets.append(
            dcat.PublicDataset(resource=resource, issued=start, modified=resource.updated_at)
        )
    return datasets


def page_graph(datasets: list[dcat.PublicDataset]) -> Graph:
    """Build the catalog graph of all `datasets` as one page."""
    page = dcat.CatalogPage(datasets=datasets, total=len(datasets), page=1,
                            page_size=len(datasets), modified=datasets[-1].modified)  # fmt: skip
    return dcat.catalog_graph(
        page, base_url=BASE, page_url=lambda n: f"{BASE}/catalog.ttl?page={n}", divisions={}
    )


def timed(rows: list[dict[str, Any]], step: str, work: Callable[[], Any]) -> Any:
    """Run `work`, keep its wall and CPU time as a row, print the row at once; return its result."""
    began, cpu = time.perf_counter(), time.process_time()
    result = work()
    row: dict[str, Any] = {
        "step": step,
        "seconds": round(time.perf_counter() - began, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "mb": round(len(result) / 1e6, 2) if isinstance(result, bytes) else None,
    }
    rows.append(row)
    mb = f"{row['mb']:.1f}" if row["mb"] is not None else "-"
    print(f"{step:<36} {row['seconds']:>8.2f} {row['cpu_seconds']:>8.2f} {mb:>8}", flush=True)
    return result


def main() -> None:
    """Run the benchmark and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--validate", type=int, default=100)
    args = parser.parse_args()

    print(f"DCAT-AP export of {args.datasets:,} datasets (wall and CPU seconds)")
    print(f"{'step':<36} {'wall s':>8} {'CPU s':>8} {'MB':>8}")
    datasets = synthetic(args.datasets)
    rows: list[dict[str, Any]] = []
    graph = timed(rows, "build graph", lambda: page_graph(datasets))
    for syntax in dcat.Syntax:
        timed(rows, f"serialize {syntax.value}", partial(dcat.serialize, graph, syntax))
    conforms = None
    if SHAPES.is_dir() and args.validate:
        from pyshacl import validate  # noqa: PLC0415 - a dev tool, imported only when used

        shapes = Graph()
        for name in ("dcat-ap-3.0.1-SHACL.ttl", "dcat-ap-3.0.1-ranges.ttl"):
            shapes.parse(SHAPES / name, format="turtle")
        for shape, prop in list(shapes.subject_objects(SH.property)):
            if (prop, SH.path, None) not in shapes:  # five dangling references upstream
                shapes.remove((shape, SH.property, prop))
        small = page_graph(datasets[: args.validate])
        report = timed(
            rows,
            f"pyshacl, {args.validate} datasets",
            lambda: validate(small, shacl_graph=shapes, allow_warnings=True),
        )
        conforms = bool(report[0])
        print(f"conforms: {conforms}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"datasets": args.datasets, "triples": len(graph), "conforms": conforms,
             "python": platform.python_version(), "machine": platform.machine(),
             "rows": rows}, indent=2,
        ) + "\n"
    )  # fmt: skip


if __name__ == "__main__":
    main()
