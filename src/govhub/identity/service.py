"""Operations on divisions, departments, accounts, roles and OAuth clients.

Row scope: an official reaches departments, officials and audit events only within the
division subtree of their own department; residents' accounts only with
`accounts:read-residents`. Out-of-scope objects answer `NotFound`, exactly like missing ones.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govhub.core.crypto import blind_index, decrypt_field, encrypt_field
from govhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govhub.identity import audit
from govhub.identity.authn import hash_password
from govhub.identity.codes import division_level, division_parent_code
from govhub.identity.models import (
    Account,
    AccountKind,
    AccountRole,
    AuditAction,
    Department,
    Division,
    OAuthClient,
)
from govhub.identity.permissions import DELEGABLE_ROLES, OFFICIAL_ROLES, Permission, Role
from govhub.identity.principal import Principal
from govhub.identity.schemas import (
    CitizenRegister,
    ClientCreate,
    DepartmentCreate,
    DivisionCreate,
    EnterpriseRegister,
    OfficialCreate,
    ProfileRead,
)
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.privacy.masking import mask_id_number

ID_NUMBER_CONTEXT = "accounts.id_number"
ID_NUMBER_INDEX = "accounts.id_number"


# --- divisions -------------------------------------------------------------------------------


def create_division(session: Session, *, data: DivisionCreate) -> Division:
    """Add a division whose parent already exists (the level follows from the code)."""
    level = division_level(data.code)
    if level is None:
        raise InvalidInput("malformed division code", field="code")
    parent_code = division_parent_code(data.code)
    if parent_code is not None and session.get(Division, parent_code) is None:
        raise InvalidInput(f"parent division {parent_code} does not exist", field="code")
    if session.get(Division, data.code) is not None:
        raise Conflict(f"division {data.code} already exists")
    division = Division(
        code=data.code, name=data.name, name_en=data.name_en, level=level, parent_code=parent_code
    )
    session.add(division)
    session.flush()
    return division


def get_division(session: Session, code: str) -> Division:
    """Return the division with `code`."""
    division = session.get(Division, code)
    if division is None:
        raise NotFound(f"no division {code}")
    return division


def list_divisions(
    session: Session, *, parent_code: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[Division], int]:
    """List divisions directly under `parent_code` (provinces when None), ordered by code."""
    query = select(Division).where(
        Division.parent_code == parent_code
        if parent_code is not None
        else Division.parent_code.is_(None)
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Division.code).limit(limit).offset(offset))
    return list(rows), total


# --- departments -----------------------------------------------------------------------------


def _department_in_scope(principal: Principal, department: Department) -> bool:
    return principal.covers(department.division_code)


def create_department(
    session: Session, *, principal: Principal, data: DepartmentCreate
) -> Department:
    """Add a department in a division of the principal's scope."""
    get_division(session, data.division_code)
    if not principal.covers(data.division_code):
        raise NotFound(f"no division {data.division_code}")
    if data.parent_id is not None:
        get_department(session, principal=principal, department_id=data.parent_id)
    if session.scalar(select(Department.id).where(Department.code == data.code)):
        raise Conflict(f"department code {data.code} is taken")
    department = Department(**data.model_dump())
    session.add(department)
    session.flush()
    return department


def get_department(
    session: Session, *, principal: Principal, department_id: uuid.UUID
) -> Department:
    """Return a department in the principal's scope."""
    department = session.get(Department, department_id)
    if department is None or not _department_in_scope(principal, department):
        raise NotFound("no such department")
    return department


def find_department_by_code(session: Session, code: str) -> Department:
    """Return the department with `code` (for operators' tools, which hold no scope)."""
    department = session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise NotFound(f"no department with code {code!r} (see `govhub dept list`)")
    return department


def list_departments(
    session: Session,
    *,
    principal: Principal,
    division_code: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Department], int]:
    """List departments in the principal's scope, optionally of one division, by code."""
    prefix = principal.scope_prefix
    if prefix is None:
        return [], 0
    query = select(Department).where(Department.division_code.startswith(prefix, autoescape=True))
    if division_code is not None:
        query = query.where(Department.division_code == division_code)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Department.code).limit(limit).offset(offset))
    return list(rows), total


# --- accounts --------------------------------------------------------------------------------


def _ensure_username_free(session: Session, username: str) -> None:
    if session.scalar(select(Account.id).where(func.lower(Account.username) == username.lower())):
        raise Conflict(f"username {username!r} is taken")


def _add_account(session: Session, account: Account, roles: list[Role]) -> Account:
    account.role_rows = [AccountRole(role=role) for role in sorted(set(roles))]
    session.add(account)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("an account with these identifiers already exists") from exc
    audit.record(
        session,
        AuditAction.ACCOUNT_CREATED,
        account_id=account.id,
        department_id=account.department_id,
        kind=str(account.kind),
    )
    return account


def id_number_lookup_key(id_number: str) -> str:
    """Return the blind index under which a resident ID number is stored."""
    return blind_index(id_number, purpose=ID_NUMBER_INDEX)


def register_citizen(session: Session, *, data: CitizenRegister) -> Account:
    """Create a citizen account; the ID number is stored encrypted and indexed by HMAC."""
    _ensure_username_free(session, data.username)
    index = id_number_lookup_key(data.id_number)
    if session.scalar(select(Account.id).where(Account.id_number_index == index)):
        raise Conflict("an account with this ID number already exists")
    account = Account(
        kind=AccountKind.CITIZEN,
        username=data.username,
        display_name=data.display_name,
        email=data.email,
        password_hash=hash_password(data.password),
        id_number_encrypted=encrypt_field(data.id_number, context=ID_NUMBER_CONTEXT),
        id_number_index=index,
    )
    return _add_account(session, account, [Role.CITIZEN])


def register_enterprise(session: Session, *, data: EnterpriseRegister) -> Account:
    """Create an enterprise account identified by its unified social credit code."""
    _ensure_username_free(session, data.username)
    if session.scalar(select(Account.id).where(Account.uscc == data.uscc)):
        raise Conflict("an account with this credit code already exists")
    account = Account(
        kind=AccountKind.ENTERPRISE,
        username=data.username,
        display_name=data.display_name,
        email=data.email,
        password_hash=hash_password(data.password),
        uscc=data.uscc,
    )
    return _add_account(session, account, [Role.ENTERPRISE])


def _check_grantable(principal: Principal, roles: list[Role]) -> None:
    not_official = set(roles) - OFFICIAL_ROLES
    if not_official:
        raise InvalidInput(
            f"not roles of an official: {', '.join(sorted(not_official))}", field="roles"
        )
    if Role.PLATFORM_ADMIN in principal.roles:
        return
    beyond = set(roles) - DELEGABLE_ROLES
    if beyond:
        raise PermissionDenied(f"only a platform administrator grants {', '.join(sorted(beyond))}")


def create_official(session: Session, *, principal: Principal, data: OfficialCreate) -> Account:
    """Create an official in a department of the principal's scope."""
    department = get_department(session, principal=principal, department_id=data.department_id)
    _check_grantable(principal, data.roles)
    _ensure_username_free(session, data.username)
    account = Account(
        kind=AccountKind.OFFICIAL,
        username=data.username,
        display_name=data.display_name,
        email=data.email,
        password_hash=hash_password(data.password),
        department_id=department.id,
    )
    account = _add_account(session, account, [*data.roles, Role.OFFICIAL])
    audit.record(
        session,
        AuditAction.ROLES_CHANGED,
        account_id=account.id,
        actor_id=principal.account_id,
        department_id=department.id,
        roles=sorted(str(r) for r in account.roles),
    )
    ledger.record(
        session,
        kind=EntryKind.ACCOUNT_CREATED,
        actor=ledger.actor_of(principal),
        subject=str(account.id),
        payload={"roles": sorted(str(r) for r in account.roles)},
        department_id=department.id,
    )
    return account


def _account_in_scope(session: Session, principal: Principal, account: Account) -> bool:
    if account.id == principal.account_id:
        return True
    if account.kind is not AccountKind.OFFICIAL:
        return principal.can(Permission.ACCOUNTS_READ_RESIDENTS)
    return account.department is not None and principal.covers(account.department.division_code)


def get_account(session: Session, *, principal: Principal, account_id: uuid.UUID) -> Account:
    """Return an account the principal may see."""
    account = session.get(Account, account_id)
    if account is None or not _account_in_scope(session, principal, account):
        raise NotFound("no such account")
    return account


def list_accounts(
    session: Session,
    *,
    principal: Principal,
    kind: AccountKind = AccountKind.OFFICIAL,
    department_id: uuid.UUID | None = None,
    query_text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Account], int]:
    """List accounts of one kind in the principal's scope, by username."""
    query = select(Account).where(Account.kind == kind)
    if kind is AccountKind.OFFICIAL:
        prefix = principal.scope_prefix
        if prefix is None:
            return [], 0
        in_scope = select(Department.id).where(
            Department.division_code.startswith(prefix, autoescape=True)
        )
        query = query.where(Account.department_id.in_(in_scope))
    elif not principal.can(Permission.ACCOUNTS_READ_RESIDENTS):
        raise PermissionDenied("residents' accounts need accounts:read-residents")
    if department_id is not None:
        query = query.where(Account.department_id == department_id)
    if query_text:
        needle = query_text.lower()
        query = query.where(
            func.lower(Account.username).contains(needle, autoescape=True)
            | func.lower(Account.display_name).contains(needle, autoescape=True)
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Account.username).limit(limit).offset(offset))
    return list(rows), total


def set_roles(
    session: Session, *, principal: Principal, account_id: uuid.UUID, roles: list[Role]
) -> Account:
    """Replace the roles of an official in the principal's scope."""
    account = get_account(session, principal=principal, account_id=account_id)
    if account.kind is not AccountKind.OFFICIAL:
        raise InvalidInput("only officials hold assignable roles", field="roles")
    if account.id == principal.account_id:
        raise PermissionDenied("officials cannot change their own roles")
    wanted = set(roles) | {Role.OFFICIAL}
    _check_grantable(principal, sorted(wanted ^ account.roles))
    before = sorted(str(r) for r in account.roles)
    account.role_rows = [AccountRole(role=role) for role in sorted(wanted)]
    session.flush()
    audit.record(
        session,
        AuditAction.ROLES_CHANGED,
        account_id=account.id,
        actor_id=principal.account_id,
        department_id=account.department_id,
        before=before,
        after=sorted(str(r) for r in wanted),
    )
    ledger.record(
        session,
        kind=EntryKind.ROLES_CHANGED,
        actor=ledger.actor_of(principal),
        subject=str(account.id),
        payload={"before": before, "after": sorted(str(r) for r in wanted)},
        department_id=account.department_id,
    )
    return account


def find_citizen_by_id_number(session: Session, id_number: str) -> Account | None:
    """Return the citizen registered with `id_number`, looked up through its blind index."""
    return session.scalar(
        select(Account).where(Account.id_number_index == id_number_lookup_key(id_number))
    )


@dataclass(frozen=True, slots=True)
class CitizenFacts:
    """What eligibility rules may know of a citizen: birth date and division of registration."""

    birth_date: date
    registered_division: str


def citizen_facts(session: Session, account_id: uuid.UUID) -> CitizenFacts | None:
    """Return the birth date and registration county encoded in a citizen's ID number."""
    account = session.get(Account, account_id)
    if account is None or account.id_number_encrypted is None:
        return None
    number = decrypt_field(account.id_number_encrypted, context=ID_NUMBER_CONTEXT)
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return CitizenFacts(birth_date=born, registered_division=number[:6])


def citizen_id_number(session: Session, account_id: uuid.UUID) -> str | None:
    """Return a citizen's ID number in clear, for a service that matches it against data."""
    account = session.get(Account, account_id)
    if account is None or account.id_number_encrypted is None:
        return None
    return decrypt_field(account.id_number_encrypted, context=ID_NUMBER_CONTEXT)


# --- OAuth clients ---------------------------------------------------------------------------


def create_client(
    session: Session, *, principal: Principal, data: ClientCreate
) -> tuple[OAuthClient, str]:
    """Register a client of a department in scope; return it with its one-time secret."""
    department = get_department(session, principal=principal, department_id=data.department_id)
    if set(data.roles) - {Role.SYSTEM}:
        _check_grantable(principal, [r for r in data.roles if r is not Role.SYSTEM])
    if "authorization_code" in data.grant_types and not data.redirect_uris:
        raise InvalidInput(
            "an authorization-code client needs a redirect URI", field="redirect_uris"
        )
    secret = secrets.token_urlsafe(32)
    client = OAuthClient(
        client_id=f"gh-{secrets.token_hex(8)}",
        name=data.name,
        secret_hash=hash_password(secret),
        department_id=department.id,
        redirect_uris=data.redirect_uris,
        grant_types=data.grant_types,
        scope=data.scope,
        roles=sorted(str(r) for r in data.roles),
    )
    session.add(client)
    session.flush()
    audit.record(
        session,
        AuditAction.CLIENT_CREATED,
        actor_id=principal.account_id,
        department_id=department.id,
        client_id=client.client_id,
    )
    return client, secret


# --- profile ---------------------------------------------------------------------------------


def get_profile(session: Session, *, principal: Principal) -> ProfileRead:
    """Return the caller's own account with its masked ID number and effective permissions."""
    if principal.account_id is None:
        raise NotFound("machine clients have no profile")
    account = get_account(session, principal=principal, account_id=principal.account_id)
    masked = None
    if account.id_number_encrypted:
        masked = mask_id_number(
            decrypt_field(account.id_number_encrypted, context=ID_NUMBER_CONTEXT)
        )
    profile = ProfileRead.model_validate(account)
    return profile.model_copy(
        update={
            "id_number_masked": masked,
            "permissions": sorted(str(p) for p in principal.permissions),
            "division_code": principal.division_code,
        }
    )


# --- public figures --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegistryCounts:
    """Headline figures of the identity registry, public on the portal's home page."""

    divisions: int
    departments: int
    citizens: int
    enterprises: int
    officials: int


def registry_counts(session: Session) -> RegistryCounts:
    """Count divisions, departments and active accounts of each kind."""
    rows = session.execute(
        select(Account.kind, func.count()).where(Account.is_active).group_by(Account.kind)
    )
    by_kind: dict[AccountKind, int] = dict(rows.all())
    return RegistryCounts(
        divisions=session.scalar(select(func.count()).select_from(Division)) or 0,
        departments=session.scalar(select(func.count()).select_from(Department)) or 0,
        citizens=by_kind.get(AccountKind.CITIZEN, 0),
        enterprises=by_kind.get(AccountKind.ENTERPRISE, 0),
        officials=by_kind.get(AccountKind.OFFICIAL, 0),
    )
