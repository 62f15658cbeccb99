"""HTTP API of data sharing (`/api/v1/sharing`): requests, decisions, grants, revocations."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.data.sharing import service
from govhub.data.sharing.models import Grant, RequestStatus, ShareRequest
from govhub.data.sharing.schemas import (
    Decision,
    GrantRead,
    GrantUsage,
    Revocation,
    ShareRequestCreate,
    ShareRequestRead,
)
from govhub.identity.deps import DbSession, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal

router = APIRouter(prefix="/api/v1/sharing", tags=["sharing"])

SharingRequest = Annotated[Principal, Depends(require(Permission.SHARING_REQUEST))]
SharingDecide = Annotated[Principal, Depends(require(Permission.SHARING_DECIDE))]
Box = Annotated[Literal["outgoing", "incoming"], Query()]
Status = Annotated[RequestStatus | None, Query(alias="status")]


def _request_read(session: Session, request: ShareRequest) -> ShareRequestRead:
    read = ShareRequestRead.model_validate(request)
    grant = service.grant_of(session, request)
    read.grant_id = grant.id if grant is not None else None
    return read


def _grant_read(grant: Grant) -> GrantRead:
    return GrantRead.model_validate(grant, from_attributes=True).model_copy(
        update={"active": grant.is_active(utcnow())}
    )


@router.post("/requests", response_model=ShareRequestRead, status_code=status.HTTP_201_CREATED)
def create_request(
    session: DbSession, principal: SharingRequest, data: ShareRequestCreate
) -> ShareRequestRead:
    """Request fields and rows of another department's resource for one of your systems."""
    request = service.create_request(session, principal=principal, data=data)
    return _request_read(session, request)


@router.get("/requests", response_model=list[ShareRequestRead])
def list_requests(
    session: DbSession,
    principal: SharingRequest,
    box: Box = "outgoing",
    state: Status = None,
) -> list[ShareRequestRead]:
    """List your department's requests (`outgoing`) or those made to it (`incoming`)."""
    requests = service.list_requests(
        session, principal=principal, incoming=box == "incoming", status=state
    )
    return [_request_read(session, r) for r in requests]


@router.get("/requests/{request_id}", response_model=ShareRequestRead)
def get_request(
    session: DbSession, principal: SharingRequest, request_id: uuid.UUID
) -> ShareRequestRead:
    """Read one request your department made or received."""
    return _request_read(
        session, service.get_request(session, principal=principal, request_id=request_id)
    )


@router.post("/requests/{request_id}/decision", response_model=ShareRequestRead)
def decide(
    session: DbSession, principal: SharingDecide, request_id: uuid.UUID, decision: Decision
) -> ShareRequestRead:
    """Approve (possibly narrower) or reject a request for your department's resource."""
    request = service.decide(session, principal=principal, request_id=request_id, decision=decision)
    return _request_read(session, request)


@router.post("/requests/{request_id}/withdrawal", response_model=ShareRequestRead)
def withdraw(
    session: DbSession, principal: SharingRequest, request_id: uuid.UUID
) -> ShareRequestRead:
    """Withdraw a pending request your department made."""
    request = service.withdraw(session, principal=principal, request_id=request_id)
    return _request_read(session, request)


@router.get("/grants", response_model=list[GrantRead])
def list_grants(
    session: DbSession, principal: SharingRequest, box: Box = "outgoing", active: bool = False
) -> list[GrantRead]:
    """List grants your department holds (`outgoing`) or gave (`incoming`)."""
    grants = service.list_grants(
        session, principal=principal, incoming=box == "incoming", active_only=active
    )
    return [_grant_read(g) for g in grants]


@router.get("/grants/{grant_id}", response_model=GrantRead)
def get_grant(session: DbSession, principal: SharingRequest, grant_id: uuid.UUID) -> GrantRead:
    """Read one grant your department holds or gave."""
    return _grant_read(service.get_grant(session, principal=principal, grant_id=grant_id))


@router.post("/grants/{grant_id}/revocation", response_model=GrantRead)
def revoke(
    session: DbSession, principal: SharingDecide, grant_id: uuid.UUID, data: Revocation
) -> GrantRead:
    """Revoke a grant of your department's resource now."""
    grant = service.revoke(session, principal=principal, grant_id=grant_id, reason=data.reason)
    return _grant_read(grant)


@router.get("/grants/{grant_id}/usage", response_model=GrantUsage)
def grant_usage(session: DbSession, principal: SharingRequest, grant_id: uuid.UUID) -> GrantUsage:
    """Count a grant's calls and rows, by kind and per day over the last 30 days."""
    return service.usage(session, principal=principal, grant_id=grant_id)
