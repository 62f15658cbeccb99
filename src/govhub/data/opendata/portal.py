"""What the public portal shows: dataset search with facets, and one dataset's page.

Search runs over the public datasets only (`service.public_condition()`), in Chinese and
English through the catalog's segmented search terms. Its facet counts (theme, department,
update frequency; formats are the four every public dataset offers) come from one statement:
the grouped counts of each facet joined with `UNION ALL`, so a search costs three round trips
(facets, page, the page's departments) however many facets there are.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow.compute as pc
from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    false,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from govhub.core.errors import NotFound
from govhub.core.storage import Storage
from govhub.data.catalog import search as catalog_search
from govhub.data.catalog.models import (
    DatasetVersion,
    Resource,
    ResourceTheme,
    Theme,
    UpdateFrequency,
)
from govhub.data.opendata import datastore, service
from govhub.identity.models import Department

PAGE_SIZE = 20
PREVIEW_ROWS = 10
CHART_BARS = 12
FORMATS = ("csv", "json", "parquet", "xlsx")
FORMAT_LABELS = {"csv": "CSV", "json": "JSON", "parquet": "Parquet", "xlsx": "Excel"}
SORTS = ("recent", "title", "name")


@dataclass
class PortalQuery:
    """A search of the portal: free text and the chosen facet values."""

    text: str = ""
    theme: Theme | None = None
    department: str = ""  # the department's CKAN name (its code, lower-cased)
    fmt: str = ""
    frequency: UpdateFrequency | None = None
    sort: str = "recent"
    page: int = 1


@dataclass
class PortalResult:
    """One page of matching public datasets, their total and the facet counts."""

    total: int
    items: list[Resource]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """How many pages the matches fill."""
        return max(1, -(-self.total // PAGE_SIZE))


def _department_condition(name: str) -> ColumnElement[bool]:
    wanted = select(Department.id).where(func.lower(Department.code) == name.lower())
    return Resource.department_id.in_(wanted)


def conditions(query: PortalQuery) -> list[ColumnElement[bool]]:
    """Return the conditions on `Resource` of a portal query (public ones are added later)."""
    found: list[ColumnElement[bool]] = []
    if query.text.strip():
        found.append(catalog_search.matches(query.text.strip()))
    if query.theme is not None:
        themed = select(ResourceTheme.resource_id).where(ResourceTheme.theme == query.theme)
        found.append(Resource.id.in_(themed))
    if query.department:
        found.append(_department_condition(query.department))
    if query.frequency is not None:
        found.append(Resource.update_frequency == query.frequency)
    if query.fmt and query.fmt not in FORMATS:
        found.append(false())
    return found


def facet_counts(session: Session, where: ColumnElement[bool]) -> dict[str, list[tuple[str, int]]]:
    """Count the matching public datasets by theme, department and frequency in one query.

    One `GROUP BY department, frequency` (both facets are sums over its rows) and one
    `GROUP BY theme`, joined with `UNION ALL`.
    """
    pairs = (
        service.public_select(
            literal("pair"),
            cast(Resource.department_id, String),
            cast(Resource.update_frequency, String),
            func.count(),
        )
        .where(where)
        .group_by(Resource.department_id, Resource.update_frequency)
    )
    themes = (
        service.public_select(
            literal("theme"), cast(ResourceTheme.theme, String), null(), func.count()
        )
        .join(ResourceTheme, ResourceTheme.resource_id == Resource.id)
        .where(where)
        .group_by(ResourceTheme.theme)
    )
    departments: Counter[str] = Counter()
    frequencies: Counter[str] = Counter()
    by_theme: Counter[str] = Counter()
    rows: list[Any] = list(session.execute(union_all(pairs, themes)))
    for kind, value, frequency, n in rows:
        if kind == "theme":
            by_theme[str(value)] += int(n)
            continue
        departments[str(value)] += int(n)
        frequencies[str(frequency)] += int(n)

    def ranked(counts: Counter[str]) -> list[tuple[str, int]]:
        return sorted(counts.items(), key=lambda row: (-row[1], row[0]))

    return {
        "department": ranked(departments),
        "frequency": ranked(frequencies),
        "theme": ranked(by_theme),
    }


def _order(sort: str) -> list[Any]:
    if sort == "title":
        return [Resource.title.asc()]
    if sort == "name":
        return [Resource.identifier.asc()]
    return [Resource.published_at.desc()]


def search(session: Session, query: PortalQuery) -> PortalResult:
    """Search the public datasets; return a page of them with the facet counts."""
    where = and_(true(), *conditions(query))
    facets = facet_counts(session, where)
    # Every public dataset has exactly one update frequency: their counts sum to the total.
    total = sum(n for _, n in facets["frequency"])
    facets["format"] = [(fmt, total) for fmt in FORMATS] if total else []
    if query.fmt and query.fmt not in FORMATS:
        facets["format"] = []
    items: list[Resource] = []
    start = (query.page - 1) * PAGE_SIZE
    if start < total:
        order = _order(query.sort)
        rows = service.page_rows(session, where, order, limit=PAGE_SIZE, offset=start)
        items = service.resources_in_order(session, [row[0] for row in rows])
    ids = {uuid.UUID(value) for value, _ in facets["department"]}
    departments = {
        str(d.id): d for d in session.scalars(select(Department).where(Department.id.in_(ids)))
    }
    return PortalResult(total=total, items=items, facets=facets, departments=departments)


def recent(session: Session, *, limit: int = 5) -> list[Resource]:
    """Return the most recently published public datasets."""
    query = (
        service.public_select(Resource)
        .order_by(Resource.published_at.desc(), Resource.id)
        .limit(limit)
    )
    return list(session.scalars(query))


# --- one dataset -----------------------------------------------------------------------------


@dataclass
class Preview:
    """The first rows of a dataset version and a chart of one of its columns."""

    columns: list[dict[str, str]]
    rows: list[list[Any]]
    chart_column: str | None
    chart: list[tuple[str, int]]


def latest_version(session: Session, resource: Resource) -> DatasetVersion:
    """Return the newest published version of a public resource."""
    newest = session.scalar(
        select(DatasetVersion)
        .where(DatasetVersion.resource_id == resource.id)
        .order_by(DatasetVersion.version.desc())
        .limit(1)
    )
    if newest is None:  # pragma: no cover - public resources have a version by definition
        raise NotFound(service.NOT_FOUND)
    return newest


def _chart_column(columns: list[dict[str, str]], resource: Resource) -> str | None:
    """Choose the column to chart: a division code, else a text column after the first."""
    names = {c["id"] for c in columns}
    for description in resource.fields:
        name = str(description.get("name", ""))
        division = description.get("element_code") == "division_code"
        if name in names and (division or name.lower().endswith(("qh", "division"))):
            return name
    texts = [c["id"] for c in columns if c["type"] == "text"]
    return texts[1] if len(texts) > 1 else (texts[0] if texts else None)


def preview(storage: Storage, resource: Resource, version: DatasetVersion) -> Preview:
    """Read the first rows of a version and count its rows by one column (top values)."""
    request = datastore.SearchRequest(
        filters={}, q=None, limit=PREVIEW_ROWS, offset=0, fields=None, sort=[],
        include_total=False,
    )  # fmt: skip
    found = datastore.search(storage, version.storage_key, request, row_count=version.row_count)
    columns = [{"id": str(f["id"]), "type": str(f["type"])} for f in found["fields"]]
    rows = [[record[c["id"]] for c in columns] for record in found["records"]]
    column = _chart_column(columns[1:], resource)
    chart: list[tuple[str, int]] = []
    if column is not None:
        table = datastore.arrow_dataset(storage, version.storage_key).to_table(columns=[column])
        counted = pc.value_counts(table.column(column)).to_pylist()
        ranked = sorted(
            ((str(item["values"]), int(item["counts"])) for item in counted),
            key=lambda pair: (-pair[1], pair[0]),
        )
        chart = ranked[:CHART_BARS]
    return Preview(columns=columns, rows=rows, chart_column=column, chart=chart)
