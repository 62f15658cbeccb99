"""HTTP API of online services (`/api/v1/services`).

The catalog, search and bundles are public; residents and enterprises upload documents, apply
and follow their own applications (`services:apply`); officials work their department's task
inbox and read its approval-cycle statistics (`services:approve`). Another department's task
answers exactly like a task that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from govhub.core.schemas import Page
from govhub.identity.deps import DbSession
from govhub.services import service
from govhub.services.deps import (
    Applicant,
    Approver,
    IdempotencyKey,
    Limit,
    MaterialCode,
    Offset,
    UploadedFile,
    store_upload,
)
from govhub.services.models import TaskStatus
from govhub.services.schemas import (
    ApplicationCreate,
    ApplicationPayment,
    ApplicationRead,
    BundleRead,
    CorrectionCreate,
    MaterialRead,
    MatterHit,
    MatterRead,
    Statistics,
    TaskComplete,
    TaskRead,
    TaskTransfer,
)

router = APIRouter(prefix="/api/v1/services", tags=["services"])


@router.get("/matters", response_model=list[MatterRead])
def list_matters(session: DbSession) -> list[MatterRead]:
    """List the standardized matters with their office guides."""
    return [MatterRead.model_validate(m) for m in service.list_matters(session)]


@router.get("/matters/{code}", response_model=MatterRead)
def read_matter(session: DbSession, code: str) -> MatterRead:
    """Show one matter: conditions, materials, fees, time limits and its form's JSON Schema."""
    return MatterRead.model_validate(service.get_matter(session, code))


@router.get("/search", response_model=list[MatterHit])
def search(
    session: DbSession,
    q: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> list[MatterHit]:
    """Search matters in Chinese or English, best first (no query: no hits)."""
    return service.search(session, q, limit=limit)


@router.get("/bundles", response_model=list[BundleRead])
def list_bundles(session: DbSession) -> list[BundleRead]:
    """List the "one thing, one visit" bundles."""
    return [BundleRead.model_validate(b) for b in service.list_bundles(session)]


@router.get("/bundles/{code}", response_model=BundleRead)
def read_bundle(session: DbSession, code: str) -> BundleRead:
    """Show one bundle and the matters it combines."""
    return BundleRead.model_validate(service.get_bundle(session, code))


@router.post("/documents", response_model=MaterialRead, status_code=status.HTTP_201_CREATED)
def upload_document(
    session: DbSession,
    principal: Applicant,
    file: UploadedFile,
    material_code: MaterialCode = None,
) -> MaterialRead:
    """Upload a material (PDF, PNG or JPEG) to attach to an application."""
    return MaterialRead.model_validate(store_upload(session, principal, file, material_code))


@router.post("/applications", response_model=ApplicationRead, status_code=status.HTTP_201_CREATED)
def apply(
    session: DbSession,
    principal: Applicant,
    data: ApplicationCreate,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationRead:
    """Apply for a matter or a bundle; a retry with the same Idempotency-Key answers 200 with
    the first application."""
    application, created = service.submit(
        session, principal=principal, data=data, idempotency_key=idempotency_key
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return service.to_read(session, application)


@router.get("/applications", response_model=list[ApplicationRead])
def my_applications(
    session: DbSession, principal: Applicant, limit: Limit = 50, offset: Offset = 0
) -> list[ApplicationRead]:
    """List your applications, newest first."""
    rows = service.list_own(session, principal=principal, limit=limit, offset=offset)
    return [service.to_read(session, a) for a in rows]


@router.get("/applications/{application_id}", response_model=ApplicationRead)
def my_application(
    session: DbSession, principal: Applicant, application_id: uuid.UUID
) -> ApplicationRead:
    """Show one of your applications with its tasks and status."""
    application = service.get_own(session, principal=principal, application_id=application_id)
    return service.to_read(session, application)


@router.put("/applications/{application_id}", response_model=ApplicationRead)
def correct(
    session: DbSession, principal: Applicant, application_id: uuid.UUID, data: CorrectionCreate
) -> ApplicationRead:
    """Send back a corrected application after a correction request."""
    application = service.correct(
        session, principal=principal, application_id=application_id, data=data
    )
    return service.to_read(session, application)


@router.post(
    "/applications/{application_id}/fee",
    response_model=ApplicationPayment,
    status_code=status.HTTP_201_CREATED,
)
def renew_fee(
    session: DbSession, principal: Applicant, application_id: uuid.UUID
) -> ApplicationPayment:
    """Raise a fresh fee order for your application after its order expired or was cancelled."""
    return service.renew_fee(session, principal=principal, application_id=application_id)


@router.get("/tasks", response_model=Page[TaskRead])
def inbox(
    session: DbSession,
    principal: Approver,
    task_status: Annotated[TaskStatus, Query(alias="status")] = TaskStatus.OPEN,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """Your department's tasks, oldest first, with overdue flags."""
    rows, total = service.inbox(
        session, principal=principal, status=task_status, limit=limit, offset=offset
    )
    return Page(items=[service.task_read(t) for t in rows], total=total, limit=limit, offset=offset)


@router.post("/tasks/{task_id}/complete", response_model=TaskRead)
def complete_task(
    session: DbSession, principal: Approver, task_id: uuid.UUID, data: TaskComplete
) -> TaskRead:
    """Decide on a task of your department (rejections and corrections need a reason)."""
    return service.task_read(
        service.complete(session, principal=principal, task_id=task_id, data=data)
    )


@router.post("/tasks/{task_id}/transfer", response_model=TaskRead)
def transfer_task(
    session: DbSession, principal: Approver, task_id: uuid.UUID, data: TaskTransfer
) -> TaskRead:
    """Route an open task of your department to the competent department of another division
    that offers the same matter (cross-region handling)."""
    return service.task_read(
        service.transfer(session, principal=principal, task_id=task_id, data=data)
    )


@router.get("/statistics", response_model=Statistics)
def statistics(session: DbSession, principal: Approver) -> Statistics:
    """Applications by status and time per step for your department, with overdue counts."""
    return service.statistics(session, principal=principal)
