"""A look at the head of a file before it is loaded: format, encoding, delimiter, column types,
the first rows and data-element suggestions for every column."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from govhub.data.catalog.models import Resource
from govhub.data.ingest.csvfile import read_dialect
from govhub.data.ingest.pipeline import describe_schema
from govhub.data.ingest.readers import Format, detect_format, read_batches
from govhub.data.ingest.settings import get_ingest_settings
from govhub.data.standards import service as standards_service
from govhub.data.standards.schemas import ColumnSample, MappingRequest

ROWS_SHOWN = 10
SAMPLES = 200


@dataclass
class ColumnPreview:
    """A column: its name, type, and the element suggested (or already mapped) for it."""

    name: str
    type: str
    suggestions: list[tuple[str, float]]
    chosen: str | None


@dataclass
class Preview:
    """What the wizard shows of a file before loading it."""

    format: str
    encoding: str | None
    delimiter: str | None
    columns: list[ColumnPreview]
    rows: list[list[str]]
    warnings: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    return "" if value is None else str(value)[:80]


def preview_file(session: Session, path: Path, *, filename: str, resource: Resource) -> Preview:
    """Read the head of a file (raises `BadFile` as a load would) and suggest a mapping."""
    base = get_ingest_settings()
    settings = base.model_copy(
        update={"csv_block_bytes": 64 * 1024, "batch_rows": SAMPLES, "row_group_rows": SAMPLES}
    )
    fmt = detect_format(path, filename)
    encoding = delimiter = None
    if fmt is Format.CSV:
        dialect = read_dialect(path)
        encoding, delimiter = dialect.encoding, dialect.delimiter
    warnings: list[str] = []
    batch = next(iter(read_batches(path, fmt, settings=settings, warnings=warnings)))
    head = batch.slice(0, SAMPLES).to_pylist()
    names = batch.schema.names
    types = {c["name"]: c["type"] for c in describe_schema(batch.schema)}
    request = MappingRequest(
        columns=[
            ColumnSample(
                name=name[:128] or "column",
                samples=[_text(r[name]) or None for r in head][:SAMPLES],
            )
            for name in names
        ][:500]
    )
    suggested = standards_service.suggest_mapping(session, data=request)
    mapped = {str(f["name"]): f.get("element_code") for f in resource.fields}
    columns = []
    for name, found in zip(names, suggested.columns, strict=False):
        options = [(s.element_code, s.confidence) for s in found.suggestions]
        chosen = mapped.get(name) or (options[0][0] if options and options[0][1] >= 0.5 else None)
        columns.append(ColumnPreview(name, types[name], options, chosen))
    rows = [[_text(r[name]) for name in names] for r in head[:ROWS_SHOWN]]
    return Preview(fmt.value, encoding, delimiter, columns, rows, warnings)
