"""CKAN's Action API: parameter parsing, the actions, and CKAN's envelope and errors.

Each action takes the parsed parameters (query string values for GET, the JSON object for
POST) and returns CKAN's `result`; errors are `ActionError`s, which `call` turns into CKAN's
`{"help", "success": false, "error": {"__type", "message"}}` with CKAN's status. Every action
reads only public datasets (`service.public_condition`).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from govhub.core.errors import NotFound
from govhub.core.storage import Storage
from govhub.data.catalog.models import Theme
from govhub.data.opendata import datastore, packages, service
from govhub.data.opendata.errors import (
    ActionError,
    BadRequest,
    NotFoundError,
    ValidationError,
    invalid,
)
from govhub.data.opendata.settings import OpendataSettings
from govhub.data.opendata.usage import Usage, buffer

log = logging.getLogger("govhub.opendata")
CKAN_VERSION = "2.10.4"


@dataclass
class Context:
    """What an action needs besides its parameters."""

    session: Session
    storage: Storage
    base_url: str
    api_path: str
    settings: OpendataSettings


Action = Callable[[Context, dict[str, Any]], Any]
ACTIONS: dict[str, Action] = {}


def action(fn: Action) -> Action:
    """Register `fn` as the action of its name."""
    ACTIONS[fn.__name__] = fn
    return fn


# --- parameters ------------------------------------------------------------------------------


def _text(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str | int | float):
        raise invalid(key, "Must be a string")
    return str(value)


def _required(data: dict[str, Any], key: str) -> str:
    value = _text(data, key).strip()
    if not value:
        raise invalid(key, "Missing value")
    return value


def _int(data: dict[str, Any], key: str, default: int, *, maximum: int | None = None) -> int:
    value = data.get(key, default)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise invalid(key, "Invalid integer")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise invalid(key, "Invalid integer") from None
    if number < 0:
        raise invalid(key, "Must be a natural number")
    if maximum is not None and number > maximum:
        raise invalid(key, f"Must be less than or equal to {maximum}")
    return number


def _bool(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off", ""}:
        return False
    raise invalid(key, "Must be a boolean")


def _json_param(data: dict[str, Any], key: str) -> Any:
    """Return a parameter that GET sends as JSON text and POST as JSON."""
    value = data.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else None
        except ValueError:
            raise invalid(key, "Could not parse as valid JSON") from None
    return value


def _names(data: dict[str, Any], key: str) -> list[str] | None:
    """Return a list parameter given as a list, JSON text or comma-separated text."""
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = _json_param(data, key)
        else:
            value = [part.strip() for part in text.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(key, "Must be a list of names")
    if len(value) > 200:
        raise invalid(key, "At most 200 names")
    return list(value)


# --- packages, organizations, groups, tags ---------------------------------------------------


@action
def package_list(ctx: Context, data: dict[str, Any]) -> list[str]:
    """List the names of the public datasets."""
    limit = data.get("limit")
    return packages.list_names(
        ctx.session,
        limit=None if limit in (None, "") else _int(data, "limit", 0),
        offset=_int(data, "offset", 0),
    )


@action
def package_search(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Search the public datasets (q, fq, sort, rows, start, facets)."""
    facet_fields = _names(data, "facet.field") or []
    conditions = packages.query_conditions(_text(data, "q"))
    fq = _text(data, "fq")
    if fq.strip():
        conditions += packages.parse_clauses(fq)
    sort = _text(data, "sort").strip()
    order = packages.sort_order(sort) if sort else [service.modified_column().desc()]
    facet_limit = data.get("facet.limit", 50)
    search = packages.Search(
        conditions=conditions,
        order=order,
        rows=_int(data, "rows", 10, maximum=ctx.settings.rows_max),
        start=_int(data, "start", 0),
        facet_fields=facet_fields if _bool(data, "facet", True) else [],
        facet_limit=-1 if str(facet_limit).strip() == "-1" else _int(data, "facet.limit", 50),
    )
    result = packages.run_search(ctx.session, search, base_url=ctx.base_url)
    result["sort"] = sort or "score desc, metadata_modified desc"
    return result


@action
def package_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return one public dataset by id or name."""
    resource = service.get_public_resource(ctx.session, _required(data, "id"))
    buffer.count(resource.id, Usage.API_CALL)
    return packages.package_dicts(ctx.session, [resource.id], base_url=ctx.base_url)[0]


@action
def resource_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return one distribution (a dataset version) of a public dataset."""
    resource, version = service.get_public_version(ctx.session, _required(data, "id"))
    buffer.count(resource.id, Usage.API_CALL)
    versions = service.versions_of(ctx.session, [resource.id])[resource.id]
    position = next(i for i, v in enumerate(versions) if v.id == version.id)
    return packages.resource_dict(
        resource.id, resource.title, version, position=position, base_url=ctx.base_url
    )


@action
def organization_list(ctx: Context, data: dict[str, Any]) -> list[Any]:
    """List the departments that publish open data (names, or dictionaries with all_fields)."""
    rows = service.public_departments(ctx.session)
    wanted = set(_names(data, "organizations") or [])
    found = [(d, n) for d, n in rows if not wanted or service.organization_name(d) in wanted]
    offset, limit = _int(data, "offset", 0), _int(data, "limit", 1000, maximum=1000)
    found = found[offset : offset + limit]
    if _bool(data, "all_fields", False):
        return [packages.organization_dict(d, n) for d, n in found]
    return [service.organization_name(d) for d, _ in found]


@action
def organization_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return one publishing department by id or name."""
    department, count = service.get_public_department(ctx.session, _required(data, "id"))
    result = packages.organization_dict(department, count)
    if _bool(data, "include_datasets", False):
        rows = packages.department_packages(ctx.session, department, limit=100)
        ids = [r.id for r in rows]
        result["packages"] = packages.package_dicts(ctx.session, ids, base_url=ctx.base_url)
    return result


@action
def group_list(ctx: Context, data: dict[str, Any]) -> list[Any]:
    """List the themes (names, or dictionaries with all_fields)."""
    counts = packages.theme_counts(ctx.session)
    offset, limit = _int(data, "offset", 0), _int(data, "limit", 1000, maximum=1000)
    themes = sorted(counts)[offset : offset + limit]
    if _bool(data, "all_fields", False):
        return [packages.group_dict(t, counts[t]) for t in themes]
    return [t.value for t in themes]


@action
def group_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return one theme by name."""
    name = _required(data, "id")
    if name not in {t.value for t in Theme}:
        raise NotFoundError("Group was not found")
    theme = Theme(name)
    result = packages.group_dict(theme, packages.theme_counts(ctx.session)[theme])
    if _bool(data, "include_datasets", False):
        rows = packages.theme_packages(ctx.session, theme, limit=100)
        ids = [r.id for r in rows]
        result["packages"] = packages.package_dicts(ctx.session, ids, base_url=ctx.base_url)
    return result


@action
def tag_list(ctx: Context, data: dict[str, Any]) -> list[Any]:
    """List the keywords of the public datasets (optionally those containing `query`)."""
    query = _text(data, "query").strip().lower()
    names = [t for t in packages.tag_names(ctx.session) if query in t.lower()]
    if _bool(data, "all_fields", False):
        return [{"id": t, "name": t, "display_name": t, "vocabulary_id": None} for t in names]
    return names


@action
def status_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Describe the site as CKAN does."""
    return {
        "site_title": "GovHub",
        "site_url": ctx.base_url,
        "ckan_version": CKAN_VERSION,
        "site_description": "Open government data",
        "locale_default": "zh_Hans_CN",
        "extensions": ["datastore"],
    }


@action
def site_read(ctx: Context, data: dict[str, Any]) -> bool:
    """Tell that the site may be read."""
    return True


# --- datastore -------------------------------------------------------------------------------


def _links(ctx: Context, data: dict[str, Any], offset: int, limit: int) -> dict[str, str]:
    base = f"{ctx.api_path}/datastore_search"
    keep = {k: v for k, v in data.items() if k not in {"offset"} and isinstance(v, str | int)}
    start = f"{base}?{urlencode(keep)}"
    return {"start": start, "next": f"{base}?{urlencode({**keep, 'offset': offset + limit})}"}


@action
def datastore_search(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Search the rows of one public dataset version (filters, q, fields, sort, paging)."""
    resource_id = _required(data, "resource_id")
    try:
        resource, version = service.get_public_version(ctx.session, resource_id)
    except NotFound:
        raise NotFoundError(f'Resource "{resource_id[:64]}" was not found.') from None
    filters = _json_param(data, "filters") or {}
    if not isinstance(filters, dict):
        raise invalid("filters", "Must be a JSON object")
    q = data.get("q")
    if isinstance(q, str) and q.lstrip().startswith("{"):
        q = _json_param(data, "q")
    if q is not None and not isinstance(q, str | dict):
        raise invalid("q", "Must be text or a JSON object")
    sort = _names(data, "sort") or []
    limit = _int(data, "limit", 100, maximum=ctx.settings.datastore_rows_max)
    offset = _int(data, "offset", 0)
    request = datastore.SearchRequest(
        filters=filters,
        q=q or None,
        limit=limit,
        offset=offset,
        fields=_names(data, "fields"),
        sort=sort,
        include_total=_bool(data, "include_total", True),
    )
    found = datastore.search(ctx.storage, version.storage_key, request, row_count=version.row_count)
    buffer.count(resource.id, Usage.API_CALL)
    result: dict[str, Any] = {
        "resource_id": str(version.id),
        "fields": found["fields"],
        "records": found["records"],
        "limit": limit,
        "offset": offset,
        "_links": _links(ctx, data, offset, limit),
        "include_total": request.include_total,
        "records_format": "objects",
    }
    if found["total"] is not None:
        result["total"] = found["total"]
        result["total_was_estimated"] = False
    if request.filters:
        result["filters"] = request.filters
    if request.q:
        result["q"] = request.q
    if request.sort:
        result["sort"] = ", ".join(request.sort)
    return result


@action
def datastore_search_sql(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Run one read-only SELECT over public datastore tables, in the sandbox."""
    sql = _required(data, "sql")
    tree, tables = datastore.check_sql(sql)
    loaders: dict[str, Callable[[], Any]] = {}
    counted: set[uuid.UUID] = set()
    for name in tables:
        try:
            resource, version = service.get_public_version(ctx.session, name)
        except NotFound:
            raise NotFoundError(f'Resource "{name[:64]}" was not found.') from None
        if str(version.id) != name:
            raise NotFoundError(f'Resource "{name[:64]}" was not found.')
        loaders[name] = partial(datastore.arrow_dataset, ctx.storage, version.storage_key)
        counted.add(resource.id)
    found = datastore.run_sql(
        tree,
        loaders,
        timeout=ctx.settings.sql_timeout_seconds,
        max_rows=ctx.settings.sql_rows_max,
    )
    for resource_id in counted:
        buffer.count(resource_id, Usage.API_CALL)
    result: dict[str, Any] = {"sql": sql, "fields": found.fields, "records": found.records}
    if found.truncated:
        result["records_truncated"] = True
    return result


# --- dispatch --------------------------------------------------------------------------------


def envelope_help(ctx_base: str, api_path: str, name: str) -> str:
    """Return CKAN's `help` link of an action."""
    return f"{ctx_base}{api_path}/help_show?name={name[:60]}"


def call(ctx: Context, name: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Run an action; return the HTTP status and CKAN's envelope."""
    help_url = envelope_help(ctx.base_url, ctx.api_path, name)
    try:
        fn = ACTIONS.get(name)
        if fn is None:
            raise BadRequest(f"Action name not known: {name[:60]}")
        result = fn(ctx, data)
    except ActionError as exc:
        return exc.status, {"help": help_url, "success": False, "error": exc.error()}
    except NotFound:
        error = NotFoundError()
        return error.status, {"help": help_url, "success": False, "error": error.error()}
    return 200, {"help": help_url, "success": True, "result": result}


def validation_error(errors: dict[str, list[str]]) -> ValidationError:
    """Return a validation error (for the API module)."""
    return ValidationError(errors)
