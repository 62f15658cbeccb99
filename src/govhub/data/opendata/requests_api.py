"""HTTP routes of the public requests: submit and read them (anyone), reply (the addressed
department's officials holding `opendata:reply`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status

from govhub.data.opendata import requests as service
from govhub.data.opendata.schemas import DataRequestCreate, DataRequestRead, ReplyCreate, ReplyRead
from govhub.identity.deps import DbSession, MaybePrincipal, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal

router = APIRouter(prefix="/api/v1/opendata/requests", tags=["open data requests"])
OpendataReply = Annotated[Principal, Depends(require(Permission.OPENDATA_REPLY))]


def client_address(request: Request) -> str:
    """Return the caller's address, the rate limit's key for anonymous requests."""
    return request.client.host if request.client else "unknown"


@router.get("", response_model=list[DataRequestRead])
def list_requests(
    session: DbSession,
    department_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[Any]:
    """List the public requests and their replies, newest first."""
    rows, _ = service.list_requests(
        session, department_id=department_id, limit=limit, offset=offset
    )
    return list(rows)


@router.post("", response_model=DataRequestRead, status_code=status.HTTP_201_CREATED)
def submit(
    request: Request, data: DataRequestCreate, principal: MaybePrincipal, session: DbSession
) -> Any:
    """Ask for a dataset or report a problem with an open one (signed in or not)."""
    return service.submit(session, principal=principal, client=client_address(request), data=data)


@router.get("/{request_id}", response_model=DataRequestRead)
def get_request(request_id: uuid.UUID, session: DbSession) -> Any:
    """Return one public request with its replies."""
    return service.get_request(session, request_id)


@router.post("/{request_id}/replies", response_model=ReplyRead, status_code=status.HTTP_201_CREATED)
def reply(
    request_id: uuid.UUID, data: ReplyCreate, principal: OpendataReply, session: DbSession
) -> Any:
    """Reply publicly to a request addressed to your department (ledgered)."""
    return service.reply(session, principal=principal, request_id=request_id, data=data)
