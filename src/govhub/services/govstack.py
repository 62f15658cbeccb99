"""The GovStack Registration building block's paths over the same services
(`/api/v1/govstack/registration`), so systems written against that specification can use
GovHub: services and their e-forms, documents, applications ("files"), tasks and statistics.

Names follow the specification (camelCase, `fileId` for an application); permissions and
scopes are exactly those of `/api/v1/services`.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import ConfigDict, Field

from govhub.core.schemas import DivisionCode, Schema
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
from govhub.services.models import Application, Matter, Task, TaskStatus
from govhub.services.schemas import (
    ApplicationCreate,
    CorrectionCreate,
    Outcome,
    Statistics,
    TaskComplete,
)

router = APIRouter(prefix="/api/v1/govstack/registration", tags=["govstack"])


class GsModel(Schema):
    """Base of the GovStack shapes: camelCase on the wire."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class GsService(GsModel):
    """A registration service (a matter)."""

    id: uuid.UUID
    name: str
    description: str
    code: str
    fee: int = Field(description="in fen")
    time_limit_days: int = Field(alias="timeLimitDays")


class GsEForm(GsModel):
    """The e-form of a service: its JSON Schema."""

    id: str
    name: str
    form_schema: dict[str, Any] = Field(alias="schema")


class GsDocument(GsModel):
    """An uploaded document."""

    document_id: uuid.UUID = Field(alias="documentId")
    name: str
    size: int


class GsApplicationCreate(GsModel):
    """A new application (`eFormData` is the form; `documentIds` the uploaded materials)."""

    division_code: DivisionCode = Field(alias="divisionCode")
    e_form_data: dict[str, Any] = Field(alias="eFormData")
    document_ids: list[uuid.UUID] = Field(default_factory=list, alias="documentIds", max_length=50)


class GsApplicationUpdate(GsModel):
    """A corrected application."""

    e_form_data: dict[str, Any] = Field(alias="eFormData")
    document_ids: list[uuid.UUID] = Field(default_factory=list, alias="documentIds", max_length=50)


class GsApplication(GsModel):
    """An application ("file") and its status."""

    file_id: uuid.UUID = Field(alias="fileId")
    service_id: uuid.UUID | None = Field(alias="serviceId")
    status: str
    e_form_data: dict[str, Any] = Field(alias="eFormData")
    reason: str | None = None


class GsTask(GsModel):
    """A task of an official."""

    id: uuid.UUID
    name: str
    file_id: uuid.UUID = Field(alias="fileId")
    status: str
    due_date: str = Field(alias="dueDate")
    overdue: bool


class GsTaskComplete(GsModel):
    """A decision on a task."""

    outcome: Outcome
    comment: str | None = Field(default=None, max_length=2000)


def _service(matter: Matter) -> GsService:
    return GsService(
        id=matter.id,
        name=matter.name_zh,
        description=matter.conditions,
        code=matter.code,
        fee=matter.fee_fen,
        time_limit_days=matter.promised_days,
    )


def _application(application: Application) -> GsApplication:
    return GsApplication(
        file_id=application.id,
        service_id=application.matter_id,
        status=application.status.value,
        e_form_data=application.form,
        reason=application.reason,
    )


def _task(task: Task) -> GsTask:
    return GsTask(
        id=task.id,
        name=task.step,
        file_id=task.application_id,
        status=task.status.value,
        due_date=task.due_at.isoformat(),
        overdue=service.is_overdue(task),
    )


@router.get("/services", response_model=list[GsService], response_model_by_alias=True)
def services(session: DbSession) -> list[GsService]:
    """List the registration services."""
    return [_service(m) for m in service.list_matters(session)]


@router.get(
    "/services/{service_id}/eForms", response_model=list[GsEForm], response_model_by_alias=True
)
def e_forms(session: DbSession, service_id: uuid.UUID) -> list[GsEForm]:
    """The e-form of a service."""
    matter = service.get_matter_by_id(session, service_id)
    return [GsEForm(id=matter.code, name=matter.name_zh, form_schema=matter.form_schema)]


@router.post(
    "/services/{service_id}/applications",
    response_model=GsApplication,
    response_model_by_alias=True,
    status_code=status.HTTP_201_CREATED,
)
def apply(
    session: DbSession,
    principal: Applicant,
    service_id: uuid.UUID,
    data: GsApplicationCreate,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GsApplication:
    """Submit an application to a service."""
    matter = service.get_matter_by_id(session, service_id)
    body = ApplicationCreate(
        matter_code=matter.code,
        division_code=data.division_code,
        form=data.e_form_data,
        document_ids=data.document_ids,
    )
    application, created = service.submit(
        session, principal=principal, data=body, idempotency_key=idempotency_key
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return _application(application)


@router.post(
    "/documents",
    response_model=GsDocument,
    response_model_by_alias=True,
    status_code=status.HTTP_201_CREATED,
)
def upload_document(
    session: DbSession, principal: Applicant, file: UploadedFile, material_code: MaterialCode = None
) -> GsDocument:
    """Upload a document."""
    material = store_upload(session, principal, file, material_code)
    return GsDocument(document_id=material.id, name=material.filename, size=material.size)


@router.get("/applications", response_model=list[GsApplication], response_model_by_alias=True)
def applications(
    session: DbSession, principal: Applicant, limit: Limit = 50, offset: Offset = 0
) -> list[GsApplication]:
    """List your applications."""
    rows = service.list_own(session, principal=principal, limit=limit, offset=offset)
    return [_application(a) for a in rows]


@router.get("/applications/{file_id}", response_model=GsApplication, response_model_by_alias=True)
def application(session: DbSession, principal: Applicant, file_id: uuid.UUID) -> GsApplication:
    """Show one of your applications."""
    return _application(service.get_own(session, principal=principal, application_id=file_id))


@router.put("/applications/{file_id}", response_model=GsApplication, response_model_by_alias=True)
def update_application(
    session: DbSession, principal: Applicant, file_id: uuid.UUID, data: GsApplicationUpdate
) -> GsApplication:
    """Send back a corrected application."""
    body = CorrectionCreate(form=data.e_form_data, document_ids=data.document_ids)
    return _application(
        service.correct(session, principal=principal, application_id=file_id, data=body)
    )


@router.get("/tasks", response_model=list[GsTask], response_model_by_alias=True)
def tasks(
    session: DbSession, principal: Approver, limit: Limit = 50, offset: Offset = 0
) -> list[GsTask]:
    """Your department's open tasks."""
    rows, _ = service.inbox(
        session, principal=principal, status=TaskStatus.OPEN, limit=limit, offset=offset
    )
    return [_task(t) for t in rows]


@router.post("/tasks/{task_id}/complete", response_model=GsTask, response_model_by_alias=True)
def complete_task(
    session: DbSession, principal: Approver, task_id: uuid.UUID, data: GsTaskComplete
) -> GsTask:
    """Complete a task of your department."""
    decision = TaskComplete(outcome=data.outcome, comment=data.comment)
    return _task(service.complete(session, principal=principal, task_id=task_id, data=decision))


@router.get("/data/statistics/1.0", response_model=Statistics)
def statistics(session: DbSession, principal: Approver) -> Statistics:
    """Statistics of your department's applications and tasks."""
    return service.statistics(session, principal=principal)
