"""Running a load job: convert outside any transaction (progress in short transactions of its
own), then publish and mark the job succeeded in one transaction; a bad file goes to quarantine
with its report, any other failure marks the job failed. See `govhub.data.ingest.jobs`."""

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

from sqlalchemy import update
from sqlalchemy.orm import Session

from govhub.core.db import session_scope, utcnow
from govhub.core.errors import GovHubError, NotFound
from govhub.core.storage import Storage, get_storage, put_file
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import Resource
from govhub.data.catalog.schemas import FieldSpec, ResourceUpdate
from govhub.data.ingest import pull, service
from govhub.data.ingest.errors import BadFile
from govhub.data.ingest.jobs import NOT_FOUND, quarantine_key, read_report, report_key
from govhub.data.ingest.models import DataSource, JobStatus, LoadJob, SourceKind
from govhub.data.ingest.pipeline import (
    Converted,
    LoadLog,
    convert,
    convert_batches,
    file_digest,
)
from govhub.data.ingest.readers import Format
from govhub.data.ingest.settings import IngestSettings, get_ingest_settings
from govhub.data.lineage.service import Source
from govhub.identity.authn import principal_for
from govhub.identity.models import Account
from govhub.identity.principal import Principal

log = logging.getLogger("govhub.ingest")

PROGRESS_INTERVAL = 0.5


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
                # Lineage names a staged file by its digest, a pulled table by its source.
                read = local if local.exists() else converted.path
                _publish(job, principal, converted, file_digest(read))
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


def _publish(job: LoadJob, principal: Principal, converted: Converted, digest: str) -> None:
    with session_scope() as session:
        resource = service.get_ingestable_resource(
            session, principal=principal, resource_id=job.resource_id
        )
        dataset, load_log = service.publish(
            session,
            principal=principal,
            resource=resource,
            converted=converted,
            source_digest=digest,
            lineage_source=_pulled_from(session, job),
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


def _pulled_from(session: Session, job: LoadJob) -> Source | None:
    """Return the lineage node of the table a pull job read (None for a file)."""
    if job.source_kind is SourceKind.FILE or job.data_source_id is None:
        return None
    source = session.get(DataSource, job.data_source_id)
    if source is None:
        raise NotFound("the data source was removed")
    return pull.lineage_source(source, job.table_name)


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
                put_file(storage, key, local)
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
