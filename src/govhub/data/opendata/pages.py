"""Pages of the public open data portal: search, dataset pages, and requests with replies.

Everything here is public (`MaybePrincipal`) except replying, which needs `opendata:reply`
and the request's own department. Only public datasets are ever shown: every lookup goes
through `service.public_condition()`, so a non-public dataset's page is the same 404 as an
unknown one.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from govhub.core.errors import InvalidInput, NotFound
from govhub.core.i18n import N_
from govhub.core.settings import get_settings
from govhub.core.storage import get_storage
from govhub.data.catalog import labels
from govhub.data.catalog.models import Theme, UpdateFrequency
from govhub.data.lineage import views as lineage_views
from govhub.data.lineage.graph import Direction
from govhub.data.opendata import packages, portal, service, usage
from govhub.data.opendata import requests as requests_service
from govhub.data.opendata.models import RequestKind
from govhub.data.opendata.requests_api import OpendataReply, client_address
from govhub.data.opendata.schemas import DataRequestCreate, ReplyCreate
from govhub.data.opendata.settings import get_opendata_settings
from govhub.identity.deps import DbSession, MaybePrincipal
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)

MAX_FORM_FIELD = 8000
REQUESTS_PAGE = 20
KIND_LABELS = {
    RequestKind.DATASET: N_("Request a dataset"),
    RequestKind.PROBLEM: N_("Report a problem"),
}
FIELD_HINTS = {
    "kind": N_("Choose whether you ask for a dataset or report a problem."),
    "title": N_("Give a title of 4 to 200 characters."),
    "body": N_("Describe it in 10 to 4000 characters."),
    "dataset": N_("Name an open dataset by its name or id."),
    "department_id": N_("Choose the department you ask."),
    "display_name": N_("A name to show is at most 60 characters (or leave it empty)."),
}
MSG_CHECK = N_("Please correct the marked information and submit again.")


async def form_data(request: Request) -> dict[str, str]:
    """Read a submitted form (the last value of each name; over-long values are cut)."""
    form = await request.form()
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and len(key) <= 100:
            values[key] = value[:MAX_FORM_FIELD]
    return values


FormData = Annotated[dict[str, str], Depends(form_data)]


# --- search ----------------------------------------------------------------------------------


@router.get("/open-data", response_class=HTMLResponse)
def search_page(
    request: Request,
    session: DbSession,
    principal: MaybePrincipal,
    q: Annotated[str, Query(max_length=200)] = "",
    theme: Theme | None = None,
    department: Annotated[str, Query(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")] = "",
    fmt: Annotated[Literal["", "csv", "json", "parquet", "xlsx"], Query(alias="format")] = "",
    frequency: UpdateFrequency | None = None,
    sort: Literal["recent", "title", "name"] = "recent",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Search the open datasets with facets (theme, department, format, update frequency)."""
    query = portal.PortalQuery(
        text=q, theme=theme, department=department, fmt=fmt, frequency=frequency, sort=sort,
        page=page,
    )  # fmt: skip
    result = portal.search(session, query)
    chosen = {
        "q": q,
        "theme": theme.value if theme else "",
        "department": department.lower(),
        "format": fmt,
        "frequency": frequency.value if frequency else "",
        "sort": sort if sort != "recent" else "",
    }

    def facet_url(name: str, value: str) -> str:
        """Link that chooses `value` for the facet `name`, or clears it when already chosen."""
        params = {**chosen, name: "" if chosen.get(name) == value else value}
        return "/open-data?" + urlencode({k: v for k, v in params.items() if v})

    def page_url(number: int) -> str:
        return "/open-data?" + urlencode({**{k: v for k, v in chosen.items() if v}, "page": number})

    return render(
        request,
        "opendata/search.html",
        {
            "result": result,
            "chosen": chosen,
            "page": page,
            "facet_url": facet_url,
            "page_url": page_url,
            "organization_name": service.organization_name,
            "package_name": service.package_name,
            "format_labels": portal.FORMAT_LABELS,
            **labels.ALL,
        },
    )


# --- one dataset -----------------------------------------------------------------------------


def _lineage(session: DbSession, resource_id: uuid.UUID) -> list[dict[str, Any]]:
    """The upstream path of a dataset as the public may see it (restricted nodes opaque)."""
    graph = lineage_views.resource_graph(
        session, principal=None, resource_id=resource_id, direction=Direction.UP, depth=5
    )
    nodes = sorted(graph.nodes, key=lambda n: (-n.depth, n.order))
    return [
        {
            "label": node.label,
            "kind": node.kind.value,
            "restricted": node.restricted,
            "depth": node.depth,
            "version": node.version,
        }
        for node in nodes
    ]


def _schema(resource: Any, version: Any) -> list[dict[str, str]]:
    described = {str(f.get("name")): f for f in resource.fields}
    rows = []
    for column in version.schema:
        name = str(column.get("name", ""))
        meta = described.get(name, {})
        rows.append(
            {
                "name": name,
                "type": str(column.get("type", meta.get("type", ""))),
                "description": str(meta.get("description", "")),
                "standard": str(meta.get("element_code", "") or ""),
            }
        )
    return rows


@router.get("/open-data/datasets/{name}", response_class=HTMLResponse)
def dataset_page(
    request: Request,
    name: Annotated[str, Path(max_length=100)],
    session: DbSession,
    principal: MaybePrincipal,
) -> Response:
    """Show an open dataset: description, schema, quality, preview, chart, lineage, downloads,
    API examples, usage and its public requests."""
    resource = service.get_public_resource(session, name)
    version = portal.latest_version(session, resource)
    usage.buffer.count(resource.id, usage.Usage.VIEW)
    if usage.buffer.due(get_opendata_settings().usage_flush_seconds):
        usage.buffer.save()
    preview = portal.preview(get_storage(), resource, version)
    requests, _ = requests_service.list_requests(session, resource_id=resource.id, limit=10)
    base_url = get_settings().base_url.rstrip("/")
    package = service.package_name(resource)
    chart = {
        "column": preview.chart_column or "",
        "labels": [label for label, _ in preview.chart],
        "counts": [n for _, n in preview.chart],
    }
    return render(
        request,
        "opendata/dataset.html",
        {
            "r": resource,
            "package": package,
            "version": version,
            "schema": _schema(resource, version),
            "preview": preview,
            "chart": chart,
            "lineage": _lineage(session, resource.id),
            "usage": usage.totals(session, resource.id),
            "base_url": base_url,
            "formats": portal.FORMAT_LABELS,
            "requests": requests,
            "organization": packages.organization_dict(resource.department),
            **labels.ALL,
        },
    )


# --- requests and replies --------------------------------------------------------------------


def _requests_page(
    request: Request,
    session: DbSession,
    *,
    values: dict[str, str],
    errors: dict[str, list[str]] | None = None,
    page: int = 1,
    status_code: int = 200,
) -> Response:
    rows, total = requests_service.list_requests(
        session, limit=REQUESTS_PAGE, offset=(page - 1) * REQUESTS_PAGE
    )
    departments = requests_service.departments(session)
    return render(
        request,
        "opendata/requests.html",
        {
            "requests": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // REQUESTS_PAGE)),
            "departments": departments,
            "department_by_id": {d.id: d for d in departments},
            "values": values,
            "errors": errors or {},
            "message": MSG_CHECK if errors else None,
            "request_kind_labels": KIND_LABELS,
            "field_hints": FIELD_HINTS,
        },
        status_code=status_code,
    )


@router.get("/open-data/requests", response_class=HTMLResponse)
def requests_page(
    request: Request,
    session: DbSession,
    principal: MaybePrincipal,
    dataset: Annotated[str, Query(max_length=100)] = "",
    kind: RequestKind = RequestKind.DATASET,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """List the public requests with their replies, and the form to make one."""
    values = {"dataset": dataset, "kind": kind.value}
    return _requests_page(request, session, values=values, page=page)


def _form_errors(exc: ValidationError | InvalidInput) -> dict[str, list[str]]:
    if isinstance(exc, InvalidInput):
        return {str(exc.extra.get("field") or "body"): [exc.detail]}
    grouped: dict[str, list[str]] = {}
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else "body"
        grouped.setdefault(key, []).append(error["msg"])
    return grouped


@router.post("/open-data/requests", response_class=HTMLResponse)
def submit_request(
    request: Request,
    _: CsrfChecked,
    session: DbSession,
    principal: MaybePrincipal,
    form: FormData,
) -> Response:
    """File a request or problem report and show it, or the form again with what was wrong."""
    body: dict[str, Any] = {
        key: form.get(key, "").strip()
        for key in ("kind", "title", "body", "dataset", "display_name")
    }
    body["department_id"] = form.get("department_id", "").strip() or None
    try:
        data = DataRequestCreate.model_validate(body)
        with session.begin_nested():
            made = requests_service.submit(
                session, principal=principal, client=client_address(request), data=data
            )
    except (ValidationError, InvalidInput) as exc:
        values = {k: str(v or "") for k, v in body.items()}
        return _requests_page(
            request, session, values=values, errors=_form_errors(exc), status_code=422
        )
    return RedirectResponse(f"/open-data/requests/{made.id}", status_code=303)


def _request_detail(
    request: Request,
    session: DbSession,
    principal: MaybePrincipal,
    request_id: uuid.UUID,
    *,
    errors: dict[str, list[str]] | None = None,
    reply_text: str = "",
    status_code: int = 200,
) -> Response:
    found = requests_service.get_request(session, request_id)
    dataset = None
    if found.resource_id is not None:
        try:
            dataset = service.get_public_resource(session, str(found.resource_id))
        except NotFound:
            dataset = None
    departments = {d.id: d for d in requests_service.departments(session)}
    return render(
        request,
        "opendata/request.html",
        {
            "req": found,
            "dataset": dataset,
            "package_name": service.package_name,
            "department": departments.get(found.department_id),
            "can_reply": requests_service.may_reply(principal, found),
            "errors": errors or {},
            "reply_text": reply_text,
            "request_kind_labels": KIND_LABELS,
        },
        status_code=status_code,
    )


@router.get("/open-data/requests/{request_id}", response_class=HTMLResponse)
def request_page(
    request: Request, request_id: uuid.UUID, session: DbSession, principal: MaybePrincipal
) -> Response:
    """Show one public request with its replies (and the reply form to its department)."""
    return _request_detail(request, session, principal, request_id)


@router.post("/open-data/requests/{request_id}/replies", response_class=HTMLResponse)
def reply(
    request: Request,
    request_id: uuid.UUID,
    _: CsrfChecked,
    principal: OpendataReply,
    session: DbSession,
    form: FormData,
) -> Response:
    """Reply publicly to a request addressed to your department (ledgered)."""
    text = form.get("body", "").strip()
    try:
        data = ReplyCreate.model_validate({"body": text})
    except ValidationError as exc:
        return _request_detail(
            request, session, principal, request_id, errors=_form_errors(exc),
            reply_text=text, status_code=422,
        )  # fmt: skip
    requests_service.reply(session, principal=principal, request_id=request_id, data=data)
    return RedirectResponse(f"/open-data/requests/{request_id}#replies", status_code=303)
