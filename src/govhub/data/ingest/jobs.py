"""Load jobs: a file or a database table loaded in the background, with progress and quarantine.

A job's life: `staged` (an uploaded file waits for the official's go) → `queued` → `running` →
`succeeded`, `failed` or `quarantined`. The source file waits in storage under
`loads/staging/<job>/source`; a bad file moves to `loads/quarantine/<job>/` with a
`report.json` beside it and stays there until it is retried or deleted.

`runner.run` converts outside any transaction (progress is written in short transactions of
its own), then publishes and marks the job succeeded in one transaction, so a crash leaves a
published version with a succeeded job, or no version and a job that is still `running`.
After a restart such jobs are **resumable**: `recover` queues them again and they run from the
beginning (the staged file is still there; a pull reads the table again). A Parquet object
written just before a crash is found and removed by `govhub data gc`.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from govhub.core.db import session_scope
from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.core.storage import get_storage, put_file
from govhub.data.catalog.models import Resource
from govhub.data.ingest import pull, service
from govhub.data.ingest import sources as sources_service
from govhub.data.ingest.models import ACTIVE, JobStatus, LoadJob, SourceKind
from govhub.data.ingest.readers import Format
from govhub.data.ingest.schemas import PullCreate
from govhub.data.ingest.settings import IngestSettings, get_ingest_settings
from govhub.data.standards import service as standards_service
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal

NOT_FOUND = "no such load"


def staging_key(job_id: uuid.UUID) -> str:
    """Return where a job's source file waits."""
    return f"loads/staging/{job_id}/source"


def quarantine_key(job_id: uuid.UUID) -> str:
    """Return where a quarantined job's source file is kept."""
    return f"loads/quarantine/{job_id}/source"


def report_key(job_id: uuid.UUID) -> str:
    """Return where a quarantined job's report is kept."""
    return f"loads/quarantine/{job_id}/report.json"


# --- creating and reading ----------------------------------------------------------------------


def stage_file(
    session: Session,
    *,
    principal: Principal,
    resource_id: uuid.UUID,
    source: Path,
    filename: str,
    fmt: Format | None = None,
    queue: bool = True,
) -> LoadJob:
    """Keep an uploaded file in staging and make its job (queued, or staged for the wizard)."""
    resource = service.get_ingestable_resource(
        session, principal=principal, resource_id=resource_id
    )
    job = LoadJob(
        id=uuid.uuid4(),
        resource_id=resource.id,
        department_id=resource.department_id,
        status=JobStatus.QUEUED if queue else JobStatus.STAGED,
        source_kind=SourceKind.FILE,
        filename=Path(filename).name[:255] or "upload",
        format=fmt.value if fmt else "",
        bytes_total=source.stat().st_size,
        created_by=principal.account_id,
    )
    job.source_key = staging_key(job.id)
    session.add(job)
    session.flush()
    # Stored before the commit: if the transaction fails, `govhub data gc` finds the orphan.
    put_file(get_storage(), job.source_key, source)
    return job


def create_pull(
    session: Session,
    *,
    principal: Principal,
    resource_id: uuid.UUID,
    data: PullCreate,
    settings: IngestSettings | None = None,
) -> LoadJob:
    """Check that a source table can be read, then queue its pull into a resource."""
    resource = service.get_ingestable_resource(
        session, principal=principal, resource_id=resource_id
    )
    source = sources_service.get_usable(session, principal=principal, source_id=data.source_id)
    if source.department_id != resource.department_id and not _is_manager(principal):
        raise NotFound(sources_service.NOT_FOUND)
    columns = pull.probe(
        source, pull.TableRef(data.table, tuple(data.columns)), settings or get_ingest_settings()
    )
    job = LoadJob(
        id=uuid.uuid4(),
        resource_id=resource.id,
        department_id=resource.department_id,
        status=JobStatus.QUEUED,
        source_kind=SourceKind.DATABASE,
        data_source_id=source.id,
        table_name=data.table,
        columns=columns,
        filename=f"{source.name}:{data.table}"[:255],
        created_by=principal.account_id,
    )
    session.add(job)
    session.flush()
    return job


def _is_manager(principal: Principal) -> bool:
    return principal.can(Permission.CATALOG_MANAGE)


def get_job(session: Session, *, principal: Principal, job_id: uuid.UUID) -> LoadJob:
    """Return a job of a resource the principal may ingest into (others look missing)."""
    job = session.get(LoadJob, job_id)
    resource = session.get(Resource, job.resource_id) if job else None
    if job is None or resource is None or not service.may_ingest(principal, resource):
        raise NotFound(NOT_FOUND)
    return job


def list_jobs(
    session: Session,
    *,
    principal: Principal,
    status: JobStatus | None = None,
    resource_id: uuid.UUID | None = None,
    limit: int = 50,
) -> list[LoadJob]:
    """List the jobs of resources the principal may ingest into, newest first."""
    query = select(LoadJob).order_by(LoadJob.created_at.desc())
    if status is not None:
        query = query.where(LoadJob.status == status)
    if resource_id is not None:
        query = query.where(LoadJob.resource_id == resource_id)
    found: list[LoadJob] = []
    for job in session.scalars(query.limit(2000)):
        resource = session.get(Resource, job.resource_id)
        if resource is not None and service.may_ingest(principal, resource):
            found.append(job)
            if len(found) >= limit:
                break
    return found


def read_report(job: LoadJob) -> dict[str, object]:
    """Return a job's report with what it loaded from and where it stands."""
    return {
        "job_id": str(job.id),
        "resource_id": str(job.resource_id),
        "status": job.status.value,
        "source": job.filename,
        "format": job.format,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        **job.report,
    }


# --- changing ------------------------------------------------------------------------------------


def start(
    session: Session,
    *,
    principal: Principal,
    job_id: uuid.UUID,
    mapping: dict[str, str] | None = None,
) -> LoadJob:
    """Queue a staged upload, with the column → data element mapping the official accepted."""
    job = get_job(session, principal=principal, job_id=job_id)
    if job.status is not JobStatus.STAGED:
        raise Conflict(f"the load is {job.status.value}, not staged")
    chosen = {column: code for column, code in (mapping or {}).items() if code}
    unknown = set(chosen.values()) - standards_service.existing_codes(session, chosen.values())
    if unknown:
        raise InvalidInput(f"no data element {sorted(unknown)[0]}", field="mapping")
    job.mapping = chosen
    job.status = JobStatus.QUEUED
    session.flush()
    return job


def retry(
    session: Session, *, principal: Principal, job_id: uuid.UUID, fmt: Format | None = None
) -> LoadJob:
    """Queue a failed or quarantined load again (its file back from quarantine)."""
    job = get_job(session, principal=principal, job_id=job_id)
    if job.status not in (JobStatus.FAILED, JobStatus.QUARANTINED):
        raise Conflict(f"only failed or quarantined loads are retried; this one is {job.status}")
    storage = get_storage()
    if job.source_kind is SourceKind.FILE:
        if not job.source_key or not storage.exists(job.source_key):
            raise Conflict("the load's file is gone; upload it again")
        if fmt is not None:
            job.format = fmt.value
    job.status = JobStatus.QUEUED
    job.report = {"previous": job.report}
    job.finished_at = None
    session.flush()
    return job


def delete(session: Session, *, principal: Principal, job_id: uuid.UUID) -> None:
    """Delete a load that is not running, with its staged or quarantined file and report."""
    job = get_job(session, principal=principal, job_id=job_id)
    if job.status in ACTIVE:
        raise Conflict(f"the load is {job.status.value}; wait for it to finish")
    storage = get_storage()
    for key in (job.source_key, report_key(job.id)):
        if key:
            storage.delete(key)
    session.delete(job)
    session.flush()


def recover() -> list[uuid.UUID]:
    """Queue again the jobs a stopped process left running; return every queued job's id."""
    with session_scope() as session:
        session.execute(
            update(LoadJob)
            .where(LoadJob.status == JobStatus.RUNNING)
            .values(status=JobStatus.QUEUED, started_at=None)
        )
        queued = select(LoadJob.id).where(LoadJob.status == JobStatus.QUEUED)
        return list(session.scalars(queued))
