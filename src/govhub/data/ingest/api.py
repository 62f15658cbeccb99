"""HTTP API of ingestion: `/api/v1/catalog/resources/{id}/datasets`.

Uploads are multipart (`file`) and bounded by `GOVHUB_MAX_BODY_BYTES` at the edge and
`GOVHUB_INGEST_MAX_FILE_BYTES` here; larger loads go through `govhub data ingest`.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile, status
from fastapi import Path as PathParam

from govhub.data.deps import CatalogRead
from govhub.data.ingest import service
from govhub.data.ingest.schemas import DatasetVersionRead, IngestResult
from govhub.identity.deps import DbSession, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal

router = APIRouter(prefix="/api/v1/catalog/resources/{resource_id}/datasets", tags=["ingest"])

DataIngest = Annotated[Principal, Depends(require(Permission.DATA_INGEST))]


@router.post("", response_model=IngestResult, status_code=status.HTTP_201_CREATED)
def upload_dataset(
    resource_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="CSV, xlsx, JSON, NDJSON or Parquet")],
    principal: DataIngest,
    session: DbSession,
) -> IngestResult:
    """Load a file as the resource's next immutable dataset version."""
    service.get_ingestable_resource(session, principal=principal, resource_id=resource_id)
    filename = Path(file.filename or "upload").name
    with tempfile.TemporaryDirectory(prefix="govhub-upload-") as workdir:
        source = Path(workdir) / "source"
        with source.open("wb") as handle:
            shutil.copyfileobj(file.file, handle, 1 << 20)
        dataset, log = service.ingest(
            session,
            principal=principal,
            resource_id=resource_id,
            source=source,
            filename=filename,
        )
    read = DatasetVersionRead.model_validate(dataset)
    return IngestResult(**read.model_dump(), load_log=log.to_dict())


@router.get("", response_model=list[DatasetVersionRead])
def list_datasets(
    resource_id: uuid.UUID, principal: CatalogRead, session: DbSession
) -> list[DatasetVersionRead]:
    """List the dataset versions of a resource in scope, newest first."""
    rows = service.list_datasets(session, principal=principal, resource_id=resource_id)
    return [DatasetVersionRead.model_validate(row) for row in rows]


@router.get("/{version}", response_model=IngestResult)
def get_dataset(
    resource_id: uuid.UUID,
    version: Annotated[str, PathParam(max_length=64)],
    principal: CatalogRead,
    session: DbSession,
) -> IngestResult:
    """Return one dataset version of a resource in scope, with its load log."""
    number = int(version) if version.isdigit() and len(version) < 10 else 0
    dataset = service.get_dataset(
        session, principal=principal, resource_id=resource_id, version=number
    )
    read = DatasetVersionRead.model_validate(dataset)
    return IngestResult(**read.model_dump(), load_log=service.read_load_log(dataset))
