"""HTTP API of the identity domain (`/api/v1`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status

from govhub.core.schemas import Page
from govhub.identity import audit, authn, service, tokens
from govhub.identity.deps import (
    AccountsManage,
    AccountsRead,
    AccountsRoles,
    AuditRead,
    ClientsManage,
    DbSession,
    DepartmentsManage,
    DepartmentsRead,
    DivisionsManage,
    ProfileRead,
)
from govhub.identity.models import AccountKind, AuditAction
from govhub.identity.schemas import (
    AccountRead,
    AuditEventRead,
    CitizenRegister,
    ClientCreate,
    ClientCreated,
    ClientRead,
    DepartmentCreate,
    DepartmentRead,
    DivisionCreate,
    DivisionRead,
    EnterpriseRegister,
    LoginRequest,
    OfficialCreate,
    RolesUpdate,
    TokenResponse,
)
from govhub.identity.schemas import ProfileRead as ProfileSchema

router = APIRouter(prefix="/api/v1", tags=["identity"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("/auth/token", response_model=TokenResponse, tags=["auth"])
def login(body: LoginRequest, request: Request, session: DbSession) -> TokenResponse:
    """Exchange a username and password for a short-lived bearer token."""
    account = authn.authenticate(
        session, username=body.username, password=body.password, ip=_client_ip(request)
    )
    token, ttl = authn.issue_access_token(session, account=account)
    return TokenResponse(access_token=token, expires_in=ttl)


@router.get("/auth/jwks", tags=["auth"])
def jwks(session: DbSession) -> dict[str, Any]:
    """Publish the public keys that verify GovHub's tokens."""
    return tokens.jwks(session)


@router.get("/me", response_model=ProfileSchema, tags=["accounts"])
def me(principal: ProfileRead, session: DbSession) -> ProfileSchema:
    """Return the caller's own account."""
    return service.get_profile(session, principal=principal)


@router.post(
    "/accounts/citizens",
    response_model=AccountRead,
    status_code=status.HTTP_201_CREATED,
    tags=["accounts"],
)
def register_citizen(body: CitizenRegister, session: DbSession) -> Any:
    """Register a citizen account (the ID number is validated, encrypted and never shown)."""
    return service.register_citizen(session, data=body)


@router.post(
    "/accounts/enterprises",
    response_model=AccountRead,
    status_code=status.HTTP_201_CREATED,
    tags=["accounts"],
)
def register_enterprise(body: EnterpriseRegister, session: DbSession) -> Any:
    """Register an enterprise account by unified social credit code."""
    return service.register_enterprise(session, data=body)


@router.post(
    "/accounts/officials",
    response_model=AccountRead,
    status_code=status.HTTP_201_CREATED,
    tags=["accounts"],
)
def create_official(body: OfficialCreate, principal: AccountsManage, session: DbSession) -> Any:
    """Create an official in a department within the caller's scope."""
    return service.create_official(session, principal=principal, data=body)


@router.get("/accounts", response_model=Page[AccountRead], tags=["accounts"])
def list_accounts(
    principal: AccountsRead,
    session: DbSession,
    kind: AccountKind = AccountKind.OFFICIAL,
    department_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """List accounts within the caller's scope."""
    items, total = service.list_accounts(
        session,
        principal=principal,
        kind=kind,
        department_id=department_id,
        query_text=q,
        limit=limit,
        offset=offset,
    )
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/accounts/{account_id}", response_model=AccountRead, tags=["accounts"])
def get_account(account_id: uuid.UUID, principal: AccountsRead, session: DbSession) -> Any:
    """Return one account within the caller's scope."""
    return service.get_account(session, principal=principal, account_id=account_id)


@router.put("/accounts/{account_id}/roles", response_model=AccountRead, tags=["accounts"])
def set_roles(
    account_id: uuid.UUID, body: RolesUpdate, principal: AccountsRoles, session: DbSession
) -> Any:
    """Replace the roles of an official within the caller's scope."""
    return service.set_roles(session, principal=principal, account_id=account_id, roles=body.roles)


@router.get("/divisions", response_model=Page[DivisionRead], tags=["divisions"])
def list_divisions(
    session: DbSession,
    parent: Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,2}$")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """List the divisions directly under `parent` (provinces when omitted). Public."""
    items, total = service.list_divisions(session, parent_code=parent, limit=limit, offset=offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/divisions/{code}", response_model=DivisionRead, tags=["divisions"])
def get_division(code: str, session: DbSession) -> Any:
    """Return one division. Public."""
    return service.get_division(session, code)


@router.post(
    "/divisions",
    response_model=DivisionRead,
    status_code=status.HTTP_201_CREATED,
    tags=["divisions"],
)
def create_division(body: DivisionCreate, _: DivisionsManage, session: DbSession) -> Any:
    """Add an administrative division under an existing parent."""
    return service.create_division(session, data=body)


@router.get("/departments", response_model=Page[DepartmentRead], tags=["departments"])
def list_departments(
    principal: DepartmentsRead,
    session: DbSession,
    division: Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,2}$")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """List departments within the caller's scope."""
    items, total = service.list_departments(
        session, principal=principal, division_code=division, limit=limit, offset=offset
    )
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/departments/{department_id}", response_model=DepartmentRead, tags=["departments"])
def get_department(department_id: uuid.UUID, principal: DepartmentsRead, session: DbSession) -> Any:
    """Return one department within the caller's scope."""
    return service.get_department(session, principal=principal, department_id=department_id)


@router.post(
    "/departments",
    response_model=DepartmentRead,
    status_code=status.HTTP_201_CREATED,
    tags=["departments"],
)
def create_department(
    body: DepartmentCreate, principal: DepartmentsManage, session: DbSession
) -> Any:
    """Add a department in a division within the caller's scope."""
    return service.create_department(session, principal=principal, data=body)


@router.get("/audit-events", response_model=Page[AuditEventRead], tags=["audit"])
def list_audit_events(
    principal: AuditRead,
    session: DbSession,
    action: AuditAction | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """List security events of departments within the caller's scope, newest first."""
    items, total = audit.list_events(
        session, principal=principal, action=action, limit=limit, offset=offset
    )
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.post(
    "/clients",
    response_model=ClientCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["clients"],
)
def create_client(body: ClientCreate, principal: ClientsManage, session: DbSession) -> Any:
    """Register a department system as an OAuth client; the secret is shown only here."""
    client, secret = service.create_client(session, principal=principal, data=body)
    return ClientCreated(**ClientRead.model_validate(client).model_dump(), client_secret=secret)
