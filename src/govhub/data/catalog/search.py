"""Full-text search of the catalog in Chinese and English, the same on SQLite and PostgreSQL.

Why a terms table rather than the databases' own full-text search: neither SQLite's FTS5 nor
PostgreSQL's `tsvector` segments Chinese (both see a run of hanzi as one word), and each would
need its own query code. Instead, when a resource is written its text is segmented here with
jieba's search mode (which yields the words and their shorter dictionary sub-words: 市场监督管理局
→ 市场, 监督, 管理, 管理局, ...) and English words are lower-cased and reduced to their
singular (`registers`, `register` → `register`; `companies` → `company`); the distinct terms go into
`catalog_search_terms(resource_id, term)`, indexed by term. A query is segmented with jieba's
precise mode, whose words are a subset of what search mode produced for the same text, and a
resource matches when it holds every query term: plain `IN` subqueries every database runs
well, and exact term lookups on an index.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jieba  # type: ignore[import-untyped]
from sqlalchemy import ColumnElement, and_, delete, func, insert, select, true
from sqlalchemy.orm import Session

from govhub.data.catalog import scope
from govhub.data.catalog.models import (
    OpeningType,
    Resource,
    ResourceTheme,
    SearchTerm,
    SharingType,
    Theme,
)
from govhub.data.catalog.schemas import FacetCount, SearchResult
from govhub.identity.models import Department
from govhub.identity.principal import Principal

jieba.setLogLevel(logging.WARNING)

MAX_TERM = 64
MAX_QUERY_TERMS = 12
_WORD = re.compile(r"[0-9a-z\u3400-\u9fff][0-9a-z\u3400-\u9fff_\-]*")
# Words too common to narrow a search.
STOPWORDS = frozenset(
    {"的", "和", "与", "及", "或", "在", "of", "and", "the", "a", "an", "in", "for"}
)


def singular(word: str) -> str:
    """Reduce an English plural to its singular by the common rules (other words unchanged)."""
    if not word.isascii() or not word.isalpha() or len(word) <= 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _terms(tokens: Iterable[str]) -> list[str]:
    """Keep each distinct useful token once, in order: lower-cased, English in the singular."""
    seen: dict[str, None] = {}
    for token in tokens:
        for word in _WORD.findall(token.lower()):
            if word in STOPWORDS or (word.isascii() and len(word) < 2):
                continue
            seen.setdefault(singular(word)[:MAX_TERM], None)
    return list(seen)


def document_terms(*texts: str) -> list[str]:
    """Return the search terms of a resource's texts (jieba search mode plus English words)."""
    joined = "\n".join(t for t in texts if t)
    return _terms(jieba.cut_for_search(joined))


def query_terms(text: str) -> list[str]:
    """Return the terms a query must all match (jieba precise mode), at most twelve."""
    return _terms(jieba.cut(text))[:MAX_QUERY_TERMS]


def resource_texts(resource: Resource) -> list[str]:
    """Return the texts of a resource that search covers."""
    field_texts = [f"{f.get('name', '')} {f.get('description', '')}" for f in resource.fields]
    return [
        resource.identifier,
        resource.title,
        resource.title_en,
        resource.description,
        resource.description_en,
        " ".join(resource.keywords),
        *field_texts,
    ]


def index_resource(session: Session, resource: Resource) -> None:
    """Replace the stored search terms of `resource` with those of its current text."""
    session.execute(delete(SearchTerm).where(SearchTerm.resource_id == resource.id))
    terms = document_terms(*resource_texts(resource))
    if terms:
        session.execute(
            insert(SearchTerm), [{"resource_id": resource.id, "term": t} for t in terms]
        )


def matches(text: str) -> ColumnElement[bool]:
    """Return a condition on `Resource` true when the resource holds every term of `text`."""
    terms = query_terms(text)
    if not terms:
        return true()
    return and_(
        *(
            Resource.id.in_(select(SearchTerm.resource_id).where(SearchTerm.term == term))
            for term in terms
        )
    )


FACETS = ("department", "theme", "sharing_type", "opening_type", "quality_grade")


# --- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a catalog search asks for."""

    text: str = ""
    department_id: uuid.UUID | None = None
    theme: Theme | None = None
    sharing_type: SharingType | None = None
    opening_type: OpeningType | None = None
    quality_grade: str | None = None
    limit: int = 20
    offset: int = 0
    facets: tuple[str, ...] = field(default=FACETS)


def _filters(query: SearchQuery, principal: Principal | None) -> dict[str, ColumnElement[bool]]:
    """The condition of each facet filter the query sets, by facet name."""
    conditions: dict[str, ColumnElement[bool]] = {}
    if query.department_id is not None:
        conditions["department"] = Resource.department_id == query.department_id
    if query.theme is not None:
        conditions["theme"] = Resource.id.in_(
            select(ResourceTheme.resource_id).where(ResourceTheme.theme == query.theme)
        )
    if query.sharing_type is not None:
        # Sharing types are not public metadata: only resources in scope reveal theirs.
        conditions["sharing_type"] = and_(
            scope.in_scope(principal), Resource.sharing_type == query.sharing_type
        )
    if query.opening_type is not None:
        conditions["opening_type"] = Resource.opening_type == query.opening_type
    if query.quality_grade is not None:
        conditions["quality_grade"] = Resource.quality_grade == query.quality_grade
    return conditions


def _facet_counts(
    session: Session, name: str, where: ColumnElement[bool], principal: Principal | None
) -> list[FacetCount]:
    column: Any
    if name == "department":
        column = Resource.department_id
        query = select(column, func.count()).where(where)
    elif name == "theme":
        column = ResourceTheme.theme
        query = select(column, func.count()).join(Resource).where(where)
    elif name == "sharing_type":
        column = Resource.sharing_type
        query = select(column, func.count()).where(and_(where, scope.in_scope(principal)))
    else:
        column = getattr(Resource, name)
        query = select(column, func.count()).where(and_(where, column.is_not(None)))
    rows = session.execute(query.group_by(column)).all()
    counts = [FacetCount(value=str(value), count=count) for value, count in rows]
    counts.sort(key=lambda c: (-c.count, c.value))
    return counts


def search_resources(
    session: Session, *, principal: Principal | None, query: SearchQuery
) -> SearchResult:
    """Search the resources the principal sees, with counts per facet value.

    Each facet's counts apply every other filter but its own, so a user can see what
    choosing another value of that facet would give.
    """
    base = and_(scope.visible(principal), matches(query.text) if query.text else true())
    filters = _filters(query, principal)
    where = and_(base, *filters.values())
    total = session.scalar(select(func.count()).select_from(Resource).where(where)) or 0
    rows = session.scalars(
        select(Resource)
        .where(where)
        .order_by(Resource.updated_at.desc(), Resource.identifier)
        .limit(query.limit)
        .offset(query.offset)
    )
    facets = {
        name: _facet_counts(
            session,
            name,
            and_(base, *(c for key, c in filters.items() if key != name)),
            principal,
        )
        for name in query.facets
    }
    return SearchResult(
        items=[scope.to_schema(resource, principal) for resource in rows],
        total=total,
        limit=query.limit,
        offset=query.offset,
        facets=facets,
    )


def department_names(session: Session, ids: Sequence[str]) -> dict[str, Department]:
    """Return the departments behind a department facet's values, by id."""
    wanted = [uuid.UUID(i) for i in ids]
    if not wanted:
        return {}
    rows = session.scalars(select(Department).where(Department.id.in_(wanted)))
    return {str(d.id): d for d in rows}
