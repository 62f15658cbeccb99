"""Full-text search of the catalog in Chinese and English, the same on SQLite and PostgreSQL.

Why a terms table rather than the databases' own full-text search: neither SQLite's FTS5 nor
PostgreSQL's `tsvector` segments Chinese (both see a run of hanzi as one word), and each would
need its own query code. Instead, when a resource is written its text is segmented here with
jieba's search mode (which yields the words and their shorter dictionary sub-words: 市场监督管理局
→ 市场, 监督, 管理, 管理局, ...) and English words are lower-cased; the distinct terms go into
`catalog_search_terms(resource_id, term)`, indexed by term. A query is segmented with jieba's
precise mode, whose words are a subset of what search mode produced for the same text, and a
resource matches when it holds every query term: plain `IN` subqueries every database runs
well, and exact term lookups on an index.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import jieba  # type: ignore[import-untyped]
from sqlalchemy import ColumnElement, and_, delete, insert, select, true
from sqlalchemy.orm import Session

from govhub.data.catalog.models import Resource, SearchTerm

jieba.setLogLevel(logging.WARNING)

MAX_TERM = 64
MAX_QUERY_TERMS = 12
_WORD = re.compile(r"[0-9a-z\u3400-\u9fff][0-9a-z\u3400-\u9fff_\-]*")
# Words too common to narrow a search.
STOPWORDS = frozenset(
    {"的", "和", "与", "及", "或", "在", "of", "and", "the", "a", "an", "in", "for"}
)


def _terms(tokens: Iterable[str]) -> list[str]:
    """Keep each distinct useful token once, in order: lower-cased word characters."""
    seen: dict[str, None] = {}
    for token in tokens:
        for word in _WORD.findall(token.lower()):
            if word in STOPWORDS or (word.isascii() and len(word) < 2):
                continue
            seen.setdefault(word[:MAX_TERM], None)
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
