"""HTTP routes of the open data API: CKAN's Action API at `/api/action/{action}` and
`/api/3/action/{action}`, downloads of public dataset versions, public API keys and usage."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, status
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from govhub.core.db import session_scope
from govhub.core.errors import InvalidInput, NotFound, RateLimited
from govhub.core.ratelimit import SlidingWindow
from govhub.core.storage import get_storage
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.opendata import ckan, datastore, service, usage
from govhub.data.opendata.errors import (
    ActionError,
    AuthorizationError,
    BadRequest,
    RateLimitError,
)
from govhub.data.opendata.schemas import ApiKeyCreate, ApiKeyIssued, ApiKeyRead, UsageRead
from govhub.data.opendata.settings import get_opendata_settings
from govhub.identity.deps import DbSession, ProfileRead

log = logging.getLogger("govhub.opendata")
router = APIRouter(tags=["open data"])
limiter = SlidingWindow("open data API calls")
JSON_TYPE = "application/json;charset=utf-8"


def _parse(query: list[tuple[str, str]], body: bytes, content_type: str) -> dict[str, Any]:
    """Return the action's parameters: the query string, then the JSON or form body."""
    data: dict[str, Any] = {}
    for key, value in query:
        data[key] = [*data[key], value] if isinstance(data.get(key), list) else (
            [data[key], value] if key in data else value
        )  # fmt: skip
    if not body.strip():
        return data
    if "application/x-www-form-urlencoded" in content_type:
        data.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return data
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("JSON Error: could not read the request body as JSON") from None
    if not isinstance(parsed, dict):
        raise BadRequest(
            f"JSON Error: Request data JSON decoded to {type(parsed).__name__} "
            "but a dictionary was required"
        )
    data.update(parsed)
    return data


def _api_key(request: Request) -> str | None:
    value = request.headers.get("x-ckan-api-key") or request.headers.get("authorization")
    if not value:
        return None
    value = value.strip()
    return value.removeprefix("Bearer ").strip() if value.startswith("Bearer ") else value


def _answer(
    status_code: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(body, status_code=status_code, media_type=JSON_TYPE, headers=headers)


def _run(
    name: str, data: dict[str, Any], key: str | None, ip: str, base_url: str, api_path: str
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Authenticate, rate-limit, run the action and save usage counts when due."""
    settings = get_opendata_settings()
    help_url = ckan.envelope_help(base_url, api_path, name)
    with session_scope() as session:
        try:
            if key is not None:
                found = service.find_key(session, key)
                if found is None:
                    raise AuthorizationError("the API key is not valid")
                limiter.hit(f"key:{found.id}", limit=settings.key_per_minute)
            else:
                limiter.hit(f"ip:{ip}", limit=settings.anonymous_per_minute)
        except RateLimited as exc:
            error = RateLimitError(exc.detail, retry_after=exc.retry_after)
            body = {"help": help_url, "success": False, "error": error.error()}
            return error.status, body, {"Retry-After": str(exc.retry_after)}
        except ActionError as exc:
            return exc.status, {"help": help_url, "success": False, "error": exc.error()}, {}
        context = ckan.Context(
            session=session,
            storage=get_storage(),
            base_url=base_url,
            api_path=api_path,
            settings=settings,
        )
        status_code, body = ckan.call(context, name, data)
    if usage.buffer.due(settings.usage_flush_seconds):
        usage.buffer.save()
    return status_code, body, {}


async def _action(request: Request, name: str, api_path: str) -> Response:
    base_url = str(request.base_url).rstrip("/")
    help_url = ckan.envelope_help(base_url, api_path, name)
    try:
        body = await request.body() if request.method == "POST" else b""
        data = _parse(
            list(request.query_params.multi_items()), body, request.headers.get("content-type", "")
        )
        ip = request.client.host if request.client else "unknown"
        status_code, answer, headers = await run_in_threadpool(
            _run, name, data, _api_key(request), ip, base_url, api_path
        )
    except ActionError as exc:
        return _answer(exc.status, {"help": help_url, "success": False, "error": exc.error()})
    except Exception:
        log.exception("open data action failed", extra={"action": name[:60]})
        error = {"__type": "Internal Server Error", "message": "Internal Server Error"}
        return _answer(500, {"help": help_url, "success": False, "error": error})
    return _answer(status_code, answer, headers)


@router.api_route("/api/action/{name}", methods=["GET", "POST"], include_in_schema=False)
async def action(request: Request, name: str) -> Response:
    """Run a CKAN action (the path the `ckanapi` client uses)."""
    return await _action(request, name, "/api/action")


@router.api_route("/api/3/action/{name}", methods=["GET", "POST"], include_in_schema=False)
async def action_v3(request: Request, name: str) -> Response:
    """Run a CKAN action (API version 3)."""
    return await _action(request, name, "/api/3/action")


# --- downloads -------------------------------------------------------------------------------


MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/api/opendata/download/{version_id}.{fmt}", response_class=Response)
def download(version_id: str, fmt: str, session: DbSession) -> Response:
    """Download a public dataset version as CSV, JSON, Parquet or xlsx."""
    if fmt not in MEDIA_TYPES:
        raise NotFound("no such download format")
    resource, version = service.get_public_version(session, version_id)
    return _serve(resource, version, fmt)


@router.get("/dataset/{id_or_name}/download/{fmt}", response_class=Response)
def download_latest(id_or_name: str, fmt: str, session: DbSession) -> Response:
    """Download the newest version of a public dataset (the DCAT distributions' URL)."""
    if fmt not in MEDIA_TYPES:
        raise NotFound("no such download format")
    resource = service.get_public_resource(session, id_or_name)
    version = service.versions_of(session, [resource.id])[resource.id][-1]
    return _serve(resource, version, fmt)


def _serve(resource: Resource, version: DatasetVersion, fmt: str) -> Response:
    """Count the download and answer the version in `fmt` (Parquet in clear as it is stored)."""
    usage.buffer.count(resource.id, usage.Usage.DOWNLOAD)
    if usage.buffer.due(get_opendata_settings().usage_flush_seconds):
        usage.buffer.save()
    name = f"{service.package_name(resource)}-v{version.version}"
    source = datastore.open_source(get_storage(), version.storage_key)
    if fmt == "parquet" and source.pin is None and Path(source.path).is_file():
        return FileResponse(source.path, media_type=MEDIA_TYPES[fmt], filename=f"{name}.parquet")
    handle, temp = tempfile.mkstemp(suffix=f".{fmt}")
    os.close(handle)
    Path(temp).unlink()
    try:
        datastore.export(source.path, temp, fmt)
    except Exception:
        Path(temp).unlink(missing_ok=True)
        raise
    return FileResponse(
        temp,
        media_type=MEDIA_TYPES[fmt],
        filename=f"{name}.{fmt}",
        background=BackgroundTask(Path(temp).unlink, missing_ok=True),
    )


# --- keys and usage --------------------------------------------------------------------------


@router.post(
    "/api/v1/opendata/keys", response_model=ApiKeyIssued, status_code=status.HTTP_201_CREATED
)
def issue_key(body: ApiKeyCreate, principal: ProfileRead, session: DbSession) -> ApiKeyIssued:
    """Issue a public API key to the signed-in account (the key is shown once)."""
    row, key = service.issue_key(session, principal=principal, name=body.name)
    return ApiKeyIssued(**ApiKeyRead.model_validate(row).model_dump(), key=key)


@router.get("/api/v1/opendata/keys", response_model=list[ApiKeyRead])
def list_keys(principal: ProfileRead, session: DbSession) -> list[Any]:
    """List the signed-in account's API keys."""
    return list(service.list_keys(session, principal=principal))


@router.delete("/api/v1/opendata/keys/{key_id}", response_model=ApiKeyRead)
def revoke_key(key_id: uuid.UUID, principal: ProfileRead, session: DbSession) -> Any:
    """Revoke one of the signed-in account's API keys."""
    return service.revoke_key(session, principal=principal, key_id=key_id)


@router.get("/api/opendata/datasets/{id_or_name}/usage", response_model=UsageRead)
def dataset_usage(id_or_name: str, session: DbSession) -> UsageRead:
    """Return how often a public dataset was called, downloaded and viewed."""
    if len(id_or_name) > 100:
        raise InvalidInput("the id is too long", field="id_or_name")
    usage.buffer.save()  # before this session's first read, so that it sees the counts
    resource = service.get_public_resource(session, id_or_name)
    return UsageRead(dataset_id=resource.id, **usage.totals(session, resource.id))
