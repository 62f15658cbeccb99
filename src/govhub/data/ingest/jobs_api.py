"""HTTP API of load jobs and database sources.

* `POST /api/v1/catalog/resources/{id}/loads` (a file) and `.../pulls` (a table) answer
  202 with the job and its `Location`; `GET /api/v1/data/loads/{job}` reports progress.
* Quarantined loads are listed with `?status=quarantined`, their report downloaded, and
  they are retried or deleted.
* `/api/v1/data/sources` registers the databases a department pulls from.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile, status
from fastapi.responses import JSONResponse

from govhub.data.ingest import jobs, service, sources, tasks
from govhub.data.ingest.api import DataIngest
from govhub.data.ingest.models import JobStatus, LoadJob
from govhub.data.ingest.readers import Format
from govhub.data.ingest.schemas import (
    DataSourceCreate,
    DataSourceRead,
    LoadJobRead,
    PullCreate,
    RetryCreate,
)
from govhub.identity.deps import DbSession, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal

router = APIRouter(tags=["ingest"])

DataSources = Annotated[Principal, Depends(require(Permission.DATA_SOURCES))]
ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"description": "Queued; follow Location for progress"}
}


def _accepted(job: LoadJob, response: Response) -> LoadJobRead:
    response.headers["Location"] = f"/api/v1/data/loads/{job.id}"
    return LoadJobRead.model_validate(job)


@router.post(
    "/api/v1/catalog/resources/{resource_id}/loads",
    response_model=LoadJobRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=ACCEPTED,
)
def start_file_load(
    resource_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="CSV, xlsx, JSON, NDJSON or Parquet")],
    principal: DataIngest,
    session: DbSession,
    response: Response,
    format: Annotated[Format | None, Form()] = None,
) -> LoadJobRead:
    """Load a file in the background as the resource's next dataset version."""
    service.get_ingestable_resource(session, principal=principal, resource_id=resource_id)
    with tempfile.TemporaryDirectory(prefix="govhub-upload-") as workdir:
        source = Path(workdir) / "source"
        with source.open("wb") as handle:
            shutil.copyfileobj(file.file, handle, 1 << 20)
        job = jobs.stage_file(
            session,
            principal=principal,
            resource_id=resource_id,
            source=source,
            filename=file.filename or "upload",
            fmt=format,
        )
    tasks.submit_after_commit(session, job.id)
    return _accepted(job, response)


@router.post(
    "/api/v1/catalog/resources/{resource_id}/pulls",
    response_model=LoadJobRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=ACCEPTED,
)
def start_pull(
    resource_id: uuid.UUID,
    body: PullCreate,
    principal: DataIngest,
    session: DbSession,
    response: Response,
) -> LoadJobRead:
    """Pull a table of a registered source in the background into the resource."""
    job = jobs.create_pull(session, principal=principal, resource_id=resource_id, data=body)
    tasks.submit_after_commit(session, job.id)
    return _accepted(job, response)


@router.get("/api/v1/data/loads", response_model=list[LoadJobRead])
def list_loads(
    principal: DataIngest,
    session: DbSession,
    status: JobStatus | None = None,
    resource_id: uuid.UUID | None = None,
) -> list[LoadJobRead]:
    """List the loads of resources in the caller's ingest scope, newest first."""
    rows = jobs.list_jobs(session, principal=principal, status=status, resource_id=resource_id)
    return [LoadJobRead.model_validate(row) for row in rows]


@router.get("/api/v1/data/loads/{job_id}", response_model=LoadJobRead)
def get_load(job_id: uuid.UUID, principal: DataIngest, session: DbSession) -> LoadJobRead:
    """Return a load's status and progress."""
    return LoadJobRead.model_validate(jobs.get_job(session, principal=principal, job_id=job_id))


@router.get("/api/v1/data/loads/{job_id}/report", response_class=JSONResponse)
def download_report(job_id: uuid.UUID, principal: DataIngest, session: DbSession) -> Response:
    """Download a load's report (what went wrong, and where) as a JSON file."""
    job = jobs.get_job(session, principal=principal, job_id=job_id)
    body = json.dumps(jobs.read_report(job), ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="load-{job.id}.json"'},
    )


@router.post(
    "/api/v1/data/loads/{job_id}/retry",
    response_model=LoadJobRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=ACCEPTED,
)
def retry_load(
    job_id: uuid.UUID,
    body: RetryCreate,
    principal: DataIngest,
    session: DbSession,
    response: Response,
) -> LoadJobRead:
    """Run a failed or quarantined load again."""
    job = jobs.retry(session, principal=principal, job_id=job_id, fmt=body.format)
    tasks.submit_after_commit(session, job.id)
    return _accepted(job, response)


@router.delete("/api/v1/data/loads/{job_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_load(job_id: uuid.UUID, principal: DataIngest, session: DbSession) -> Response:
    """Delete a finished load with its kept file and report."""
    jobs.delete(session, principal=principal, job_id=job_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/api/v1/data/sources", response_model=DataSourceRead, status_code=status.HTTP_201_CREATED
)
def register_source(
    body: DataSourceCreate, principal: DataSources, session: DbSession
) -> DataSourceRead:
    """Register a department's database to pull tables from (the password is encrypted)."""
    return DataSourceRead.model_validate(sources.register(session, principal=principal, data=body))


@router.get("/api/v1/data/sources", response_model=list[DataSourceRead])
def list_sources(principal: DataIngest, session: DbSession) -> list[DataSourceRead]:
    """List the data sources the caller may pull from."""
    rows = sources.list_sources(session, principal=principal)
    return [DataSourceRead.model_validate(row) for row in rows]


@router.delete("/api/v1/data/sources/{source_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_source(source_id: uuid.UUID, principal: DataSources, session: DbSession) -> Response:
    """Remove a data source."""
    sources.delete(session, principal=principal, source_id=source_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
