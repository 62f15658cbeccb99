"""Who sees and edits which catalog resources (applied by the service and by search).

* **read, full metadata**: `catalog:read` and the owner department's division within the
  principal's division subtree;
* **read, public metadata**: anyone (anonymous included) for resources whose opening type is
  `open`;
* **write**: `catalog:edit` for the principal's own department; `catalog:manage` for any
  department within their division subtree.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select

from govhub.data.catalog.models import OpeningType, Resource
from govhub.data.catalog.schemas import ResourcePublicRead, ResourceRead
from govhub.identity.models import Department
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal


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


def in_scope(principal: Principal | None) -> ColumnElement[bool]:
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


def visible(principal: Principal | None) -> ColumnElement[bool]:
    """A condition on `Resource`: the principal finds it in search (withdrawn ones never)."""
    return and_(
        Resource.withdrawn_at.is_(None),
        or_(Resource.opening_type == OpeningType.OPEN, in_scope(principal)),
    )


def to_schema(resource: Resource, principal: Principal | None) -> ResourceRead | ResourcePublicRead:
    """Return the view of `resource` the principal may see."""
    if sees_full(principal, resource):
        return ResourceRead.model_validate(resource)
    return ResourcePublicRead.model_validate(resource)
