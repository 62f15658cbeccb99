"""DCAT-AP endpoints for harvesters: `/catalog.{jsonld,ttl,xml}` and `/dataset/{id}.{...}`.

Public and anonymous by design: they answer only open datasets in their public view, the same
to everyone, so no principal is read. `page` and `modified_since` follow ckanext-dcat; a
malformed value is a 400 problem. An unknown id and a non-public one get the same 404.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response

from govhub.core.errors import NotFound
from govhub.core.settings import get_settings
from govhub.data.opendata import dcat
from govhub.identity.deps import DbSession

router = APIRouter(tags=["open data (DCAT-AP)"])

NOT_FOUND = "no such open dataset"
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for media in dcat.MEDIA_TYPES.values()}}
}
RawParam = Annotated[str | None, Query()]


def _syntax(value: str) -> dcat.Syntax:
    try:
        return dcat.Syntax(value)
    except ValueError:
        raise NotFound(f"no serialization .{value[:10]}; use .jsonld, .ttl or .xml") from None


def _base_url() -> str:
    return get_settings().base_url.rstrip("/")


def _answer(body: bytes, syntax: dcat.Syntax) -> Response:
    return Response(body, media_type=dcat.MEDIA_TYPES[syntax])


@router.get("/catalog.{syntax}", response_class=Response, responses=_RESPONSES)
def get_catalog(
    syntax: str, session: DbSession, page: RawParam = None, modified_since: RawParam = None
) -> Response:
    """Return one page of the open data catalog as DCAT-AP 3 with Hydra paging."""
    chosen = _syntax(syntax)
    number = dcat.parse_page(page)
    since = dcat.parse_modified_since(modified_since)
    result = dcat.catalog_page(session, page=number, modified_since=since, page_size=dcat.PAGE_SIZE)
    base = _base_url()

    def page_url(n: int) -> str:
        query = {"modified_since": modified_since.strip()} if since and modified_since else {}
        return f"{base}/catalog.{chosen.value}?" + urlencode({**query, "page": n})

    divisions = dcat.division_names(session, result.datasets)
    graph = dcat.catalog_graph(result, base_url=base, page_url=page_url, divisions=divisions)
    return _answer(dcat.serialize(graph, chosen), chosen)


@router.get("/dataset/{key}.{syntax}", response_class=Response, responses=_RESPONSES)
def get_dataset(key: str, syntax: str, session: DbSession) -> Response:
    """Return one open dataset as a DCAT-AP 3 `dcat:Dataset` (404 unless it is public)."""
    chosen = _syntax(syntax)
    dataset = dcat.find_dataset(session, key)
    if dataset is None:
        raise NotFound(NOT_FOUND)
    divisions = dcat.division_names(session, [dataset])
    graph = dcat.dataset_graph(dataset, base_url=_base_url(), divisions=divisions)
    return _answer(dcat.serialize(graph, chosen), chosen)
