"""Operations on the resource catalog: create, edit (a new version each time), read, search.

Scope, applied here from the principal:

* **read, full metadata**: `catalog:read` and the owner department's division within the
  principal's division subtree;
* **read, public metadata**: anyone (anonymous included) for resources whose opening type is
  `open`; everything else is invisible and answers `NotFound`, exactly like a missing id;
* **write**: `catalog:edit` for the principal's own department; `catalog:manage` for any
  department within their division subtree. Other departments' resources answer `NotFound`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.data.catalog import search
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
    FacetCount,
    FieldSpec,
    ResourceCreate,
    ResourcePublicRead,
    ResourceRead,
    ResourceUpdate,
    ResourceVersionRead,
    SearchResult,
)
from govhub.data.standards import service as standards_service
from govhub.identity.codes import in_subtree
from govhub.identity.models import Department, Division
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal

NOT_FOUND = "no such catalog resource"
FACETS = ("department", "theme", "sharing_type", "opening_type", "quality_grade")


# --- scope -----------------------------------------------------------------------------------


def sees_full(principal: Principal | None, resource: Resource) -> bool:
    """Tell whether `principal` may read the resource's non-public metadata."""
    return (
        principal is not None
        and principal.can(Permission.CATALOG_READ)
        and principal.covers(resource.department.division_code)
    )


def may_write(principal: Principal, resource: Resource) -> bool:
    """Tell whether `principal` may edit the resource."""
    if not principal.can(Permission.CATALOG_EDIT):
        return False
    if resource.department_id == principal.department_id:
        return True
    return principal.can(Permission.CATALOG_MANAGE) and principal.covers(
        resource.department.division_code
    )


def _in_scope(principal: Principal | None) -> ColumnElement[bool]:
    """A condition on `Resource`: its full metadata is within the principal's scope."""
    if (
        principal is None
        or principal.scope_prefix is None
        or not principal.can(Permission.CATALOG_READ)
    ):
        return false()
    departments = select(Department.id).where(
        Department.division_code.like(f"{principal.scope_prefix}%")
    )
    return Resource.department_id.in_(departments)


def _visible(principal: Principal | None) -> ColumnElement[bool]:
    """A condition on `Resource`: the principal sees it at all."""
    return or_(Resource.opening_type == OpeningType.OPEN, _in_scope(principal))


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
    if opening is OpeningType.OPEN and any(f["is_personal"] for f in values["fields"]):
        raise InvalidInput(
            "a resource with personal fields cannot be open; open a de-identified derivative",
            field="opening_type",
        )


# --- reading ---------------------------------------------------------------------------------


def to_schema(resource: Resource, principal: Principal | None) -> ResourceRead | ResourcePublicRead:
    """Return the view of `resource` the principal may see."""
    if sees_full(principal, resource):
        return ResourceRead.model_validate(resource)
    return ResourcePublicRead.model_validate(resource)


def get_resource(
    session: Session, *, principal: Principal | None, resource_id: uuid.UUID
) -> Resource:
    """Return a resource the principal may see (open ones to anyone)."""
    resource = session.get(Resource, resource_id)
    if resource is None or not (
        resource.opening_type is OpeningType.OPEN or sees_full(principal, resource)
    ):
        raise NotFound(NOT_FOUND)
    return resource


def get_scoped_resource(
    session: Session, *, principal: Principal, resource_id: uuid.UUID
) -> Resource:
    """Return a resource whose full metadata lies within the principal's scope."""
    resource = session.get(Resource, resource_id)
    if resource is None or not sees_full(principal, resource):
        raise NotFound(NOT_FOUND)
    return resource


def get_writable_resource(
    session: Session, *, principal: Principal, resource_id: uuid.UUID
) -> Resource:
    """Return a resource the principal may edit."""
    resource = session.get(Resource, resource_id)
    if resource is None or not may_write(principal, resource):
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


def _record_version(session: Session, resource: Resource, principal: Principal) -> None:
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
        _record_version(session, resource, principal)
    except IntegrityError as exc:  # two creations raced for the same identifier
        raise Conflict("another resource was created at the same moment; try again") from exc
    return resource


def update_resource(
    session: Session, *, principal: Principal, resource_id: uuid.UUID, data: ResourceUpdate
) -> Resource:
    """Change a resource's metadata, keeping the previous metadata as an earlier version."""
    resource = get_writable_resource(session, principal=principal, resource_id=resource_id)
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
    _record_version(session, resource, principal)
    return resource


# --- search ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a catalog search asks for."""

    text: str = ""
    department_id: uuid.UUID | None = None
    theme: Theme | None = None
    sharing_type: SharingType | None = None
    opening_type: OpeningType | None = None
    quality_grade: str | None = None
    limit: int = 20
    offset: int = 0
    facets: tuple[str, ...] = field(default=FACETS)


def _filters(query: SearchQuery, principal: Principal | None) -> dict[str, ColumnElement[bool]]:
    """The condition of each facet filter the query sets, by facet name."""
    conditions: dict[str, ColumnElement[bool]] = {}
    if query.department_id is not None:
        conditions["department"] = Resource.department_id == query.department_id
    if query.theme is not None:
        conditions["theme"] = Resource.id.in_(
            select(ResourceTheme.resource_id).where(ResourceTheme.theme == query.theme)
        )
    if query.sharing_type is not None:
        # Sharing types are not public metadata: only resources in scope reveal theirs.
        conditions["sharing_type"] = and_(
            _in_scope(principal), Resource.sharing_type == query.sharing_type
        )
    if query.opening_type is not None:
        conditions["opening_type"] = Resource.opening_type == query.opening_type
    if query.quality_grade is not None:
        conditions["quality_grade"] = Resource.quality_grade == query.quality_grade
    return conditions


def _facet_counts(
    session: Session, name: str, where: ColumnElement[bool], principal: Principal | None
) -> list[FacetCount]:
    column: Any
    if name == "department":
        column = Resource.department_id
        query = select(column, func.count()).where(where)
    elif name == "theme":
        column = ResourceTheme.theme
        query = select(column, func.count()).join(Resource).where(where)
    elif name == "sharing_type":
        column = Resource.sharing_type
        query = select(column, func.count()).where(and_(where, _in_scope(principal)))
    else:
        column = getattr(Resource, name)
        query = select(column, func.count()).where(and_(where, column.is_not(None)))
    rows = session.execute(query.group_by(column)).all()
    counts = [FacetCount(value=str(value), count=count) for value, count in rows]
    counts.sort(key=lambda c: (-c.count, c.value))
    return counts


def search_resources(
    session: Session, *, principal: Principal | None, query: SearchQuery
) -> SearchResult:
    """Search the resources the principal sees, with counts per facet value.

    Each facet's counts apply every other filter but its own, so a user can see what
    choosing another value of that facet would give.
    """
    base = and_(_visible(principal), search.matches(query.text) if query.text else true())
    filters = _filters(query, principal)
    where = and_(base, *filters.values())
    total = session.scalar(select(func.count()).select_from(Resource).where(where)) or 0
    rows = session.scalars(
        select(Resource)
        .where(where)
        .order_by(Resource.updated_at.desc(), Resource.identifier)
        .limit(query.limit)
        .offset(query.offset)
    )
    facets = {
        name: _facet_counts(
            session,
            name,
            and_(base, *(c for key, c in filters.items() if key != name)),
            principal,
        )
        for name in query.facets
    }
    return SearchResult(
        items=[to_schema(resource, principal) for resource in rows],
        total=total,
        limit=query.limit,
        offset=query.offset,
        facets=facets,
    )


def department_names(session: Session, ids: Sequence[str]) -> dict[str, Department]:
    """Return the departments behind a department facet's values, by id."""
    wanted = [uuid.UUID(i) for i in ids]
    if not wanted:
        return {}
    rows = session.scalars(select(Department).where(Department.id.in_(wanted)))
    return {str(d.id): d for d in rows}
