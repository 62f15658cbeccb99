"""Load jobs: a file or a database table loaded in the background, with progress and quarantine.

A job's life: `staged` (an uploaded file waits for the official's go) → `queued` → `running` →
`succeeded`, `failed` or `quarantined`. The source file waits in storage under
`loads/staging/<job>/source`; a bad file moves to `loads/quarantine/<job>/` with a
`report.json` beside it and stays there until it is retried or deleted.

`run` converts outside any transaction (progress is written in short transactions of its own),
then publishes and marks the job succeeded in one transaction, so a crash leaves either a
published version with a succeeded job, or no version and a job that is still `running`.
After a restart such jobs are **resumable**: `recover` queues them again and they run from the
beginning (the staged file is still there; a pull reads the table again). A Parquet object
written just before a crash is found and removed by `govhub data gc`.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from govhub.core.db import session_scope, utcnow
from govhub.core.errors import Conflict, GovHubError, InvalidInput, NotFound
from govhub.core.storage import Storage, get_storage
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import Resource
from govhub.data.catalog.schemas import FieldSpec, ResourceUpdate
from govhub.data.ingest import pull, service
from govhub.data.ingest import sources as sources_service
from govhub.data.ingest.errors import BadFile
from govhub.data.ingest.models import ACTIVE, DataSource, JobStatus, LoadJob, SourceKind
from govhub.data.ingest.pipeline import Converted, LoadLog, convert, convert_batches
from govhub.data.ingest.readers import Format
from govhub.data.ingest.schemas import PullCreate
from govhub.data.ingest.settings import IngestSettings, get_ingest_settings
from govhub.data.standards import service as standards_service
from govhub.identity.authn import principal_for
from govhub.identity.models import Account
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal

log = logging.getLogger("govhub.ingest")

NOT_FOUND = "no such load"
PROGRESS_INTERVAL = 0.5


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
    service.put_file(get_storage(), job.source_key, source)
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


def start(session: Session, *, principal: Principal, job_id: uuid.UUID,
          mapping: dict[str, str] | None = None) -> LoadJob:  # fmt: skip
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


# --- running -------------------------------------------------------------------------------------


class _Meter:
    """Progress of a running job, written at most every `PROGRESS_INTERVAL` seconds."""

    def __init__(self, job_id: uuid.UUID, echo: Callable[[int, int], None] | None) -> None:
        self.job_id = job_id
        self.bytes = 0
        self.rows = 0
        self.echo = echo
        self._last = time.monotonic()

    def add_bytes(self, n: int) -> None:
        self.bytes += n
        self._tick()

    def add_rows(self, n: int) -> None:
        self.rows += n
        self._tick()

    def _tick(self) -> None:
        if self.echo is not None:
            self.echo(self.bytes, self.rows)
        if time.monotonic() - self._last >= PROGRESS_INTERVAL:
            self.flush()

    def flush(self) -> None:
        self._last = time.monotonic()
        with session_scope() as session:
            session.execute(
                update(LoadJob)
                .where(LoadJob.id == self.job_id)
                .values(bytes_read=self.bytes, rows=self.rows)
            )


def _claim(job_id: uuid.UUID, principal: Principal | None) -> tuple[Principal, LoadJob] | None:
    """Mark a queued job running and return who runs it (None: nothing to run)."""
    with session_scope() as session:
        claimed = session.execute(
            update(LoadJob)
            .where(LoadJob.id == job_id, LoadJob.status == JobStatus.QUEUED)
            .values(
                status=JobStatus.RUNNING,
                started_at=utcnow(),
                bytes_read=0,
                rows=0,
                attempts=LoadJob.attempts + 1,
            )
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        job = session.get(LoadJob, job_id)
        account = session.get(Account, job.created_by) if job and job.created_by else None
        if job is None:
            return None
        if principal is None:
            if account is None:
                raise NotFound("the official who started the load no longer exists")
            principal = principal_for(account)
        session.expunge(job)
        return principal, job


def run(
    job_id: uuid.UUID,
    *,
    echo: Callable[[int, int], None] | None = None,
    principal: Principal | None = None,
) -> JobStatus | None:
    """Run a queued job to its end as its creator (or `principal`); return its final status
    (None: it was not queued). `echo` hears (bytes read, rows read) as they grow."""
    try:
        claimed = _claim(job_id, principal)
    except NotFound as error:
        _finish(job_id, JobStatus.FAILED, {"detail": error.detail})
        return JobStatus.FAILED
    if claimed is None:
        return None
    principal, job = claimed
    meter = _Meter(job_id, echo)
    settings = get_ingest_settings()
    storage = get_storage()
    with tempfile.TemporaryDirectory(prefix="govhub-load-") as workdir:
        local = Path(workdir) / "source"
        try:
            converted = _convert(job, local, meter=meter, storage=storage, settings=settings)
            try:
                _publish(job, principal, converted)
            finally:
                converted.path.unlink(missing_ok=True)
        except BadFile as error:
            _quarantine(job, error, local if local.exists() else None, storage)
            return JobStatus.QUARANTINED
        except GovHubError as error:
            _finish(job_id, JobStatus.FAILED, {"detail": error.detail, **_safe(error.extra)})
            return JobStatus.FAILED
        except Exception:
            log.exception("load job %s failed", job_id)
            _finish(job_id, JobStatus.FAILED, {"detail": "the load failed unexpectedly"})
            return JobStatus.FAILED
    if job.source_key:
        storage.delete(job.source_key)
    return JobStatus.SUCCEEDED


def _safe(extra: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in extra.items() if isinstance(v, str | int | float | list | dict)}


def _convert(
    job: LoadJob, local: Path, *, meter: _Meter, storage: Storage, settings: IngestSettings
) -> Converted:
    if job.source_kind is SourceKind.FILE:
        with storage.open(job.source_key) as handle, local.open("wb") as out:
            shutil.copyfileobj(handle, out, 1 << 20)
        fmt = Format(job.format) if job.format else None
        return convert(
            local, filename=job.filename, settings=settings, progress=meter.add_bytes, fmt=fmt
        )
    with session_scope() as session:
        source = session.get(DataSource, job.data_source_id)
        if source is None:
            raise NotFound("the data source was removed")
        session.expunge(source)
    load_log = LoadLog(source=job.filename, format="database", source_bytes=0)
    batches = pull.read_table(
        source,
        pull.TableRef(job.table_name, tuple(job.columns)),
        settings=settings,
        warnings=load_log.warnings,
        on_rows=meter.add_rows,
    )
    return convert_batches(batches, log=load_log, settings=settings)


def _publish(job: LoadJob, principal: Principal, converted: Converted) -> None:
    with session_scope() as session:
        resource = service.get_ingestable_resource(
            session, principal=principal, resource_id=job.resource_id
        )
        dataset, load_log = service.publish(
            session, principal=principal, resource=resource, converted=converted
        )
        if job.mapping:
            _apply_mapping(session, principal, resource, converted, job.mapping)
        row = session.get(LoadJob, job.id)
        if row is None:
            raise NotFound(NOT_FOUND)
        row.status = JobStatus.SUCCEEDED
        row.dataset_id = dataset.id
        row.rows = dataset.row_count
        row.bytes_read = row.bytes_total
        row.finished_at = utcnow()
        row.report = _with_previous(
            row.report,
            {"version": dataset.version, "digest": dataset.digest, "load_log": load_log.to_dict()},
        )


def _with_previous(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Return a new report that keeps the report of the attempt before a retry."""
    return {**new, "previous": old["previous"]} if "previous" in old else new


def _apply_mapping(
    session: Session,
    principal: Principal,
    resource: Resource,
    converted: Converted,
    mapping: dict[str, str],
) -> None:
    """Record the accepted column → element mapping in the resource's fields."""
    fields = {str(f["name"]): dict(f) for f in resource.fields}
    for column in converted.schema:
        name = str(column["name"])
        code = mapping.get(name)
        if not code:
            continue
        spec = fields.get(name, {"name": name, "type": column["type"]})
        spec["element_code"] = code
        fields[name] = spec
    specs = [FieldSpec.model_validate(spec) for spec in fields.values()]
    catalog_service.update_resource(
        session, principal=principal, resource_id=resource.id, data=ResourceUpdate(fields=specs)
    )


def _finish(job_id: uuid.UUID, status: JobStatus, report: dict[str, Any]) -> None:
    with session_scope() as session:
        row = session.get(LoadJob, job_id)
        if row is not None:
            row.status = status
            row.report = _with_previous(row.report, report)
            row.finished_at = utcnow()


def _quarantine(job: LoadJob, error: BadFile, local: Path | None, storage: Storage) -> None:
    """Keep a bad file and its report in quarantine; nothing was published."""
    report: dict[str, object] = {"reason": error.reason, "detail": error.detail}
    if error.line is not None:
        report["line"] = error.line
    if error.column is not None:
        report["column"] = error.column
    key = ""
    if job.source_kind is SourceKind.FILE and job.source_key:
        key = quarantine_key(job.id)
        if job.source_key != key:
            if local is not None:
                service.put_file(storage, key, local)
            else:
                with storage.open(job.source_key) as handle:
                    storage.put(key, handle.read())
    with session_scope() as session:
        row = session.get(LoadJob, job.id)
        if row is None:
            return
        old = row.source_key
        row.status = JobStatus.QUARANTINED
        row.source_key = key
        row.report = report
        row.finished_at = utcnow()
        body = json.dumps(read_report(row), ensure_ascii=False, indent=2).encode()
    storage.put(report_key(job.id), body)
    if old and old != key:
        storage.delete(old)
