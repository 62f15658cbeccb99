"""A search with facets pages exactly as the same search without them, and counts only what
the public may see."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from govhub.data.opendata import packages, service
from tests.data.opendata.conftest import Catalog, publish
from tests.factories import World

FACETS = ["organization", "groups", "tags", "license_id", "res_format"]
SORTS = ["", "title asc", "title desc, name asc", "metadata_modified desc", "id asc", "name desc"]


def _search(q: str, fq: str, sort: str, *, rows: int, start: int, facets: bool) -> Any:
    conditions = packages.query_conditions(q) + (packages.parse_clauses(fq) if fq else [])
    return packages.Search(
        conditions=conditions,
        order=packages.sort_order(sort) if sort else [service.modified_column().desc()],
        rows=rows,
        start=start,
        facet_fields=FACETS if facets else [],
        facet_limit=-1,
    )


@pytest.fixture
def more(session: Session, world: World, tmp_path: Path, catalog: Catalog) -> Catalog:
    """The catalog with seven more public datasets sharing titles, keywords and themes."""
    for i in range(7):
        publish(
            session, world, tmp_path, opening_type="open", title=f"企业年报{i % 3}",
            keywords=["企业", f"年报{i % 2}"], themes=["market"] if i % 2 else ["credit", "health"],
            license="CC0-1.0" if i % 3 else "CC-BY-4.0",
        )  # fmt: skip
    session.flush()
    return catalog


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize(("q", "fq"), [("", ""), ("企业", ""), ("", "groups:market")])
def test_facets_do_not_change_the_pages(
    session: Session, more: Catalog, q: str, fq: str, sort: str
) -> None:
    everything = packages.run_search(
        session, _search(q, fq, sort, rows=1000, start=0, facets=False), base_url="http://x"
    )
    ordered = [p["id"] for p in everything["results"]]
    assert everything["count"] == len(ordered) > 1
    for start in (0, 2, 4, len(ordered) - 1, len(ordered) + 3):
        faceted = packages.run_search(
            session, _search(q, fq, sort, rows=3, start=start, facets=True), base_url="http://x"
        )
        assert faceted["count"] == everything["count"]
        assert [p["id"] for p in faceted["results"]] == ordered[start : start + 3]


def test_facets_count_every_public_match_and_nothing_else(session: Session, more: Catalog) -> None:
    found = packages.run_search(
        session, _search("企业", "", "", rows=1000, start=0, facets=False), base_url="http://x"
    )["results"]
    faceted = packages.run_search(
        session, _search("企业", "", "", rows=0, start=0, facets=True), base_url="http://x"
    )
    assert faceted["results"] == []
    assert faceted["count"] == len(found) >= 8
    assert faceted["facets"]["tags"] == dict(Counter(t["name"] for p in found for t in p["tags"]))
    assert faceted["facets"]["groups"] == dict(
        Counter(g["name"] for p in found for g in p["groups"])
    )
    assert faceted["facets"]["license_id"] == dict(Counter(p["license_id"] for p in found))
    assert faceted["facets"]["organization"] == {"a-scjg": len(found)}
    assert faceted["facets"]["res_format"] == {"CSV": len(found)}
    # The closed, conditional and withdrawn datasets also carry the keyword 企业.
    assert "秘密" not in faceted["facets"]["tags"]
    hidden = {str(r.id) for r in more.hidden}
    assert hidden.isdisjoint(p["id"] for p in found)
