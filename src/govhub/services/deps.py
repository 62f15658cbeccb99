"""Dependencies shared by the services API and its GovStack mirror."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, File, Form, Header, Query, UploadFile
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUpload

from govhub.core.errors import PayloadTooLarge
from govhub.identity.deps import require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.services import applications
from govhub.services.models import Material

Applicant = Annotated[Principal, Depends(require(Permission.SERVICES_APPLY))]
Approver = Annotated[Principal, Depends(require(Permission.SERVICES_APPROVE))]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$"),
]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
UploadedFile = Annotated[UploadFile, File(description="PDF, PNG or JPEG, at most 10 MiB")]
MaterialCode = Annotated[str | None, Form(max_length=40, pattern=r"^[a-z0-9_]+$")]


def store_upload(
    session: Session, principal: Principal, file: StarletteUpload, material_code: str | None
) -> Material:
    """Read an uploaded file (refusing more than the limit) and store it as a document."""
    data = file.file.read(applications.MAX_MATERIAL_BYTES + 1)
    if len(data) > applications.MAX_MATERIAL_BYTES:
        raise PayloadTooLarge(
            f"a document may hold at most {applications.MAX_MATERIAL_BYTES} bytes"
        )
    return applications.upload(
        session,
        principal=principal,
        filename=file.filename or "document",
        content_type=(file.content_type or "").split(";")[0].strip(),
        data=data,
        material_code=material_code,
    )
