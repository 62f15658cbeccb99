"""The authenticated caller, whatever the credential: session, bearer token or machine client."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from govhub.core.errors import PermissionDenied
from govhub.identity.codes import division_prefix, in_subtree
from govhub.identity.models import AccountKind
from govhub.identity.permissions import Permission, Role, permissions_of


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, what they hold, and the division subtree their scope covers."""

    username: str
    display_name: str
    roles: frozenset[Role]
    account_id: uuid.UUID | None = None
    kind: AccountKind | None = None
    department_id: uuid.UUID | None = None
    division_code: str | None = None
    client_id: str | None = None
    locale: str = "zh_CN"

    @property
    def permissions(self) -> frozenset[Permission]:
        """Every permission the principal's roles carry."""
        return permissions_of(self.roles)

    @property
    def is_official(self) -> bool:
        """Tell whether the principal is an official (a member of a department)."""
        return self.kind is AccountKind.OFFICIAL

    @property
    def scope_prefix(self) -> str | None:
        """The division-code prefix every row in scope starts with (None: no division scope)."""
        return division_prefix(self.division_code) if self.division_code else None

    @property
    def is_platform_admin(self) -> bool:
        """Tell whether the principal administers the whole platform."""
        return Role.PLATFORM_ADMIN in self.roles

    def own_department(self, what: str) -> uuid.UUID:
        """Return the principal's department, which owns `what`; refuse one without any."""
        if self.department_id is None:
            raise PermissionDenied(f"{what} belong to a department; you are not in one")
        return self.department_id

    def can(self, permission: Permission) -> bool:
        """Tell whether the principal holds `permission`."""
        return permission in self.permissions

    def covers(self, division_code: str | None) -> bool:
        """Tell whether `division_code` lies within the principal's division subtree."""
        if self.division_code is None or division_code is None:
            return False
        return in_subtree(division_code, self.division_code)
