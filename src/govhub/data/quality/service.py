"""Quality assessment of a resource's dataset versions: rules, runs, results, visibility.

Rules in force are those derived from the resource's field-to-element mapping, overlaid by the
department's declared document. An assessment runs the engine over the version's Parquet
object with the platform's divisions (and any named reference resources) as reference data,
adds timeliness and accessibility, stores the result and sets `Resource.quality_grade` from
the latest version.

Publishing runs an assessment inline, in the publishing transaction but inside a savepoint
(`after_publish`): the Parquet file is still on local disk, DuckDB checks 10^6 rows in
about a second, and the catalog grade is right as soon as the version is visible. A failing
assessment never fails the publish; versions above `INLINE_MAX_ROWS` are left to an
on-demand run.

Visibility: officials whose scope covers the resource see everything (samples masked unless
they belong to the owner department); anyone else sees scores and counts of open resources
only; other resources answer `NotFound`.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import InvalidInput, NotFound
from govhub.core.storage import Storage, get_storage
from govhub.data.catalog import scope
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import DatasetVersion, OpeningType, Resource, SharingType
from govhub.data.quality import masking, scoring
from govhub.data.quality.elements import ElementSpec
from govhub.data.quality.engine import Assessment, assess_files
from govhub.data.quality.models import QualityAssessment, QualityRules
from govhub.data.quality.rules import Dimension, RuleSet, derive_rules, merge_rules
from govhub.data.standards.models import DataElement
from govhub.identity.models import Division
from govhub.identity.principal import Principal
from govhub.privacy import vault

log = logging.getLogger("govhub.data.quality")

INLINE_MAX_ROWS = 5_000_000
NOT_FOUND = "no such assessment"


# --- rules -----------------------------------------------------------------------------------


def declared_rules(session: Session, resource_id: uuid.UUID) -> tuple[RuleSet, datetime | None]:
    """Return the department's declared rules of a resource (empty when none) and their date."""
    row = session.get(QualityRules, resource_id)
    if row is None:
        return RuleSet(), None
    return RuleSet.model_validate(row.document), row.updated_at


def effective_rules(session: Session, resource: Resource) -> RuleSet:
    """Return the rules in force: derived from the field mapping, overlaid by declared ones."""
    declared, _ = declared_rules(session, resource.id)
    return merge_rules(derive_rules(resource.fields), declared)


def get_rules(
    session: Session, *, principal: Principal, resource_id: uuid.UUID
) -> tuple[Resource, RuleSet, RuleSet, datetime | None]:
    """Return a scoped resource with its declared and effective rules."""
    resource = catalog_service.get_scoped_resource(
        session, principal=principal, resource_id=resource_id
    )
    declared, updated_at = declared_rules(session, resource.id)
    return resource, declared, merge_rules(derive_rules(resource.fields), declared), updated_at


def put_rules(
    session: Session, *, principal: Principal, resource_id: uuid.UUID, rules: RuleSet
) -> QualityRules:
    """Replace the declared rules of a resource the principal may edit."""
    resource = catalog_service.get_writable_resource(
        session, principal=principal, resource_id=resource_id
    )
    _element_specs(session, rules)  # every element named must exist
    row = session.get(QualityRules, resource.id)
    if row is None:
        row = QualityRules(resource_id=resource.id, document={}, digest="")
        session.add(row)
    row.document = rules.document()
    row.digest = rules.digest()
    row.updated_by = principal.account_id
    row.updated_at = datetime.now(UTC)
    session.flush()
    return row


def _element_specs(session: Session, rules: RuleSet) -> dict[str, ElementSpec]:
    codes = {rule.element for rule in rules.fields.values() if rule.element}
    rows = {
        e.code: e for e in session.scalars(select(DataElement).where(DataElement.code.in_(codes)))
    }
    for name, rule in rules.fields.items():
        if rule.element and rule.element not in rows:
            raise InvalidInput(f"no data element {rule.element}", field=f"fields.{name}.element")
    return {
        code: ElementSpec(
            code=code,
            validator=e.validator,
            pattern=e.pattern,
            allowed_values=tuple(e.allowed_values) if e.allowed_values else None,
            max_length=e.max_length,
        )
        for code, e in rows.items()
    }


# --- running ---------------------------------------------------------------------------------


@contextmanager
def _local_copy(storage: Storage, key: str, workdir: Path) -> Iterator[Path]:
    yield vault.local_copy(key, workdir, storage)


def _readable(path: Path) -> bool:
    try:
        pq.ParquetFile(path).metadata  # noqa: B018 - reading the footer proves readability
    except (OSError, pa.ArrowException):
        return False
    return True


def _references(
    session: Session, resource: Resource, rules: RuleSet, workdir: Path, storage: Storage
) -> dict[str, list[Path]]:
    """Write the divisions table and fetch named reference resources as Parquet files."""
    codes = list(session.scalars(select(Division.code)))
    divisions = workdir / "divisions.parquet"
    pq.write_table(pa.table({"code": pa.array(codes, pa.string())}), divisions)
    references: dict[str, list[Path]] = {"divisions": [divisions]}
    for name, identifier in rules.datasets.items():
        other = session.scalar(select(Resource).where(Resource.identifier == identifier))
        usable = other is not None and (
            other.department_id == resource.department_id
            or other.sharing_type is SharingType.UNCONDITIONAL
        )
        if not usable or other is None:
            continue
        latest = _latest_dataset(session, other.id)
        if latest is None or not storage.exists(latest.storage_key):
            continue
        references[name] = [vault.local_copy(latest.storage_key, workdir, storage, f"ref-{name}")]
    return references


def _latest_dataset(session: Session, resource_id: uuid.UUID) -> DatasetVersion | None:
    return session.scalar(
        select(DatasetVersion)
        .where(DatasetVersion.resource_id == resource_id)
        .order_by(DatasetVersion.version.desc())
        .limit(1)
    )


def _timeliness(session: Session, resource: Resource) -> float | None:
    latest = _latest_dataset(session, resource.id)
    if latest is None:
        return None
    created = latest.created_at
    if created.tzinfo is None:  # pragma: no cover - the column type always answers UTC
        created = created.replace(tzinfo=UTC)
    return scoring.timeliness_score(datetime.now(UTC) - created, resource.update_frequency)


def assess_dataset(
    session: Session,
    *,
    resource: Resource,
    dataset: DatasetVersion,
    actor: uuid.UUID | None,
    local_path: Path | None = None,
) -> QualityAssessment:
    """Assess one dataset version against the resource's rules and store the result."""
    rules = effective_rules(session, resource)
    storage = get_storage()
    with tempfile.TemporaryDirectory(prefix="govhub-quality-") as tmp:
        workdir = Path(tmp)
        result: Assessment
        if local_path is None and not storage.exists(dataset.storage_key):
            readable = False
        else:
            source = (
                nullcontext(local_path) if local_path is not None
                else _local_copy(storage, dataset.storage_key, workdir)
            )  # fmt: skip
            with source as path:
                readable = _readable(path)
                if readable:
                    references = _references(session, resource, rules, workdir, storage)
                    result = assess_files(
                        [path], rules, references=references,
                        elements=_element_specs(session, rules),
                    )  # fmt: skip
        if not readable:
            result = Assessment(row_count=0, checks=[], scores={}, grade="E", total=0.0)
    extra = {Dimension.ACCESSIBILITY.value: 100.0 if readable else 0.0}
    timeliness = _timeliness(session, resource)
    if timeliness is not None:
        extra[Dimension.TIMELINESS.value] = timeliness
    result.rescore(extra)
    row = QualityAssessment(
        resource_id=resource.id,
        dataset_id=dataset.id,
        dataset_version=dataset.version,
        row_count=result.row_count,
        scores=result.scores,
        total=result.total,
        grade=result.grade,
        checks=[check.to_dict() for check in result.checks],
        rules_digest=rules.digest(),
        seconds=result.seconds,
        created_by=actor,
    )
    session.add(row)
    latest = _latest_dataset(session, resource.id)
    if latest is not None and latest.id == dataset.id:
        resource.quality_grade = result.grade
    session.flush()
    return row


def after_publish(
    session: Session,
    *,
    resource: Resource,
    dataset: DatasetVersion,
    principal: Principal,
    local_path: Path,
) -> QualityAssessment | None:
    """Assess a freshly published version inline; a failure is logged, never raised."""
    if dataset.row_count > INLINE_MAX_ROWS:
        return None
    try:
        with session.begin_nested():
            return assess_dataset(
                session,
                resource=resource,
                dataset=dataset,
                actor=principal.account_id,
                local_path=local_path,
            )
    except Exception:
        log.exception(
            "quality assessment after publishing failed", extra={"dataset": str(dataset.id)}
        )
        return None


def run_assessment(
    session: Session, *, principal: Principal, resource_id: uuid.UUID, version: int | None = None
) -> tuple[Resource, QualityAssessment]:
    """Assess a version (the latest when None) of a resource the principal may edit."""
    resource = catalog_service.get_writable_resource(
        session, principal=principal, resource_id=resource_id
    )
    if version is None:
        dataset = _latest_dataset(session, resource.id)
    else:
        dataset = session.scalar(
            select(DatasetVersion).where(
                DatasetVersion.resource_id == resource.id, DatasetVersion.version == version
            )
        )
    if dataset is None:
        raise NotFound("no such dataset version")
    row = assess_dataset(session, resource=resource, dataset=dataset, actor=principal.account_id)
    return resource, row


# --- reading ---------------------------------------------------------------------------------


def readable_resource(
    session: Session, *, principal: Principal | None, resource_id: uuid.UUID
) -> tuple[Resource, bool]:
    """Return a resource whose results the principal may see, and whether in full."""
    resource = session.get(Resource, resource_id)
    if resource is None:
        raise NotFound(catalog_service.NOT_FOUND)
    if scope.sees_full(principal, resource):
        return resource, True
    if resource.opening_type is OpeningType.OPEN:
        return resource, False
    raise NotFound(catalog_service.NOT_FOUND)


def list_assessments(
    session: Session, *, principal: Principal | None, resource_id: uuid.UUID, limit: int = 50
) -> tuple[Resource, bool, list[QualityAssessment]]:
    """List a resource's assessments, newest first (the trend across versions)."""
    resource, full = readable_resource(session, principal=principal, resource_id=resource_id)
    rows = session.scalars(
        select(QualityAssessment)
        .where(QualityAssessment.resource_id == resource.id)
        .order_by(QualityAssessment.created_at.desc(), QualityAssessment.dataset_version.desc())
        .limit(limit)
    )
    return resource, full, list(rows)


def get_assessment(
    session: Session,
    *,
    principal: Principal | None,
    resource_id: uuid.UUID,
    assessment_id: uuid.UUID,
) -> tuple[Resource, bool, QualityAssessment]:
    """Return one assessment of a resource the principal may see."""
    resource, full = readable_resource(session, principal=principal, resource_id=resource_id)
    row = session.get(QualityAssessment, assessment_id)
    if row is None or row.resource_id != resource.id:
        raise NotFound(NOT_FOUND)
    return resource, full, row


def visible_checks(
    session: Session,
    *,
    resource: Resource,
    row: QualityAssessment,
    principal: Principal | None,
    full: bool,
) -> list[dict[str, Any]]:
    """Return the stored checks as the viewer may see them (samples masked or withheld)."""
    if not full:
        return [{**check, "samples": []} for check in row.checks]
    if principal is not None and principal.department_id == resource.department_id:
        return list(row.checks)
    rules = effective_rules(session, resource)
    elements = {name: rule.element for name, rule in rules.fields.items() if rule.element}
    personal = masking.personal_columns(resource.fields, elements)
    return masking.mask_samples(list(row.checks), personal)
