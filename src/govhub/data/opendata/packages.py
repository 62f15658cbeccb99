"""Public datasets as CKAN packages, organizations and groups, and CKAN's package search.

A package is a public catalog resource; its CKAN resources are the published dataset versions
(each a CSV download and a DataStore table); its organization is the owner department, its
groups the themes, its tags the keywords. Search speaks the part of Solr's syntax that CKAN
clients and harvesters send: `q`, `fq` clauses (`field:value`, `field:"quoted"`, ranges
`field:[a TO *]`, `+`/`-` prefixes), `sort=field dir, ...`, `rows`, `start` and facets.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    false,
    func,
    literal,
    not_,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators

from govhub.data.catalog import search as catalog_search
from govhub.data.catalog.labels import THEMES
from govhub.data.catalog.models import (
    DatasetVersion,
    Resource,
    ResourceTheme,
    Theme,
    UpdateFrequency,
)
from govhub.data.opendata import service
from govhub.data.opendata.errors import SearchQueryError
from govhub.data.opendata.releases import gate
from govhub.identity.models import Department

_CLAUSE = re.compile(
    r"\s*(?P<sign>[+-]?)(?P<field>[A-Za-z_][A-Za-z0-9_.]*):"
    r'(?P<value>[\[{][^\]}]*[\]}]|"(?:[^"\\]|\\.)*"|[^\s"\[\]{}()]+)\s*'
)
_RANGE = re.compile(r"^([\[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])$")
_SORT = re.compile(r"^\s*([A-Za-z_]+)\s+(asc|desc)\s*$", re.IGNORECASE)
FACETS = ("organization", "groups", "tags", "res_format", "license_id")
FORMAT = "CSV"
# Fields whose value is the same for every public dataset.
_CONSTANT = {
    "res_format": "csv",
    "dataset_type": "dataset",
    "type": "dataset",
    "capacity": "public",
    "state": "active",
}


# --- CKAN dictionaries -----------------------------------------------------------------------


def ckan_time(value: datetime) -> str:
    """Render a timestamp as CKAN does: UTC, ISO 8601, without an offset."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat()


class Organization(NamedTuple):
    """What a CKAN organization shows of a department."""

    id: uuid.UUID
    code: str
    name: str
    name_en: str
    created_at: datetime


def organization_dict(
    department: Department | Organization, count: int | None = None
) -> dict[str, Any]:
    """Return a department as a CKAN organization."""
    result: dict[str, Any] = {
        "id": str(department.id),
        "name": service.ckan_name(department.code),
        "title": department.name,
        "title_en": department.name_en,
        "display_name": department.name,
        "description": "",
        "image_url": "",
        "created": ckan_time(department.created_at),
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
        "type": "organization",
    }
    if count is not None:
        result["package_count"] = count
    return result


def group_dict(theme: Theme, count: int | None = None) -> dict[str, Any]:
    """Return a theme as a CKAN group."""
    result: dict[str, Any] = {
        "id": theme.value,
        "name": theme.value,
        "title": THEMES[theme.value],
        "display_name": THEMES[theme.value],
        "description": "",
        "image_url": "",
        "is_organization": False,
        "approval_status": "approved",
        "state": "active",
        "type": "group",
    }
    if count is not None:
        result["package_count"] = count
    return result


def resource_dict(
    package_id: uuid.UUID, title: str, version: DatasetVersion, *, position: int, base_url: str
) -> dict[str, Any]:
    """Return a dataset version of the package `package_id` as a CKAN resource (a CSV
    distribution with a DataStore)."""
    download = f"{base_url}/api/opendata/download/{version.id}"
    return {
        "id": str(version.id),
        "package_id": str(package_id),
        "name": f"{title} v{version.version}",
        "description": f"Version {version.version}, {version.row_count} rows",
        "format": FORMAT,
        "mimetype": "text/csv",
        "url": f"{download}.csv",
        "parquet_url": f"{download}.parquet",
        "url_type": None,
        "hash": version.digest,
        "created": ckan_time(version.created_at),
        "last_modified": ckan_time(version.created_at),
        "metadata_modified": ckan_time(version.created_at),
        "position": position,
        "state": "active",
        "datastore_active": True,
        "rows": version.row_count,
    }


def _package_rows(session: Session, ids: Sequence[uuid.UUID]) -> list[Any]:
    """Read what CKAN packages show of the resources `ids`, their department and themes as
    plain rows (loading them as ORM objects cost three times as much), and whether the public
    may read their raw versions."""
    query = (
        select(
            Resource.id,
            Resource.identifier,
            Resource.title,
            Resource.title_en,
            Resource.description,
            Resource.description_en,
            Resource.version,
            Resource.license,
            Resource.keywords,
            Resource.update_frequency,
            Resource.division_codes,
            Resource.quality_grade,
            Resource.temporal_start,
            Resource.temporal_end,
            Resource.created_at,
            Resource.updated_at,
            Resource.department_id,
            Department.code.label("department_code"),
            Department.name.label("department_name"),
            Department.name_en.label("department_name_en"),
            Department.created_at.label("department_created_at"),
            _themes_of_resource().label("themes"),
            gate.raw_public_column().label("raw_public"),
        )
        .join(Department, Department.id == Resource.department_id)
        .where(Resource.id.in_(ids))
    )
    return list(session.execute(query))


def package_dict(row: Any, versions: Sequence[DatasetVersion], *, base_url: str) -> dict[str, Any]:
    """Return a public resource, read by `_package_rows`, as a CKAN package."""
    modified = max([row.updated_at, *(v.created_at for v in versions)])
    tags = [{"name": k, "display_name": k, "state": "active"} for k in row.keywords]
    extras = [
        {"key": "update_frequency", "value": row.update_frequency.value},
        {"key": "identifier", "value": row.identifier},
        {"key": "spatial_divisions", "value": ",".join(row.division_codes)},
    ]
    if row.quality_grade:
        extras.append({"key": "quality_grade", "value": row.quality_grade})
    if row.temporal_start:
        extras.append({"key": "temporal_start", "value": row.temporal_start.isoformat()})
    if row.temporal_end:
        extras.append({"key": "temporal_end", "value": row.temporal_end.isoformat()})
    department = Organization(
        row.department_id,
        row.department_code,
        row.department_name,
        row.department_name_en,
        row.department_created_at,
    )
    themes = sorted(row.themes.split(",")) if row.themes else []
    return {
        "id": str(row.id),
        "name": service.ckan_name(row.identifier),
        "title": row.title,
        "title_en": row.title_en,
        "notes": row.description,
        "notes_en": row.description_en,
        "type": "dataset",
        "state": "active",
        "private": False,
        "version": str(row.version),
        "url": "",
        "license_id": row.license,
        "license_title": row.license,
        "metadata_created": ckan_time(row.created_at),
        "metadata_modified": ckan_time(modified),
        "owner_org": str(row.department_id),
        "organization": organization_dict(department),
        "groups": [group_dict(Theme(theme)) for theme in themes],
        "tags": tags,
        "num_tags": len(tags),
        "resources": [
            resource_dict(row.id, row.title, v, position=i, base_url=base_url)
            for i, v in enumerate(versions)
        ],
        "num_resources": len(versions),
        "extras": extras,
    }


def package_dicts(
    session: Session, ids: Sequence[uuid.UUID], *, base_url: str
) -> list[dict[str, Any]]:
    """Return the public resources `ids` as CKAN packages, in the same order."""
    if not ids:
        return []
    rows = {row.id: row for row in _package_rows(session, ids)}
    raw = {rid for rid, row in rows.items() if row.raw_public}
    versions = service.versions_of(session, list(rows), raw=raw)
    return [package_dict(rows[i], versions[i], base_url=base_url) for i in ids]


# --- search ----------------------------------------------------------------------------------


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _when(text: str) -> datetime | None:
    if text == "*":
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchQueryError(f"cannot read the date {text[:40]!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _range(column: Any, value: str) -> ColumnElement[bool]:
    match = _RANGE.match(value)
    if match is None:
        raise SearchQueryError(f"expected a range like [2024-01-01T00:00:00Z TO *]: {value[:60]}")
    opening, low_text, high_text, closing = match.groups()
    low, high = _when(low_text), _when(high_text)
    parts: list[ColumnElement[bool]] = []
    if low is not None:
        parts.append(column >= low if opening == "[" else column > low)
    if high is not None:
        parts.append(column <= high if closing == "]" else column < high)
    return and_(true(), *parts)


def _json_holds(column: Any, value: str) -> ColumnElement[bool]:
    """True when a JSON list column holds `value` (matched on the stored JSON text)."""
    return cast(column, String).contains(json.dumps(value), autoescape=True)


def _identity_clause(field: str, value: str) -> ColumnElement[bool]:
    """Return the condition on a dataset's or its organization's id or name."""
    if field == "name":
        return func.lower(Resource.identifier) == value.lower()
    if field == "organization":
        by_name = select(Department.id).where(func.lower(Department.code) == value.lower())
        return Resource.department_id.in_(by_name)
    try:
        key = uuid.UUID(value)
    except ValueError:
        return false()
    return Resource.id == key if field == "id" else Resource.department_id == key


def _attribute_clause(field: str, value: str) -> ColumnElement[bool]:
    """Return the condition on a theme, keyword, licence, frequency or the text."""
    if field == "groups":
        if value not in {t.value for t in Theme}:
            return false()
        return Resource.id.in_(
            select(ResourceTheme.resource_id).where(ResourceTheme.theme == value)
        )
    if field == "tags":
        return _json_holds(Resource.keywords, value)
    if field == "license_id":
        return Resource.license == value
    if field == "update_frequency":
        known = {f.value for f in UpdateFrequency}
        return Resource.update_frequency == value if value in known else false()
    if field == "text":
        return catalog_search.matches(value)
    raise SearchQueryError(f"unknown field {field[:40]!r}")


def _clause(field: str, raw: str) -> ColumnElement[bool]:
    """Return the condition of one `field:value` clause."""
    if field == "metadata_modified":
        return _range(service.modified_column(), raw)
    if field == "metadata_created":
        return _range(Resource.created_at, raw)
    value = _unquote(raw)
    if value == "*":
        return true()
    if field in _CONSTANT:
        return true() if value.lower() == _CONSTANT[field] else false()
    if field in {"id", "name", "organization", "owner_org"}:
        return _identity_clause(field, value)
    return _attribute_clause(field, value)


def parse_clauses(text: str) -> list[ColumnElement[bool]]:
    """Parse `fq` (or a fielded `q`) into conditions; raise `SearchQueryError` if malformed."""
    conditions: list[ColumnElement[bool]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        if text.startswith("*:*", position):
            position += 3
            continue
        word = re.match(r"\s*(AND|&&)\s+", text[position:])
        if word and conditions:
            position += word.end()
            continue
        match = _CLAUSE.match(text, position)
        if match is None or match.end() == position:
            raise SearchQueryError(f"cannot parse the query at {text[position : position + 40]!r}")
        condition = _clause(match["field"], match["value"])
        conditions.append(not_(condition) if match["sign"] == "-" else condition)
        position = match.end()
    return conditions


def query_conditions(q: str) -> list[ColumnElement[bool]]:
    """Return the conditions of `q`: fielded clauses, `*:*`, or free text."""
    q = q.strip()
    if not q or q == "*:*":
        return []
    if _CLAUSE.match(q) or q.startswith("*:*"):
        try:
            return parse_clauses(q)
        except SearchQueryError:
            pass
    return [catalog_search.matches(q)]


def sort_order(text: str) -> list[Any]:
    """Parse `sort` (`field asc|desc`, comma-separated) into ORDER BY terms."""
    columns: dict[str, Any] = {
        "id": Resource.id,
        "name": Resource.identifier,
        "title": Resource.title,
        "title_string": Resource.title,
        "metadata_modified": service.modified_column(),
        "metadata_created": Resource.created_at,
    }
    order: list[Any] = []
    for part in text.split(","):
        if not part.strip():
            raise SearchQueryError(f"cannot parse the sort {text[:60]!r}")
        match = _SORT.match(part)
        if match is None:
            raise SearchQueryError(f"cannot parse the sort {part.strip()[:60]!r}")
        field, direction = match[1], match[2].lower()
        if field == "score":
            continue
        if field not in columns:
            raise SearchQueryError(f"cannot sort by {field[:40]!r}")
        column = columns[field]
        order.append(column.asc() if direction == "asc" else column.desc())
    return order


@dataclass
class Search:
    """A parsed package search."""

    conditions: list[ColumnElement[bool]]
    order: list[Any]
    rows: int
    start: int
    facet_fields: list[str]
    facet_limit: int


@dataclass
class _Matches:
    """What the facets count, read once for all matching datasets, and the page's ids."""

    count: int
    departments: Counter[uuid.UUID]
    licenses: Counter[str]
    tags: Counter[str]
    themes: Counter[str]
    page: list[uuid.UUID]


def _themes_of_resource() -> Any:
    """A correlated subquery: a resource's themes as one comma-separated text."""
    return (
        select(func.aggregate_strings(cast(ResourceTheme.theme, String), ","))
        .where(ResourceTheme.resource_id == Resource.id)
        .correlate(Resource)
        .scalar_subquery()
    )


def _matches(session: Session, where: ColumnElement[bool], search: Search) -> _Matches:
    """Read what the facets count and the page's ids in one statement.

    The matching datasets are evaluated once, into a common table expression (both SQLite and
    PostgreSQL materialize one that is read twice) holding each match's department, licence,
    keywords (as JSON text, decoded in one call) and themes (from the themes' primary key),
    and the sort keys. From it come the page, numbered in the search's order, and one row per
    match for the facets, which are counted in C (`Counter` over iterables). Evaluating the
    matches a second time for the page cost as much as the facet pass itself.
    """
    tags, themes = "tags" in search.facet_fields, "groups" in search.facet_fields
    keys = [term.element.label(f"k{i}") for i, term in enumerate(search.order)]
    # Identifiers as their stored text: a UUID object per match cost more than the query.
    found = service.public_select(
        cast(Resource.id, String).label("id"),
        cast(Resource.department_id, String).label("department"),
        Resource.license.label("license"),
        (cast(Resource.keywords, String) if tags else null()).label("keywords"),
        (_themes_of_resource() if themes else null()).label("themes"),
        *keys,
    ).where(where)
    matched = found.cte("matched")
    order = [
        matched.c[key.name].desc() if _descending(term) else matched.c[key.name].asc()
        for key, term in zip(keys, search.order, strict=True)
    ]
    position = func.row_number().over(order_by=[*order, matched.c.id]).label("position")
    page = (
        select(position, matched.c.id, null(), null(), null())
        .order_by(position)
        .limit(search.rows)
        .offset(search.start)
        .subquery()
    )
    rows = session.execute(
        union_all(
            select(page),
            select(
                literal(0),
                matched.c.department,
                matched.c.license,
                matched.c.keywords,
                matched.c.themes,
            ),
        )
    ).all()
    facet_rows = [row for row in rows if not row[0]]
    page_rows = sorted((row for row in rows if row[0]), key=lambda row: row[0])
    result = _Matches(
        count=len(facet_rows),
        departments=Counter(
            {uuid.UUID(k): n for k, n in Counter(row[1] for row in facet_rows).items()}
        ),
        licenses=Counter(row[2] for row in facet_rows if row[2]),
        tags=Counter(),
        themes=Counter(),
        page=[uuid.UUID(row[1]) for row in page_rows],
    )
    if tags and facet_rows:
        decoded = json.loads("[" + ",".join(row[3] or "[]" for row in facet_rows) + "]")
        result.tags = Counter(chain.from_iterable(set(keywords) for keywords in decoded))
    if themes:
        result.themes = Counter(
            chain.from_iterable(row[4].split(",") for row in facet_rows if row[4])
        )
    return result


def _descending(term: Any) -> bool:
    """Whether an ORDER BY term of `sort_order` sorts descending."""
    return term.modifier is operators.desc_op


def _facet_rows(session: Session, field: str, matches: _Matches) -> list[tuple[str, str, int]]:
    """Return (name, display name, count) of one facet over the matching resources."""
    if field == "organization":
        departments = session.scalars(
            select(Department).where(Department.id.in_(list(matches.departments)))
        )
        return [
            (service.organization_name(d), d.name, matches.departments[d.id]) for d in departments
        ]
    if field == "groups":
        return [(t, THEMES[t], n) for t, n in matches.themes.items()]
    if field == "license_id":
        return [(name, name, n) for name, n in matches.licenses.items()]
    if field == "res_format":
        return [(FORMAT, FORMAT, matches.count)] if matches.count else []
    if field == "tags":
        return [(name, name, n) for name, n in matches.tags.items()]
    return []


def _page(
    session: Session, where: ColumnElement[bool], search: Search
) -> tuple[list[uuid.UUID], int]:
    """Return the ids of the page's datasets in order, and how many match in all.

    When the order needs a sort anyway, the total rides along as a window count, so the
    matches are evaluated once; in primary-key order (how harvesters page) the page stops
    early, so a count of its own is cheaper.
    """

    def ids(*columns: Any) -> list[Any]:
        return service.page_rows(
            session, where, search.order, *columns, limit=search.rows, offset=search.start
        )

    def count() -> int:
        return session.scalar(service.public_select(func.count()).where(where)) or 0

    by_id = len(search.order) == 1 and search.order[0].compare(Resource.id.asc())
    if not by_id:
        rows = ids(func.count().over()) if search.rows > 0 else []
        return ([row[0] for row in rows], int(rows[0][1])) if rows else ([], count())
    total = count()
    wanted = search.rows > 0 and search.start < total
    return ([row[0] for row in ids()] if wanted else []), total


def run_search(session: Session, search: Search, *, base_url: str) -> dict[str, Any]:
    """Run a package search over public datasets; return CKAN's result dictionary."""
    where = and_(true(), *search.conditions)
    matches = _matches(session, where, search) if search.facet_fields else None
    if matches is None:
        ids, count = _page(session, where, search)
    else:
        ids, count = matches.page, matches.count
    results = package_dicts(session, ids, base_url=base_url)
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, Any] = {}
    chosen = [(f, matches) for f in search.facet_fields] if matches is not None else []
    for field, found in chosen:
        rows = sorted(_facet_rows(session, field, found), key=lambda r: (-r[2], r[0]))
        if search.facet_limit >= 0:
            rows = rows[: search.facet_limit]
        facets[field] = {name: n for name, _, n in rows}
        search_facets[field] = {
            "title": field,
            "items": [{"name": name, "display_name": shown, "count": n} for name, shown, n in rows],
        }
    return {
        "count": count,
        "results": results,
        "facets": facets,
        "search_facets": search_facets,
        "sort": None,
    }


def list_names(session: Session, *, limit: int | None, offset: int) -> list[str]:
    """Return the CKAN names of the public datasets, by name."""
    query = (
        select(Resource.identifier)
        .where(service.public_condition())
        .order_by(Resource.identifier)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return [service.ckan_name(i) for i in session.scalars(query)]


def theme_counts(session: Session) -> dict[Theme, int]:
    """Return how many public datasets each theme holds (every theme, zero included)."""
    rows = session.execute(
        select(ResourceTheme.theme, func.count())
        .join(Resource, Resource.id == ResourceTheme.resource_id)
        .where(service.public_condition())
        .group_by(ResourceTheme.theme)
    )
    found = {theme: int(n) for theme, n in rows}
    return {theme: found.get(theme, 0) for theme in Theme}


def theme_packages(session: Session, theme: Theme, *, limit: int) -> list[Resource]:
    """Return the first public datasets of a theme, by name."""
    query = (
        select(Resource)
        .join(ResourceTheme, ResourceTheme.resource_id == Resource.id)
        .where(ResourceTheme.theme == theme, service.public_condition())
        .order_by(Resource.identifier)
        .limit(limit)
    )
    return list(session.scalars(query))


def department_packages(session: Session, department: Department, *, limit: int) -> list[Resource]:
    """Return the first public datasets of a department, by name."""
    query = (
        select(Resource)
        .where(Resource.department_id == department.id, service.public_condition())
        .order_by(Resource.identifier)
        .limit(limit)
    )
    return list(session.scalars(query))


def tag_names(session: Session) -> list[str]:
    """Return the distinct keywords of the public datasets, sorted."""
    found: set[str] = set()
    for keywords in session.scalars(select(Resource.keywords).where(service.public_condition())):
        found.update(keywords)
    return sorted(found)
