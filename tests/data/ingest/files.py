"""Real files of every supported format, generated for the ingestion tests."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from faker import Faker
from openpyxl import Workbook

HEADER = ["tyshxydm", "qymc", "fddbr", "zczb", "clrq"]


def enterprises(n: int, seed: int = 7) -> list[list[Any]]:
    """Return `n` rows of an enterprise register with Chinese names (Faker zh_CN)."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return [
        [
            f"91330100MA{i:07d}X",
            fake.company(),
            fake.name(),
            fake.random_int(10, 100_000),
            fake.date_between(date(1990, 1, 1), date(2024, 12, 31)).isoformat(),
        ]
        for i in range(n)
    ]


def write_csv(
    path: Path,
    rows: list[list[Any]],
    *,
    header: list[str] = HEADER,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    """Write a delimited text file in `encoding` and return its path."""
    lines = [delimiter.join(header)] + [delimiter.join(str(v) for v in row) for row in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[Any]], *, header: list[str] = HEADER) -> Path:
    """Write a one-sheet workbook with openpyxl and return its path."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_ndjson(path: Path, rows: list[list[Any]], *, header: list[str] = HEADER) -> Path:
    """Write one JSON object per line and return the path."""
    lines = [json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_json_array(path: Path, rows: list[list[Any]], *, header: list[str] = HEADER) -> Path:
    """Write a JSON array of objects and return the path."""
    data = [dict(zip(header, row, strict=True)) for row in rows]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def write_parquet(path: Path, rows: list[list[Any]], *, header: list[str] = HEADER) -> Path:
    """Write a Parquet file in several row groups and return the path."""
    table = pa.Table.from_pylist([dict(zip(header, row, strict=True)) for row in rows])
    pq.write_table(table, path, row_group_size=max(len(rows) // 3, 1))
    return path


def write_zip_bomb(path: Path, unpacked: int = 50 * 1024 * 1024) -> Path:
    """Write an 'xlsx' whose one sheet part inflates `unpacked` bytes of zeros."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"0" * (1 << 20)
            for _ in range(unpacked // len(chunk)):
                member.write(chunk)
    return path
