"""FastAPI dependencies: the session, the caller, and permission checks as types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from govhub.core.db import get_session
from govhub.core.errors import PermissionDenied, Unauthenticated
from govhub.identity import authn
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal

SESSION_COOKIE = "govhub_session"

DbSession = Annotated[Session, Depends(get_session, scope="function")]


def optional_principal(request: Request, session: DbSession) -> Principal | None:
    """Return the caller from a bearer token or a session cookie, or None when anonymous."""
    header = request.headers.get("authorization")
    principal: Principal | None
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use an Authorization: Bearer <token> header")
        principal = authn.principal_from_token(session, token.strip())
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        principal = authn.principal_from_web_session(session, cookie) if cookie else None
    request.state.principal = principal
    return principal


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


def current_principal(principal: MaybePrincipal) -> Principal:
    """Return the caller, or answer 401 when anonymous."""
    if principal is None:
        raise Unauthenticated("sign in or present a bearer token")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: Permission) -> Callable[[Principal], Principal]:
    """Build a dependency that admits only principals holding `permission`."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            raise PermissionDenied(f"this needs the permission {permission.value}")
        return principal

    check.__name__ = f"require_{permission.name.lower()}"
    return check


AccountsManage = Annotated[Principal, Depends(require(Permission.ACCOUNTS_MANAGE))]
AccountsRead = Annotated[Principal, Depends(require(Permission.ACCOUNTS_READ))]
AccountsRoles = Annotated[Principal, Depends(require(Permission.ACCOUNTS_ROLES))]
AuditRead = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]
ClientsManage = Annotated[Principal, Depends(require(Permission.CLIENTS_MANAGE))]
DepartmentsManage = Annotated[Principal, Depends(require(Permission.DEPARTMENTS_MANAGE))]
DepartmentsRead = Annotated[Principal, Depends(require(Permission.DEPARTMENTS_READ))]
DivisionsManage = Annotated[Principal, Depends(require(Permission.DIVISIONS_MANAGE))]
ProfileRead = Annotated[Principal, Depends(require(Permission.PROFILE_READ))]
WorkbenchUse = Annotated[Principal, Depends(require(Permission.WORKBENCH_USE))]
