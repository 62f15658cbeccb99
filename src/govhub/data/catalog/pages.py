"""Pages of the catalog for officials: search with facets, a resource, the create/edit form."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from govhub.core.errors import InvalidInput, NotFound
from govhub.core.i18n import N_
from govhub.data.catalog import labels, scope, search, service
from govhub.data.catalog.models import OpeningType, Resource, SharingType, Theme
from govhub.data.catalog.schemas import ResourceCreate, ResourceRead, ResourceUpdate
from govhub.data.deps import CatalogEdit, CatalogRead
from govhub.data.ingest import service as ingest_service
from govhub.identity.deps import DbSession
from govhub.identity.permissions import Permission
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
FORM_TEMPLATE = "catalog/form.html"
MSG_FIELD_LINE = N_("Line %(line)s of the fields: write name | type | element code | personal")
MSG_CHECK = N_("Please correct the marked information and submit again.")
_SPLIT = re.compile(r"[,，、;；\s]+")
_FIELDS = frozenset(ResourceCreate.model_fields) | {"fields_text", "base_version"}


async def form_data(request: Request) -> dict[str, list[str]]:
    """Read a submitted form as lists of values per name (themes repeat)."""
    form = await request.form()
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key in _FIELDS:
            values.setdefault(key, []).append(value)
    return values


FormData = Annotated[dict[str, list[str]], Depends(form_data)]


def _parse_fields(text: str) -> list[dict[str, Any]]:
    """Parse the fields box: one field a line, `name | type | element code | personal | note`."""
    fields: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) > 5:
            raise InvalidInput(MSG_FIELD_LINE % {"line": number}, field="fields")
        parts += [""] * (5 - len(parts))
        name, kind, element, personal, note = parts
        fields.append(
            {
                "name": name,
                "type": kind or "string",
                "element_code": element or None,
                "is_personal": personal.lower() in {"yes", "y", "true", "1", "是", "个人"},
                "description": note,
            }
        )
    return fields


def _fields_text(fields: list[dict[str, Any]]) -> str:
    lines = []
    for f in fields:
        personal = "yes" if f.get("is_personal") else ""
        parts = [f["name"], f.get("type", "string"), f.get("element_code") or "", personal,
                 f.get("description", "")]  # fmt: skip
        lines.append(" | ".join(parts).rstrip(" |"))
    return "\n".join(lines)


def _payload(form: dict[str, list[str]]) -> dict[str, Any]:
    """Turn the form into the body the API would receive."""
    one = {key: values[-1].strip() for key, values in form.items() if values}
    body: dict[str, Any] = {k: v for k, v in one.items() if k in ResourceCreate.model_fields}
    body["themes"] = form.get("themes", [])
    body["keywords"] = [k for k in _SPLIT.split(one.get("keywords", "")) if k]
    body["division_codes"] = [c for c in _SPLIT.split(one.get("division_codes", "")) if c]
    body["fields"] = _parse_fields(form.get("fields_text", [""])[-1])
    for key in ("temporal_start", "temporal_end", "department_id"):
        if not body.get(key):
            body[key] = None
    return body


def _errors(exc: ValidationError | InvalidInput) -> list[dict[str, str]]:
    if isinstance(exc, InvalidInput):
        return list(exc.extra.get("errors") or [{"field": "", "message": exc.detail}])
    return [
        {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
    ]


def _form(
    request: Request,
    *,
    values: dict[str, Any],
    resource: Resource | None,
    errors: list[dict[str, str]] | None = None,
) -> Response:
    return render(
        request,
        FORM_TEMPLATE,
        {
            "values": values,
            "resource": resource,
            "errors": errors or [],
            "message": MSG_CHECK if errors else None,
            "themes": list(Theme),
            **labels.ALL,
        },
        status_code=422 if errors else 200,
    )


def _values_of(resource: Resource) -> dict[str, Any]:
    data = ResourceRead.model_validate(resource).model_dump(mode="json")
    data["keywords"] = " ".join(data["keywords"])
    data["division_codes"] = " ".join(data["division_codes"])
    data["fields_text"] = _fields_text(data["fields"])
    return data


@router.get("/catalog", response_class=HTMLResponse)
def search_page(
    request: Request,
    principal: CatalogRead,
    session: DbSession,
    q: Annotated[str, Query(max_length=200)] = "",
    department_id: uuid.UUID | None = None,
    theme: Theme | None = None,
    sharing_type: SharingType | None = None,
    opening_type: OpeningType | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Search the catalog with facet counts (full metadata within scope, open ones beyond)."""
    query = search.SearchQuery(
        text=q.strip(),
        department_id=department_id,
        theme=theme,
        sharing_type=sharing_type,
        opening_type=opening_type,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    result = search.search_resources(session, principal=principal, query=query)
    departments = search.department_names(session, [f.value for f in result.facets["department"]])
    chosen = {
        "q": q,
        "department_id": str(department_id) if department_id else "",
        "theme": theme.value if theme else "",
        "sharing_type": sharing_type.value if sharing_type else "",
        "opening_type": opening_type.value if opening_type else "",
    }

    def facet_url(name: str, value: str) -> str:
        """Link that chooses `value` for the facet `name`, or clears it when already chosen."""
        params = {**chosen, name: "" if chosen.get(name) == value else value}
        return "/catalog?" + urlencode({k: v for k, v in params.items() if v})

    def page_url(number: int) -> str:
        return "/catalog?" + urlencode({**{k: v for k, v in chosen.items() if v}, "page": number})

    return render(
        request,
        "catalog/search.html",
        {
            "facet_url": facet_url,
            "page_url": page_url,
            "result": result,
            "departments": departments,
            "chosen": chosen,
            "page": page,
            "pages": max(1, -(-result.total // PAGE_SIZE)),
            "can_create": principal.can(Permission.CATALOG_EDIT),
            **labels.ALL,
        },
    )


@router.get("/catalog/resources/{resource_id}", response_class=HTMLResponse)
def resource_page(
    request: Request,
    resource_id: uuid.UUID,
    principal: CatalogRead,
    session: DbSession,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Response:
    """Show a resource's metadata (an earlier version with `?version=`), its fields and history."""
    resource = service.get_resource(session, principal=principal, resource_id=resource_id)
    full = scope.sees_full(principal, resource)
    versions = (
        service.list_versions(session, principal=principal, resource_id=resource_id) if full else []
    )
    if version is not None and version != resource.version:
        if not full:
            raise NotFound("no such version")
        shown: Any = service.get_version(
            session, principal=principal, resource_id=resource_id, version=version
        ).resource
    else:
        shown = scope.to_schema(resource, principal)
    return render(
        request,
        "catalog/resource.html",
        {
            "r": shown,
            "full": full,
            "current_version": resource.version,
            "versions": versions,
            "can_edit": scope.may_write(principal, resource),
            "can_upload": ingest_service.may_ingest(principal, resource)
            and resource.withdrawn_at is None,
            **labels.ALL,
        },
    )


@router.get("/catalog/new", response_class=HTMLResponse)
def new_page(request: Request, principal: CatalogEdit) -> Response:
    """Show the form for a new resource of the official's department."""
    defaults = {"update_frequency": "monthly", "sharing_type": "unconditional",
                "opening_type": "not_open", "security_class": "general",
                "sensitivity": "internal", "themes": []}  # fmt: skip
    return _form(request, values=defaults, resource=None)


def _submitted(form: dict[str, list[str]]) -> dict[str, Any]:
    values: dict[str, Any] = {k: v[-1] for k, v in form.items() if v}
    values["themes"] = form.get("themes", [])
    return values


@router.post("/catalog/new", response_class=HTMLResponse)
def create(
    request: Request, _: CsrfChecked, principal: CatalogEdit, session: DbSession, form: FormData
) -> Response:
    """Create the resource and show it, or show the form again with what was wrong."""
    try:
        data = ResourceCreate.model_validate(_payload(form))
        resource = service.create_resource(session, principal=principal, data=data)
    except (ValidationError, InvalidInput) as exc:
        return _form(request, values=_submitted(form), resource=None, errors=_errors(exc))
    return RedirectResponse(f"/catalog/resources/{resource.id}", status_code=303)


@router.get("/catalog/resources/{resource_id}/edit", response_class=HTMLResponse)
def edit_page(
    request: Request, resource_id: uuid.UUID, principal: CatalogEdit, session: DbSession
) -> Response:
    """Show the form to change a resource's metadata."""
    resource = service.get_writable_resource(session, principal=principal, resource_id=resource_id)
    return _form(request, values=_values_of(resource), resource=resource)


@router.post("/catalog/resources/{resource_id}/edit", response_class=HTMLResponse)
def edit(
    request: Request,
    resource_id: uuid.UUID,
    _: CsrfChecked,
    principal: CatalogEdit,
    session: DbSession,
    form: FormData,
) -> Response:
    """Save the change as the next version, or show the form again with what was wrong."""
    resource = service.get_writable_resource(session, principal=principal, resource_id=resource_id)
    body = _payload(form)
    body.pop("department_id", None)
    base = form.get("base_version", [""])[-1]
    body["base_version"] = int(base) if base.isdigit() and len(base) < 10 else None
    try:
        data = ResourceUpdate.model_validate(body)
        service.update_resource(session, principal=principal, resource_id=resource_id, data=data)
    except (ValidationError, InvalidInput) as exc:
        return _form(request, values=_submitted(form), resource=resource, errors=_errors(exc))
    return RedirectResponse(f"/catalog/resources/{resource_id}", status_code=303)
