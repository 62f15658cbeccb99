"""Compute, publish and withdraw de-identified releases of dataset versions.

Only data officials of the department owning the dataset (`catalog:edit`, own department) may
compute or publish a release. Computing reads the version, drops its direct identifiers,
generalizes its quasi-identifiers (full-domain: the optimal lattice node; or local recoding:
Mondrian) until k-anonymity (and l-diversity, t-closeness when asked) hold, assesses the
re-identification risk and stores the release as Parquet. The gate's decision is made then:
a release of personal data whose highest risk exceeds `GOVHUB_OPENDATA_MAX_RISK` is refused
publication. Decisions, publications and withdrawals are ledgered with their parameters.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.core.storage import Storage, get_storage
from govhub.data.catalog import scope
from govhub.data.catalog.models import DatasetVersion, Resource, SecurityClass, SharingType
from govhub.data.opendata.releases import columns
from govhub.data.opendata.releases.models import Release, ReleaseStatus
from govhub.data.opendata.releases.schemas import ReleaseCreate
from govhub.data.opendata.settings import get_opendata_settings
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.privacy import vault
from govhub.privacy.anonymity import (
    KAnonymity,
    RecursiveCLDiversity,
    TCloseness,
    anonymize,
)
from govhub.privacy.anonymity.hierarchies import Hierarchy
from govhub.privacy.anonymity.models import Criterion, DistinctLDiversity
from govhub.privacy.anonymity.mondrian import anonymize_local

NOT_FOUND = "Not found"


def _owned_version(session: Session, principal: Principal, version_id: uuid.UUID) -> DatasetVersion:
    """Return a dataset version of the principal's own department, else NotFound."""
    version = session.get(DatasetVersion, version_id)
    if version is None:
        raise NotFound("no such dataset version")
    _check_owner(session, principal, version.resource_id)
    return version


def _check_owner(session: Session, principal: Principal, resource_id: uuid.UUID) -> None:
    resource = session.get(Resource, resource_id)
    if (
        resource is None
        or resource.department_id != principal.department_id
        or not principal.can(Permission.CATALOG_EDIT)
    ):
        raise NotFound("no such dataset version")


def _read(storage: Storage, key: str) -> pa.Table:
    with tempfile.TemporaryDirectory(prefix="govhub-release-") as workdir:
        path = vault.local_copy(key, Path(workdir), storage)
        return pq.read_table(path)


def suggest(session: Session, *, principal: Principal, version_id: uuid.UUID) -> dict[str, Any]:
    """Suggest direct identifiers, quasi-identifiers, sensitive columns and hierarchy kinds."""
    version = _owned_version(session, principal, version_id)
    table = _read(get_storage(), version.storage_key)
    found = columns.suggest(_fields(session, version), table)
    return {
        "dataset_version_id": version.id,
        "columns": table.column_names,
        "direct_identifiers": found.direct_identifiers,
        "quasi_identifiers": found.quasi_identifiers,
        "sensitive": found.sensitive,
        "hierarchies": found.kinds,
    }


def _fields(session: Session, version: DatasetVersion) -> list[dict[str, Any]]:
    resource = session.get(Resource, version.resource_id)
    return list(resource.fields) if resource is not None else []


def _criteria(data: ReleaseCreate) -> list[Criterion]:
    criteria: list[Criterion] = [KAnonymity(data.k)]
    if (data.l is not None or data.t is not None) and not data.sensitive:
        raise InvalidInput(
            "l-diversity and t-closeness need a sensitive attribute", field="sensitive"
        )
    for name in data.sensitive:
        if data.l is not None:
            if data.c is not None:
                criteria.append(RecursiveCLDiversity(name, data.c, data.l))
            else:
                criteria.append(DistinctLDiversity(name, data.l))
        if data.t is not None:
            criteria.append(TCloseness(name, data.t, data.t_distance))
    return criteria


def _check(data: ReleaseCreate, table: pa.Table) -> None:
    """Refuse column roles the table cannot take and a k larger than the table."""
    names = set(table.column_names)
    chosen = [*data.quasi_identifiers, *data.sensitive, *data.drop]
    for name in chosen:
        if name not in names:
            raise InvalidInput(f"the dataset has no column {name!r}", field=name)
    if len(set(chosen)) != len(chosen):
        raise InvalidInput("a column may have only one role", field="quasi_identifiers")
    for name in data.hierarchies:
        if name not in data.quasi_identifiers:
            raise InvalidInput(f"{name!r} is not a quasi-identifier", field="hierarchies")
    if data.k > table.num_rows:
        raise InvalidInput(
            f"k = {data.k} exceeds the {table.num_rows} records of the dataset", field="k"
        )


def _hierarchies(
    data: ReleaseCreate, table: pa.Table, elements: dict[str, str]
) -> tuple[pa.Table, dict[str, Hierarchy], dict[str, str]]:
    """Return the table with numeric quasi-identifiers cast, their hierarchies and kinds."""
    trees: dict[str, Hierarchy] = {}
    kinds: dict[str, str] = {}
    for name in data.quasi_identifiers:
        spec = data.hierarchies.get(name)
        kind = (
            spec.kind
            if spec
            else columns.default_kind(table.column(name), elements.get(name, ""), name)
        )
        if kind in ("age", "interval"):
            target = pa.int64() if kind == "age" else pa.float64()
            try:
                converted = table.column(name).cast(target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise InvalidInput(f"{name!r} is not numeric", field=name) from exc
            table = table.set_column(table.column_names.index(name), name, converted)
        trees[name] = columns.build(
            name, table.column(name), kind,
            widths=spec.widths if spec else None, rows=spec.rows if spec else None,
        )  # fmt: skip
        kinds[name] = kind
    return table, trees, kinds


def _store(storage: Storage, key: str, table: pa.Table) -> str:
    """Store the released table as Parquet under `key` and return its SHA-256 digest."""
    with tempfile.TemporaryDirectory(prefix="govhub-release-") as workdir:
        path = Path(workdir) / "release.parquet"
        pq.write_table(table, path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        vault.store_dataset(storage, key, path, encrypt=False)
    return f"sha256:{digest}"


def create(session: Session, *, principal: Principal, data: ReleaseCreate) -> Release:
    """Compute a de-identified release of a dataset version and record the gate's decision."""
    version = _owned_version(session, principal, data.dataset_version_id)
    storage = get_storage()
    table = _read(storage, version.storage_key)
    _check(data, table)
    fields = _fields(session, version)
    personal = columns.personal_columns(fields, table)
    suggested = columns.suggest(fields, table)
    # Direct identifiers never leave: every personal column that is not a chosen
    # quasi-identifier or sensitive attribute is dropped, with the columns asked to be.
    roles = set(data.quasi_identifiers) | set(data.sensitive)
    dropped = sorted((set(data.drop) | personal | set(suggested.direct_identifiers)) - roles)
    elements = {str(f["name"]): str(f.get("element_code") or "") for f in fields}
    table, trees, kinds = _hierarchies(data, table.drop_columns(dropped), elements)
    criteria = _criteria(data)
    settings = get_opendata_settings()
    if data.method == "local":
        released = anonymize_local(table, trees, criteria, risk_threshold=settings.max_risk)
    else:
        released = anonymize(
            table, trees, criteria,
            suppression_limit=data.suppression_limit, risk_threshold=settings.max_risk,
        )  # fmt: skip
    report = released.report
    has_personal = bool(personal) or bool(suggested.direct_identifiers)
    release_id = uuid.uuid4()
    key = f"releases/{version.resource_id}/{release_id}.parquet"
    release = Release(
        id=release_id,
        resource_id=version.resource_id,
        dataset_version_id=version.id,
        status=ReleaseStatus.COMPUTED,
        method=data.method,
        parameters={
            **data.model_dump(mode="json", exclude={"dataset_version_id"}),
            "dropped": dropped,
            "hierarchy_kinds": kinds,
        },
        report=report.as_dict(),
        has_personal=has_personal,
        threshold=settings.max_risk,
        risk_highest=report.risk.highest,
        publishable=not has_personal or report.publishable,
        storage_key=key,
        digest=_store(storage, key, released.table),
        row_count=released.table.num_rows,
        schema=[{"name": f.name, "type": str(f.type)} for f in released.table.schema],
        created_by=principal.account_id,
    )
    session.add(release)
    session.flush()
    _ledger(session, principal, EntryKind.RELEASE_DECIDED, release)
    return release


def _ledger(session: Session, principal: Principal, kind: EntryKind, release: Release) -> None:
    risk = release.report.get("risk", {})
    ledger.record(
        session,
        kind=kind,
        actor=ledger.actor_of(principal),
        subject=f"release:{release.id}",
        payload={
            "release_id": str(release.id),
            "resource_id": str(release.resource_id),
            "dataset_version_id": str(release.dataset_version_id),
            "method": release.method,
            "parameters": release.parameters,
            "publishable": release.publishable,
            "has_personal": release.has_personal,
            "threshold": release.threshold,
            "risk": {model: risk.get(model) for model in ("prosecutor", "journalist", "marketer")},
            "loss": release.report.get("loss"),
            "digest": release.digest,
            "status": release.status.value,
        },
        department_id=release.resource.department_id,
    )


def get(session: Session, *, principal: Principal | None, release_id: uuid.UUID) -> Release:
    """Return a release: a published one to anyone, others within the principal's scope."""
    release = session.get(Release, release_id)
    if release is None:
        raise NotFound(NOT_FOUND)
    if release.status is ReleaseStatus.PUBLISHED or scope.sees_full(principal, release.resource):
        return release
    raise NotFound(NOT_FOUND)


def may_manage(principal: Principal | None, release: Release) -> bool:
    """Tell whether `principal` is a data official of the department owning the release."""
    return (
        principal is not None
        and principal.can(Permission.CATALOG_EDIT)
        and release.resource.department_id == principal.department_id
    )


def _owned_release(session: Session, principal: Principal, release_id: uuid.UUID) -> Release:
    release = session.get(Release, release_id)
    if release is None:
        raise NotFound(NOT_FOUND)
    try:
        _check_owner(session, principal, release.resource_id)
    except NotFound:
        raise NotFound(NOT_FOUND) from None
    return release


def publish(session: Session, *, principal: Principal, release_id: uuid.UUID) -> Release:
    """Publish a release: its data becomes what the portal serves for the dataset version."""
    release = _owned_release(session, principal, release_id)
    if release.status is ReleaseStatus.PUBLISHED:
        return release
    if release.status is ReleaseStatus.WITHDRAWN:
        raise Conflict("this release was withdrawn; compute a new one")
    if not release.publishable:
        raise Conflict(
            f"the release's re-identification risk {release.risk_highest:.3f} exceeds the "
            f"threshold {release.threshold:.3f} for data with personal information; "
            "generalize further (a larger k) before publishing",
            risk=release.risk_highest,
            threshold=release.threshold,
        )
    resource = release.resource
    if resource.withdrawn_at is not None:
        raise Conflict("the dataset is withdrawn from the catalog")
    if resource.security_class is SecurityClass.CORE:
        raise Conflict("core data is never opened")
    if resource.sharing_type is SharingType.NOT_SHARED:
        raise Conflict("data opened to the public cannot be withheld from departments")
    others = session.scalars(
        select(Release).where(
            Release.dataset_version_id == release.dataset_version_id,
            Release.status == ReleaseStatus.PUBLISHED,
            Release.id != release.id,
        )
    )
    now = utcnow()
    for other in others:
        other.status = ReleaseStatus.WITHDRAWN
        other.withdrawn_at = now
        _ledger(session, principal, EntryKind.RELEASE_WITHDRAWN, other)
    release.status = ReleaseStatus.PUBLISHED
    release.published_at = now
    session.flush()
    _ledger(session, principal, EntryKind.RELEASE_PUBLISHED, release)
    return release


def withdraw(session: Session, *, principal: Principal, release_id: uuid.UUID) -> Release:
    """Withdraw a release: the portal stops serving it (withdrawing twice changes nothing)."""
    release = _owned_release(session, principal, release_id)
    if release.status is ReleaseStatus.WITHDRAWN:
        return release
    release.status = ReleaseStatus.WITHDRAWN
    release.withdrawn_at = utcnow()
    session.flush()
    _ledger(session, principal, EntryKind.RELEASE_WITHDRAWN, release)
    return release
