"""Ingestion service: publish a file as the next immutable dataset version of a resource."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govhub.core.errors import Conflict, NotFound
from govhub.core.storage import Storage, get_storage, put_file
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.exchange import webhooks
from govhub.data.ingest.personal import unprotected_personal
from govhub.data.ingest.pipeline import Converted, LoadLog, convert, file_digest
from govhub.data.ingest.readers import Format, Progress
from govhub.data.ingest.settings import IngestSettings, get_ingest_settings
from govhub.data.lineage import service as lineage_service
from govhub.data.quality import service as quality_service
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger_service
from govhub.ledger.schemas import EntryKind
from govhub.privacy import vault

NOT_FOUND = "no such resource"

PublishHook = Callable[[Session, Resource, DatasetVersion], None]
on_published: list[PublishHook] = []
"""Called in the publishing transaction once a new version is stored (proactive services)."""


def may_ingest(principal: Principal, resource: Resource) -> bool:
    """Tell whether `principal` may load data into the resource: its own department's, or any
    in scope with catalog management."""
    if not principal.can(Permission.DATA_INGEST):
        return False
    if resource.department_id == principal.department_id:
        return True
    return principal.can(Permission.CATALOG_MANAGE) and principal.covers(
        resource.department.division_code
    )


def get_ingestable_resource(
    session: Session, *, principal: Principal, resource_id: uuid.UUID
) -> Resource:
    """Return a resource the principal may ingest into (others look missing)."""
    resource = session.get(Resource, resource_id)
    if resource is None or not may_ingest(principal, resource):
        raise NotFound(NOT_FOUND)
    if resource.withdrawn_at is not None:
        raise Conflict("the resource was withdrawn from the catalog")
    return resource


def list_datasets(
    session: Session, *, principal: Principal, resource_id: uuid.UUID
) -> list[DatasetVersion]:
    """List the dataset versions of a resource in scope, newest first."""
    catalog_service.get_scoped_resource(session, principal=principal, resource_id=resource_id)
    rows = session.scalars(
        select(DatasetVersion)
        .where(DatasetVersion.resource_id == resource_id)
        .order_by(DatasetVersion.version.desc())
    )
    return list(rows)


def get_dataset(
    session: Session, *, principal: Principal, resource_id: uuid.UUID, version: int
) -> DatasetVersion:
    """Return one dataset version of a resource in scope."""
    catalog_service.get_scoped_resource(session, principal=principal, resource_id=resource_id)
    row = session.scalar(
        select(DatasetVersion).where(
            DatasetVersion.resource_id == resource_id, DatasetVersion.version == version
        )
    )
    if row is None:
        raise NotFound("no such dataset version")
    return row


def read_load_log(dataset: DatasetVersion, storage: Storage | None = None) -> dict[str, object]:
    """Return the load log stored beside a dataset version (empty if it is missing)."""
    storage = storage or get_storage()
    key = log_key(dataset.storage_key)
    if not storage.exists(key):
        return {}
    with storage.open(key) as handle:
        data: dict[str, object] = json.loads(handle.read())
    return data


def log_key(storage_key: str) -> str:
    """Return the key of the load log stored beside a Parquet object."""
    return storage_key.removesuffix(".parquet") + ".load.json"


def ingest(
    session: Session,
    *,
    principal: Principal,
    resource_id: uuid.UUID,
    source: Path,
    filename: str,
    progress: Progress | None = None,
    settings: IngestSettings | None = None,
    fmt: Format | None = None,
) -> tuple[DatasetVersion, LoadLog]:
    """Convert a file and publish it as the resource's next dataset version, or change nothing."""
    resource = get_ingestable_resource(session, principal=principal, resource_id=resource_id)
    settings = settings or get_ingest_settings()
    converted = convert(source, filename=filename, settings=settings, progress=progress, fmt=fmt)
    converted.log.warnings.extend(unprotected_personal(resource, converted.path))
    try:
        source_digest = file_digest(source)
        return _publish(
            session,
            principal=principal,
            resource=resource,
            converted=converted,
            source_digest=source_digest,
        )
    finally:
        converted.path.unlink(missing_ok=True)


def publish(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    converted: Converted,
    source_digest: str,
    lineage_source: lineage_service.Source | None = None,
) -> tuple[DatasetVersion, LoadLog]:
    """Publish an already converted Parquet file as the resource's next dataset version
    (`source_digest`: the SHA-256 of what was read; `lineage_source`: the node lineage names
    as the input, by default the file known by that digest)."""
    return _publish(
        session,
        principal=principal,
        resource=resource,
        converted=converted,
        source_digest=source_digest,
        lineage_source=lineage_source,
    )


def _publish(
    session: Session,
    *,
    principal: Principal,
    resource: Resource,
    converted: Converted,
    source_digest: str,
    lineage_source: lineage_service.Source | None = None,
) -> tuple[DatasetVersion, LoadLog]:
    latest = session.scalar(
        select(func.max(DatasetVersion.version)).where(DatasetVersion.resource_id == resource.id)
    )
    dataset_id = uuid.uuid4()
    dataset = DatasetVersion(
        id=dataset_id,
        resource_id=resource.id,
        version=(latest or 0) + 1,
        storage_key=f"datasets/{resource.id}/{dataset_id}.parquet",
        row_count=converted.row_count,
        schema=converted.schema,
        digest=f"sha256:{converted.digest}",
        created_by=principal.account_id,
    )
    session.add(dataset)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("another load published this version first; try again") from None
    # The resource's latest publication, which open data sorts and filters by (metadata unchanged).
    session.execute(
        update(Resource)
        .where(Resource.id == resource.id)
        .values(published_at=dataset.created_at, updated_at=Resource.updated_at)
    )
    ledger_service.record(
        session,
        kind=EntryKind.DATASET_PUBLISHED,
        actor=ledger_service.actor_of(principal),
        subject=f"dataset:{resource.identifier}:v{dataset.version}",
        payload={
            "resource_id": str(resource.id),
            "version": dataset.version,
            "digest": dataset.digest,
            "row_count": dataset.row_count,
            "storage_key": dataset.storage_key,
        },
        department_id=resource.department_id,
    )
    # Lineage: the source (a file by digest, or a pulled table) -> this version, by column.
    lineage_service.record_load(
        session,
        principal=principal,
        dataset=dataset,
        filename=converted.log.source,
        digest=source_digest,
        format=converted.log.format,
        source=lineage_source,
    )
    storage = get_storage()
    try:
        encrypt = vault.should_encrypt(resource, converted.path)
        vault.store_dataset(
            storage, dataset.storage_key, converted.path, encrypt=encrypt, put=put_file
        )
        storage.put(log_key(dataset.storage_key), json.dumps(converted.log.to_dict()).encode())
    except BaseException:
        vault.discard_dataset(storage, dataset.storage_key)
        storage.delete(log_key(dataset.storage_key))
        raise
    # Quality assessment of the new version (inline, in a savepoint; never fails the publish).
    quality_service.after_publish(
        session, resource=resource, dataset=dataset, principal=principal, local_path=converted.path
    )
    webhooks.notify_published(
        session,
        resource_id=resource.id,
        version=dataset.version,
        row_count=dataset.row_count,
        digest=dataset.digest,
    )
    for hook in on_published:
        hook(session, resource, dataset)
    return dataset, converted.log
