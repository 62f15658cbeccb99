"""The upload wizard: choose a file, check its preview and mapping, publish, see the result.

1. `GET /catalog/resources/{id}/upload` shows the drop zone; the browser sends the file with
   XHR (its progress bar follows the upload) to
2. `POST /catalog/resources/{id}/upload`, which stages the file as a load job and answers the
   preview fragment: format, encoding, delimiter, column types, first rows and a data-element
   choice per column (the suggestion preselected).
3. `POST /catalog/loads/{job}/start` queues the job with the chosen mapping and answers the
   progress fragment, which htmx refreshes from `GET /catalog/loads/{job}/progress`
4. until the job ends; then the same URL answers the result: a link to the new version (and
   its quality report), or the quarantine report of a bad file.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from govhub.core.i18n import N_
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import Resource
from govhub.data.ingest import jobs, service, tasks
from govhub.data.ingest.errors import BadFile
from govhub.data.ingest.models import ACTIVE, JobStatus, LoadJob
from govhub.data.ingest.preview import preview_file
from govhub.data.standards import service as standards_service
from govhub.identity.deps import DbSession, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)

DataIngestPage = Annotated[Principal, Depends(require(Permission.DATA_INGEST))]
REASONS = {
    "encoding": N_("The text encoding is not UTF-8 or GBK/GB18030"),
    "ragged": N_("A row has more or fewer values than the header"),
    "type_changed": N_("A column changes its type part-way through"),
    "empty": N_("The file holds no data"),
    "too_large": N_("The file is larger than allowed"),
    "zip_bomb": N_("The workbook unpacks to far more than its size"),
    "unsupported": N_("This kind of file cannot be loaded"),
    "malformed": N_("The file is damaged or not of the format its name says"),
}
STATUS_LABELS = {
    JobStatus.STAGED: N_("Waiting for your go"),
    JobStatus.QUEUED: N_("Queued"),
    JobStatus.RUNNING: N_("Loading"),
    JobStatus.SUCCEEDED: N_("Published"),
    JobStatus.FAILED: N_("Failed"),
    JobStatus.QUARANTINED: N_("Quarantined"),
}


def _elements(session: Session) -> list[tuple[str, str, str]]:
    rows, _total = standards_service.list_elements(session, limit=500)
    return [(e.code, e.name, e.name_en) for e in rows]


@router.get("/catalog/resources/{resource_id}/upload", response_class=HTMLResponse)
def upload_page(
    request: Request, resource_id: uuid.UUID, principal: DataIngestPage, session: DbSession
) -> Response:
    """Show step 1 of the upload wizard for a resource the official may load into."""
    resource = service.get_ingestable_resource(
        session, principal=principal, resource_id=resource_id
    )
    kept = [
        job
        for job in jobs.list_jobs(session, principal=principal, resource_id=resource.id)
        if job.status in (JobStatus.QUARANTINED, JobStatus.FAILED)
    ]
    return render(
        request,
        "ingest/upload.html",
        {"resource": resource, "kept": kept, "status_labels": STATUS_LABELS, "reasons": REASONS},
    )


@router.post("/catalog/resources/{resource_id}/upload", response_class=HTMLResponse)
def upload(
    request: Request,
    resource_id: uuid.UUID,
    _: CsrfChecked,
    principal: DataIngestPage,
    session: DbSession,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Stage the file and answer step 2: its preview and mapping suggestions."""
    resource = service.get_ingestable_resource(
        session, principal=principal, resource_id=resource_id
    )
    filename = Path(file.filename or "upload").name
    with tempfile.TemporaryDirectory(prefix="govhub-upload-") as workdir:
        source = Path(workdir) / "source"
        with source.open("wb") as handle:
            shutil.copyfileobj(file.file, handle, 1 << 20)
        job = jobs.stage_file(
            session,
            principal=principal,
            resource_id=resource.id,
            source=source,
            filename=filename,
            queue=False,
        )
        try:
            preview = preview_file(session, source, filename=filename, resource=resource)
        except BadFile:
            # The load itself keeps the file in quarantine with its report.
            jobs.start(session, principal=principal, job_id=job.id)
            tasks.submit_after_commit(session, job.id)
            return _progress(request, job, resource)
    return render(
        request,
        "ingest/_preview.html",
        {"job": job, "resource": resource, "preview": preview, "elements": _elements(session)},
    )


@router.post("/catalog/loads/{job_id}/start", response_class=HTMLResponse)
async def start(
    request: Request,
    job_id: uuid.UUID,
    _: CsrfChecked,
    principal: DataIngestPage,
    session: DbSession,
) -> Response:
    """Queue a staged upload with the chosen mapping and answer step 3: its progress."""
    form = await request.form()
    mapping: dict[str, str] = {}
    for key, value in form.multi_items():
        if key.startswith("col_") and isinstance(value, str):
            chosen = form.get("map_" + key.removeprefix("col_"))
            if isinstance(chosen, str) and chosen:
                mapping[value[:200]] = chosen[:64]
    job = jobs.start(session, principal=principal, job_id=job_id, mapping=mapping)
    tasks.submit_after_commit(session, job.id)
    resource = session.get_one(Resource, job.resource_id)
    return _progress(request, job, resource)


@router.get("/catalog/loads/{job_id}/progress", response_class=HTMLResponse)
def progress(
    request: Request, job_id: uuid.UUID, principal: DataIngestPage, session: DbSession
) -> Response:
    """Answer step 3 while the load runs, and step 4 (the result) once it has ended."""
    job = jobs.get_job(session, principal=principal, job_id=job_id)
    resource = catalog_service.get_scoped_resource(
        session, principal=principal, resource_id=job.resource_id
    )
    return _progress(request, job, resource)


def _progress(request: Request, job: LoadJob, resource: Resource) -> Response:
    percent = 0
    if job.status is JobStatus.SUCCEEDED:
        percent = 100
    elif job.bytes_total:
        percent = min(99, job.bytes_read * 100 // job.bytes_total)
    return render(
        request,
        "ingest/_progress.html",
        {
            "job": job,
            "resource": resource,
            "active": job.status in ACTIVE,
            "percent": percent,
            "status_label": STATUS_LABELS[job.status],
            "reason_label": REASONS.get(str(job.report.get("reason", ""))),
        },
    )


@router.post("/catalog/loads/{job_id}/retry", response_class=HTMLResponse)
def retry(
    request: Request,
    job_id: uuid.UUID,
    _: CsrfChecked,
    principal: DataIngestPage,
    session: DbSession,
) -> Response:
    """Run a quarantined or failed load again and answer its progress."""
    job = jobs.retry(session, principal=principal, job_id=job_id)
    tasks.submit_after_commit(session, job.id)
    resource = session.get_one(Resource, job.resource_id)
    return _progress(request, job, resource)


@router.post("/catalog/loads/{job_id}/delete", response_class=HTMLResponse)
def delete(
    request: Request,
    job_id: uuid.UUID,
    _: CsrfChecked,
    principal: DataIngestPage,
    session: DbSession,
) -> Response:
    """Delete a finished load with its quarantined file, and offer a fresh upload."""
    resource_id = jobs.get_job(session, principal=principal, job_id=job_id).resource_id
    jobs.delete(session, principal=principal, job_id=job_id)
    return render(request, "ingest/_deleted.html", {"resource_id": resource_id})
