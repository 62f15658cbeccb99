"""Operations on the resource catalog: create, edit (a new version each time), read, search.

Scope (`govhub.data.catalog.scope`) decides what the principal may see and edit; whatever lies
outside it answers `NotFound`, exactly like a missing id. Search lives in `search`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.data.catalog import scope, search
from govhub.data.catalog.models import (
    OpeningType,
    Resource,
    ResourceTheme,
    ResourceVersion,
    SecurityClass,
    SharingType,
    Theme,
)
from govhub.data.catalog.schemas import (
    FieldSpec,
    ResourceCreate,
    ResourceRead,
    ResourceUpdate,
    ResourceVersionRead,
)
from govhub.data.standards import service as standards_service
from govhub.identity.codes import in_subtree
from govhub.identity.models import Department, Division
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger_service
from govhub.ledger.schemas import EntryKind

NOT_FOUND = "no such catalog resource"


# --- validation ------------------------------------------------------------------------------


def _check_fields(session: Session, fields: Sequence[FieldSpec]) -> None:
    seen: set[str] = set()
    for index, spec in enumerate(fields):
        key = spec.name.casefold()
        if key in seen:
            raise InvalidInput(f"field {spec.name} appears twice", field=f"fields.{index}.name")
        seen.add(key)
    wanted = {spec.element_code for spec in fields if spec.element_code}
    known = standards_service.existing_codes(session, wanted)
    for index, spec in enumerate(fields):
        if spec.element_code and spec.element_code not in known:
            raise InvalidInput(
                f"no data element {spec.element_code}", field=f"fields.{index}.element_code"
            )


def _check_divisions(session: Session, codes: Sequence[str], department: Department) -> None:
    for code in codes:
        if not in_subtree(code, department.division_code):
            raise InvalidInput(
                f"division {code} lies outside the department's division", field="division_codes"
            )
    found = set(session.scalars(select(Division.code).where(Division.code.in_(set(codes)))))
    missing = sorted(set(codes) - found)
    if missing:
        raise InvalidInput(f"no division {missing[0]}", field="division_codes")


def _check_rules(values: dict[str, Any]) -> None:
    """Check the rules that tie the catalog's fields together."""
    start, end = values.get("temporal_start"), values.get("temporal_end")
    if start is not None and end is not None and end < start:
        raise InvalidInput("the temporal coverage ends before it starts", field="temporal_end")
    opening, sharing = values["opening_type"], values["sharing_type"]
    if sharing is SharingType.CONDITIONAL and not values.get("sharing_conditions"):
        raise InvalidInput("say on which conditions it is shared", field="sharing_conditions")
    if opening is OpeningType.CONDITIONAL and not values.get("opening_conditions"):
        raise InvalidInput("say on which conditions it is opened", field="opening_conditions")
    if opening is not OpeningType.NOT_OPEN and sharing is SharingType.NOT_SHARED:
        raise InvalidInput("data opened to the public cannot be withheld from departments",
                           field="sharing_type")  # fmt: skip
    if opening is not OpeningType.NOT_OPEN and values["security_class"] is SecurityClass.CORE:
        raise InvalidInput("core data is never opened", field="opening_type")
    if opening is OpeningType.OPEN and any(f.get("is_personal") for f in values["fields"]):
        raise InvalidInput(
            "a resource with personal fields cannot be open; open a de-identified derivative",
            field="opening_type",
        )


# --- reading ---------------------------------------------------------------------------------


def get_resource(
    session: Session, *, principal: Principal | None, resource_id: uuid.UUID
) -> Resource:
    """Return a resource the principal may see (open ones to anyone)."""
    resource = session.get(Resource, resource_id)
    if resource is None or not (
        resource.opening_type is OpeningType.OPEN or scope.sees_full(principal, resource)
    ):
        raise NotFound(NOT_FOUND)
    return resource


def get_scoped_resource(
    session: Session, *, principal: Principal, resource_id: uuid.UUID
) -> Resource:
    """Return a resource whose full metadata lies within the principal's scope."""
    resource = session.get(Resource, resource_id)
    if resource is None or not scope.sees_full(principal, resource):
        raise NotFound(NOT_FOUND)
    return resource


def get_writable_resource(
    session: Session, *, principal: Principal, resource_id: uuid.UUID
) -> Resource:
    """Return a resource the principal may edit."""
    resource = session.get(Resource, resource_id)
    if resource is None or not scope.may_write(principal, resource):
        raise NotFound(NOT_FOUND)
    return resource


def list_versions(
    session: Session, *, principal: Principal, resource_id: uuid.UUID
) -> list[ResourceVersion]:
    """List the metadata versions of a resource in scope, newest first."""
    get_scoped_resource(session, principal=principal, resource_id=resource_id)
    query = (
        select(ResourceVersion)
        .where(ResourceVersion.resource_id == resource_id)
        .order_by(ResourceVersion.version.desc())
    )
    return list(session.scalars(query))


def get_version(
    session: Session, *, principal: Principal, resource_id: uuid.UUID, version: int | str
) -> ResourceVersionRead:
    """Return the metadata of a resource in scope as it stood at `version`."""
    get_scoped_resource(session, principal=principal, resource_id=resource_id)
    text = str(version)
    # Anything but a plain version number names no version: it is missing, not malformed.
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise NotFound(f"no version {text[:20]} of this resource")
    row = session.get(ResourceVersion, (resource_id, int(text)))
    if row is None:
        raise NotFound(f"no version {version} of this resource")
    return ResourceVersionRead(
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        resource=ResourceRead.model_validate(row.snapshot),
    )


# --- writing ---------------------------------------------------------------------------------


def has_title(session: Session, *, department_id: uuid.UUID, title: str) -> bool:
    """Tell whether the department already has a resource titled `title` (for loaders)."""
    query = select(Resource.id).where(
        Resource.department_id == department_id, Resource.title == title
    )
    return session.scalar(query.limit(1)) is not None


def _next_identifier(session: Session, department: Department) -> str:
    count = session.scalar(select(func.count()).where(Resource.department_id == department.id)) or 0
    number = count + 1
    while True:
        identifier = f"{department.code}-{number:04d}"
        if session.scalar(select(Resource.id).where(Resource.identifier == identifier)) is None:
            return identifier
        number += 1


def _set_themes(resource: Resource, themes: Sequence[Theme]) -> None:
    wanted = sorted(set(themes))
    current = {row.theme: row for row in resource.theme_rows}
    resource.theme_rows = [current.get(t) or ResourceTheme(theme=t) for t in wanted]


def _record_version(
    session: Session, resource: Resource, principal: Principal, action: str
) -> None:
    session.flush()
    session.refresh(resource)
    snapshot = ResourceRead.model_validate(resource).model_dump(mode="json")
    session.add(
        ResourceVersion(
            resource_id=resource.id,
            version=resource.version,
            snapshot=snapshot,
            created_by=principal.account_id,
        )
    )
    search.index_resource(session, resource)
    session.flush()
    # The snapshot's digest, never its content: anyone can later check a stored version
    # against the ledger without the ledger revealing non-public metadata.
    ledger_service.record(
        session,
        kind=EntryKind.CATALOG_CHANGED,
        actor=ledger_service.actor_of(principal),
        subject=f"catalog:{resource.identifier}:v{resource.version}",
        payload={
            "action": action,
            "resource_id": str(resource.id),
            "identifier": resource.identifier,
            "version": resource.version,
            "snapshot_digest": f"sha256:{ledger_service.payload_digest(snapshot)}",
        },
        department_id=resource.department_id,
    )


def create_resource(session: Session, *, principal: Principal, data: ResourceCreate) -> Resource:
    """Add a resource to a department's catalog (version 1)."""
    department = standards_service.writable_department(
        session, principal=principal, department_id=data.department_id
    )
    values = data.model_dump(exclude={"department_id", "themes"})
    values["keywords"] = list(dict.fromkeys(data.keywords))
    _check_fields(session, data.fields)
    _check_divisions(session, data.division_codes, department)
    _check_rules(values)
    resource = Resource(
        **values,
        id=uuid.uuid4(),
        department_id=department.id,
        identifier=_next_identifier(session, department),
        version=1,
        created_by=principal.account_id,
    )
    _set_themes(resource, data.themes)
    session.add(resource)
    try:
        _record_version(session, resource, principal, "created")
    except IntegrityError as exc:  # two creations raced for the same identifier
        raise Conflict("another resource was created at the same moment; try again") from exc
    return resource


def update_resource(
    session: Session, *, principal: Principal, resource_id: uuid.UUID, data: ResourceUpdate
) -> Resource:
    """Change a resource's metadata, keeping the previous metadata as an earlier version."""
    resource = get_writable_resource(session, principal=principal, resource_id=resource_id)
    if resource.withdrawn_at is not None:
        raise Conflict("the resource was withdrawn from the catalog")
    if data.base_version is not None and data.base_version != resource.version:
        raise Conflict(
            f"the resource is at version {resource.version}, not {data.base_version}; "
            "reload it and apply your change again"
        )
    changes = data.model_dump(exclude_unset=True, exclude={"base_version", "themes"})
    for key in ("title", "update_frequency", "sharing_type", "opening_type"):
        if key in changes and changes[key] is None:
            raise InvalidInput(f"{key} cannot be empty", field=key)
    current = ResourceCreate.model_fields.keys() - {"department_id", "themes"}
    values = {key: getattr(resource, key) for key in current}
    values.update({k: v for k, v in changes.items() if v is not None or k.startswith("temporal")})
    fields = data.fields if data.fields is not None else None
    if fields is not None:
        _check_fields(session, fields)
        values["fields"] = [spec.model_dump() for spec in fields]
    if data.division_codes is not None:
        _check_divisions(session, data.division_codes, resource.department)
    if data.keywords is not None:
        values["keywords"] = list(dict.fromkeys(data.keywords))
    _check_rules(values)
    for key, value in values.items():
        setattr(resource, key, value)
    if data.themes is not None:
        _set_themes(resource, data.themes)
    resource.version += 1
    _record_version(session, resource, principal, "updated")
    return resource


def withdraw_resource(
    session: Session, *, principal: Principal, resource_id: uuid.UUID
) -> Resource:
    """Withdraw a resource from the catalog: kept with its versions, found by search no more."""
    resource = get_writable_resource(session, principal=principal, resource_id=resource_id)
    if resource.withdrawn_at is not None:
        raise Conflict("the resource was already withdrawn")
    resource.withdrawn_at = utcnow()
    resource.version += 1
    _record_version(session, resource, principal, "withdrawn")
    return resource
