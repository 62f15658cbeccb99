"""HTTP API of ratings (`/api/v1/ratings`).

Applicants rate their own completed applications (`services:apply`); the handling department's
approvers and administrators work its rectification cases (`ratings:handle`); department
administrators decide appeals within their division subtree (`ratings:decide`); statistics are
public. Another department's case answers exactly like a case that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from govhub.core.schemas import Page
from govhub.identity.deps import DbSession, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ratings import service
from govhub.ratings.models import CaseStatus
from govhub.ratings.schemas import (
    AppealCreate,
    AppealDecision,
    CaseClose,
    CaseRead,
    RatingCreate,
    RatingRead,
    ReturnVisit,
    Statistics,
    StatsBy,
)

Applicant = Annotated[Principal, Depends(require(Permission.SERVICES_APPLY))]
Handler = Annotated[Principal, Depends(require(Permission.RATINGS_HANDLE))]
Decider = Annotated[Principal, Depends(require(Permission.RATINGS_DECIDE))]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]

router = APIRouter(prefix="/api/v1/ratings", tags=["ratings"])


@router.post("", response_model=RatingRead, status_code=status.HTTP_201_CREATED)
def rate(session: DbSession, principal: Applicant, data: RatingCreate) -> RatingRead:
    """Rate a completed application of yours (bundles: per matter); once only."""
    return service.rating_read(session, service.rate(session, principal=principal, data=data))


@router.get("/mine", response_model=list[RatingRead])
def my_ratings(session: DbSession, principal: Applicant) -> list[RatingRead]:
    """List your ratings, newest first."""
    return [service.rating_read(session, r) for r in service.list_own(session, principal=principal)]


@router.get("/statistics", response_model=Statistics)
def statistics(session: DbSession, by: StatsBy = StatsBy.MATTER) -> Statistics:
    """Public satisfaction statistics per matter, department or division."""
    return service.statistics(session, by=by)


@router.get("/cases", response_model=Page[CaseRead])
def cases(
    session: DbSession,
    principal: Handler,
    case_status: Annotated[CaseStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """Your department's rectification cases, earliest deadline first, with overdue flags."""
    rows, total = service.inbox(
        session, principal=principal, status=case_status, limit=limit, offset=offset
    )
    items = [service.case_read(session, r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/cases/{case_id}", response_model=CaseRead)
def read_case(session: DbSession, principal: Handler, case_id: uuid.UUID) -> CaseRead:
    """Show one case of your department."""
    return service.case_read(
        session, service.get_case(session, principal=principal, case_id=case_id)
    )


@router.post("/cases/{case_id}/return-visit", response_model=CaseRead)
def return_visit(
    session: DbSession, principal: Handler, case_id: uuid.UUID, data: ReturnVisit
) -> CaseRead:
    """Record the real-name return visit to the applicant."""
    record = service.record_visit(session, principal=principal, case_id=case_id, data=data)
    return service.case_read(session, record)


@router.post("/cases/{case_id}/close", response_model=CaseRead)
def close(session: DbSession, principal: Handler, case_id: uuid.UUID, data: CaseClose) -> CaseRead:
    """Close a visited case as rectified, with the measures taken."""
    record = service.close(session, principal=principal, case_id=case_id, data=data)
    return service.case_read(session, record)


@router.post("/cases/{case_id}/appeal", response_model=CaseRead)
def appeal(
    session: DbSession, principal: Handler, case_id: uuid.UUID, data: AppealCreate
) -> CaseRead:
    """Appeal against a mistaken review, with the reason."""
    record = service.appeal(session, principal=principal, case_id=case_id, data=data)
    return service.case_read(session, record)


@router.get("/appeals", response_model=list[CaseRead])
def appeals(session: DbSession, principal: Decider) -> list[CaseRead]:
    """Pending appeals within your division subtree, oldest first."""
    return [service.case_read(session, r) for r in service.appeals(session, principal=principal)]


@router.post("/cases/{case_id}/decision", response_model=CaseRead)
def decide(
    session: DbSession, principal: Decider, case_id: uuid.UUID, data: AppealDecision
) -> CaseRead:
    """Decide an appeal: upheld excludes the rating from statistics and closes the case."""
    record = service.decide(session, principal=principal, case_id=case_id, data=data)
    return service.case_read(session, record)
