"""Readers of every supported format, each yielding pyarrow record batches of one schema."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from govhub.data.ingest.csvfile import read_csv
from govhub.data.ingest.errors import BadFile
from govhub.data.ingest.rows import RowBatcher
from govhub.data.ingest.settings import IngestSettings

Progress = Callable[[int], None]


class Format(StrEnum):
    """The file formats ingestion reads."""

    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"
    NDJSON = "ndjson"
    PARQUET = "parquet"


_SUFFIXES = {
    ".csv": Format.CSV,
    ".tsv": Format.CSV,
    ".txt": Format.CSV,
    ".xlsx": Format.XLSX,
    ".json": Format.JSON,
    ".ndjson": Format.NDJSON,
    ".jsonl": Format.NDJSON,
    ".parquet": Format.PARQUET,
}


def detect_format(path: Path, filename: str) -> Format:
    """Return the format of a file from its name, or from its first bytes when the name is mute."""
    suffix = Path(filename).suffix.lower()
    if suffix in _SUFFIXES:
        found = _SUFFIXES[suffix]
        if found is Format.JSON and _first_char(path) == "{":
            return Format.NDJSON
        return found
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PAR1":
        return Format.PARQUET
    if magic.startswith(b"PK"):
        return Format.XLSX
    first = _first_char(path)
    if first == "[":
        return Format.JSON
    if first == "{":
        return Format.NDJSON
    if suffix in {".xls", ".zip", ".gz", ".pdf", ".docx"}:
        raise BadFile("unsupported", f"{suffix} files cannot be ingested")
    return Format.CSV


def _first_char(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1].decode("latin-1")


def read_batches(
    path: Path,
    fmt: Format,
    *,
    settings: IngestSettings,
    warnings: list[str],
    progress: Progress | None = None,
) -> Iterator[pa.RecordBatch]:
    """Yield the record batches of a file of format `fmt`."""
    if fmt is Format.CSV:
        yield from read_csv(
            path, block_bytes=settings.csv_block_bytes, progress=progress, warnings=warnings
        )
    elif fmt is Format.XLSX:
        yield from read_xlsx(path, settings=settings, warnings=warnings, progress=progress)
    elif fmt is Format.JSON:
        yield from read_json_array(path, settings=settings, warnings=warnings, progress=progress)
    elif fmt is Format.NDJSON:
        yield from read_ndjson(path, settings=settings, warnings=warnings, progress=progress)
    else:
        yield from read_parquet(path, settings=settings, progress=progress)


# --- xlsx --------------------------------------------------------------------------------------


def check_zip(path: Path, settings: IngestSettings) -> None:
    """Refuse a zip whose members declare too much data, before anything is decompressed."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise BadFile("malformed", "the file is not a valid xlsx workbook") from None
    total = sum(member.file_size for member in members)
    if total > settings.xlsx_max_unpacked_bytes:
        raise BadFile(
            "zip_bomb",
            f"the workbook unpacks to {total} bytes, over the limit of "
            f"{settings.xlsx_max_unpacked_bytes}",
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > settings.xlsx_max_ratio:
            raise BadFile(
                "zip_bomb",
                f"a workbook part expands {ratio:.0f} times, over the limit of "
                f"{settings.xlsx_max_ratio:.0f}",
            )


def read_xlsx(
    path: Path, *, settings: IngestSettings, warnings: list[str], progress: Progress | None
) -> Iterator[pa.RecordBatch]:
    """Yield the rows of the first worksheet of an xlsx workbook; its first row names columns."""
    check_zip(path, settings)
    from openpyxl import load_workbook  # noqa: PLC0415 - only loads with an xlsx file

    with path.open("rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds of error for a broken workbook
            raise BadFile("malformed", "the workbook cannot be opened") from None
        try:
            if len(workbook.worksheets) > 1:
                warnings.append(f"read the first of {len(workbook.worksheets)} worksheets")
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            try:
                yield from _sheet_batches(rows, settings=settings, warnings=warnings)
            finally:
                rows.close()
            if progress is not None:
                progress(path.stat().st_size)
        finally:
            workbook.close()


def _sheet_batches(
    rows: Iterator[tuple[Any, ...]], *, settings: IngestSettings, warnings: list[str]
) -> Iterator[pa.RecordBatch]:
    header: list[str] | None = None
    batcher: RowBatcher | None = None
    for line, row in enumerate(rows, start=1):
        values = list(row)
        if all(value is None or value == "" for value in values):
            continue
        if header is None or batcher is None:
            while values and values[-1] is None:
                values.pop()
            header = _names(values, warnings)
            batcher = RowBatcher(header, batch_rows=settings.batch_rows, warnings=warnings)
            continue
        width = len(header)
        if any(value is not None for value in values[width:]):
            raise BadFile(
                "ragged",
                f"a row has values in {len(values)} columns where the header names {width}",
                line=line,
            )
        values = (values + [None] * width)[:width]
        batch = batcher.add(values, line)
        if batch is not None:
            yield batch
    if batcher is None:
        raise BadFile("empty", "the worksheet is empty")
    yield from batcher.finish()


def _names(values: list[Any], warnings: list[str]) -> list[str]:
    names: list[str] = []
    for index, value in enumerate(values, start=1):
        name = str(value).strip() if value is not None else ""
        if not name:
            name = f"column_{index}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        if name != base:
            warnings.append(f"duplicate column {base!r} renamed {name!r}")
        names.append(name)
    return names


# --- JSON --------------------------------------------------------------------------------------


def _record_batches(
    records: Iterator[tuple[int, Any]], *, settings: IngestSettings, warnings: list[str]
) -> Iterator[pa.RecordBatch]:
    """Batch JSON objects; the first batch's keys are the columns, later keys must be among them."""
    pending: list[tuple[int, dict[str, Any]]] = []
    batcher: RowBatcher | None = None
    for line, record in records:
        if not isinstance(record, dict):
            raise BadFile("malformed", "every record must be a JSON object", line=line)
        if batcher is None:
            pending.append((line, record))
            if len(pending) < settings.batch_rows:
                continue
            batcher = _batcher_for(pending, settings, warnings)
            yield from _feed(batcher, pending)
            pending = []
            continue
        yield from _feed(batcher, [(line, record)])
    if batcher is None:
        if not pending:
            raise BadFile("empty", "the file holds no records")
        batcher = _batcher_for(pending, settings, warnings)
        yield from _feed(batcher, pending)
    yield from batcher.finish()


def _batcher_for(
    pending: list[tuple[int, dict[str, Any]]], settings: IngestSettings, warnings: list[str]
) -> RowBatcher:
    columns: dict[str, None] = {}
    for _, record in pending:
        columns.update(dict.fromkeys(record))
    return RowBatcher(list(columns), batch_rows=settings.batch_rows, warnings=warnings)


def _feed(
    batcher: RowBatcher, records: list[tuple[int, dict[str, Any]]]
) -> Iterator[pa.RecordBatch]:
    known = set(batcher.columns)
    for line, record in records:
        extra = [key for key in record if key not in known]
        if extra:
            raise BadFile(
                "ragged",
                f"a record has the field {extra[0]!r}, absent from the first records",
                line=line,
                column=extra[0],
            )
        batch = batcher.add([record.get(name) for name in batcher.columns], line)
        if batch is not None:
            yield batch


def read_ndjson(
    path: Path, *, settings: IngestSettings, warnings: list[str], progress: Progress | None
) -> Iterator[pa.RecordBatch]:
    """Yield the records of a newline-delimited JSON file, one object per line."""

    def records() -> Iterator[tuple[int, Any]]:
        with path.open("rb") as handle:
            for line, raw in enumerate(handle, start=1):
                if progress is not None:
                    progress(len(raw))
                if not raw.strip():
                    continue
                try:
                    yield line, json.loads(raw.decode("utf-8-sig" if line == 1 else "utf-8"))
                except UnicodeDecodeError:
                    raise BadFile("encoding", "JSON must be UTF-8 text", line=line) from None
                except json.JSONDecodeError as error:
                    raise BadFile("malformed", f"invalid JSON: {error.msg}", line=line) from None

    yield from _record_batches(records(), settings=settings, warnings=warnings)


def read_json_array(
    path: Path, *, settings: IngestSettings, warnings: list[str], progress: Progress | None
) -> Iterator[pa.RecordBatch]:
    """Yield the records of a JSON array of objects (parsed whole: prefer NDJSON for big data)."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BadFile("encoding", "JSON must be UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise BadFile("malformed", f"invalid JSON: {error.msg}", line=error.lineno) from None
    if progress is not None:
        progress(path.stat().st_size)
    if not isinstance(data, list):
        raise BadFile("malformed", "a JSON file must hold an array of objects (or use NDJSON)")
    warnings.append("JSON arrays are parsed whole; NDJSON streams")
    yield from _record_batches(
        ((index, item) for index, item in enumerate(data, start=1)),
        settings=settings,
        warnings=warnings,
    )


# --- Parquet -----------------------------------------------------------------------------------


def read_parquet(
    path: Path, *, settings: IngestSettings, progress: Progress | None
) -> Iterator[pa.RecordBatch]:
    """Yield the record batches of a Parquet file."""
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError):
        raise BadFile("malformed", "the file is not a valid Parquet file") from None
    size, total = path.stat().st_size, max(parquet.metadata.num_rows, 1)
    try:
        for batch in parquet.iter_batches(batch_size=settings.batch_rows):
            if progress is not None:
                progress(size * batch.num_rows // total)
            yield batch
    except (pa.ArrowInvalid, OSError):
        raise BadFile("malformed", "the Parquet file is damaged") from None
    finally:
        parquet.close()
