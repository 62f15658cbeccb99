"""Permissions as types: one sorted enum, the roles, and which role carries which permission.

A permission says what may be done; the principal's scope (department and division subtree)
says to which rows. Services apply the scope; `deps.require` checks the permission.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """Everything that can be allowed, as `<domain>:<action>`, sorted."""

    ACCOUNTS_MANAGE = "accounts:manage"
    ACCOUNTS_READ = "accounts:read"
    ACCOUNTS_READ_RESIDENTS = "accounts:read-residents"
    ACCOUNTS_ROLES = "accounts:roles"
    AUDIT_READ = "audit:read"
    CATALOG_EDIT = "catalog:edit"
    CATALOG_MANAGE = "catalog:manage"
    CATALOG_READ = "catalog:read"
    CLIENTS_MANAGE = "clients:manage"
    CONSENTS_MANAGE = "consents:manage"
    DATA_INGEST = "data:ingest"
    DATA_SOURCES = "data:sources"
    DEPARTMENTS_MANAGE = "departments:manage"
    DEPARTMENTS_READ = "departments:read"
    DIVISIONS_MANAGE = "divisions:manage"
    EXCHANGE_READ = "exchange:read"
    HEALTH_CODE = "health:code"
    HEALTH_RULES = "health:rules"
    HEALTH_VERIFY = "health:verify"
    LEDGER_READ = "ledger:read"
    LEDGER_WITNESS = "ledger:witness"
    LICENSES_ISSUE = "licenses:issue"
    LICENSES_WALLET = "licenses:wallet"
    PAYMENTS_COLLECT = "payments:collect"
    PAYMENTS_PAY = "payments:pay"
    PAYMENTS_RECONCILE = "payments:reconcile"
    OPENDATA_REPLY = "opendata:reply"
    PROFILE_READ = "profile:read"
    RESERVATIONS_BOOK = "reservations:book"
    RESERVATIONS_MANAGE = "reservations:manage"
    RESERVATIONS_REDEEM = "reservations:redeem"
    SERVICES_APPLY = "services:apply"
    SERVICES_APPROVE = "services:approve"
    SERVICES_MANAGE = "services:manage"
    SHARING_DECIDE = "sharing:decide"
    SHARING_REQUEST = "sharing:request"
    STANDARDS_EDIT = "standards:edit"
    WORKBENCH_USE = "workbench:use"
    RATINGS_HANDLE = "ratings:handle"
    RATINGS_DECIDE = "ratings:decide"


class Role(StrEnum):
    """Roles an account can hold; citizens and enterprises hold the role of their kind."""

    CITIZEN = "citizen"
    ENTERPRISE = "enterprise"
    OFFICIAL = "official"
    DEPT_ADMIN = "dept_admin"
    DATA_OWNER = "data_owner"
    APPROVER = "approver"
    REGULATOR = "regulator"
    HOTLINE_AGENT = "hotline_agent"
    LEADER = "leader"
    AUDITOR = "auditor"
    PLATFORM_ADMIN = "platform_admin"
    SYSTEM = "system"
    FINANCE = "finance"


_OFFICIAL_BASE = frozenset(
    {
        Permission.PROFILE_READ,
        Permission.WORKBENCH_USE,
        Permission.DEPARTMENTS_READ,
        Permission.CATALOG_READ,
        Permission.LEDGER_READ,
    }
)
# Writing a department's catalog entries, data elements and datasets, requesting other
# departments' data, deciding on requests for its own and replying to the public's open data
# requests addressed to it (its own department only).
_DATA_STEWARD = frozenset(
    {
        Permission.CATALOG_EDIT,
        Permission.DATA_INGEST,
        Permission.OPENDATA_REPLY,
        Permission.SHARING_DECIDE,
        Permission.SHARING_REQUEST,
        Permission.STANDARDS_EDIT,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CITIZEN: frozenset(
        {
            Permission.PROFILE_READ,
            Permission.CONSENTS_MANAGE,
            Permission.RESERVATIONS_BOOK,
            Permission.PAYMENTS_PAY,
            Permission.LICENSES_WALLET,
            Permission.HEALTH_CODE,
        }
    ),
    Role.ENTERPRISE: frozenset(
        {
            Permission.PROFILE_READ,
            Permission.CONSENTS_MANAGE,
            Permission.PAYMENTS_PAY,
            Permission.LICENSES_WALLET,
        }
    ),
    Role.OFFICIAL: _OFFICIAL_BASE,
    Role.DEPT_ADMIN: _OFFICIAL_BASE
    | {
        Permission.ACCOUNTS_READ,
        Permission.ACCOUNTS_MANAGE,
        Permission.ACCOUNTS_ROLES,
        Permission.AUDIT_READ,
        Permission.CLIENTS_MANAGE,
        Permission.DATA_SOURCES,
        Permission.LEDGER_WITNESS,
        Permission.LICENSES_ISSUE,
        Permission.PAYMENTS_COLLECT,
        Permission.RESERVATIONS_MANAGE,
        Permission.RESERVATIONS_REDEEM,
        Permission.HEALTH_RULES,
        Permission.HEALTH_VERIFY,
    }
    | _DATA_STEWARD,
    Role.DATA_OWNER: _OFFICIAL_BASE | _DATA_STEWARD,
    # Front-line staff who act on residents' matters also hand out reserved goods, check
    # health codes, and issue (and revoke) their department's e-licenses on approval.
    Role.APPROVER: _OFFICIAL_BASE
    | {Permission.RESERVATIONS_REDEEM, Permission.LICENSES_ISSUE, Permission.HEALTH_VERIFY},
    Role.REGULATOR: _OFFICIAL_BASE,
    Role.HOTLINE_AGENT: _OFFICIAL_BASE,
    Role.LEADER: _OFFICIAL_BASE | {Permission.ACCOUNTS_READ, Permission.AUDIT_READ},
    Role.AUDITOR: _OFFICIAL_BASE | {Permission.AUDIT_READ, Permission.ACCOUNTS_READ},
    # Booking, paying, holding licenses and a health code are a resident's own acts:
    # administrators hold every other permission.
    Role.PLATFORM_ADMIN: frozenset(Permission)
    - {
        Permission.RESERVATIONS_BOOK,
        Permission.PAYMENTS_PAY,
        Permission.LICENSES_WALLET,
        Permission.HEALTH_CODE,
    },
    Role.SYSTEM: frozenset(
        {Permission.DEPARTMENTS_READ, Permission.EXCHANGE_READ, Permission.LEDGER_WITNESS}
    ),
    # A department's cashier and accountant: raises fee orders, refunds, reconciles the day.
    Role.FINANCE: _OFFICIAL_BASE | {Permission.PAYMENTS_COLLECT, Permission.PAYMENTS_RECONCILE},
}

# Online services: residents and enterprises apply; approvers and department administrators
# decide their own department's tasks; department administrators manage its matter catalog.
for _role, _granted in {
    Role.CITIZEN: {Permission.SERVICES_APPLY},
    Role.ENTERPRISE: {Permission.SERVICES_APPLY},
    Role.APPROVER: {Permission.SERVICES_APPROVE},
    Role.DEPT_ADMIN: {Permission.SERVICES_APPROVE, Permission.SERVICES_MANAGE},
}.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _granted

# Ratings: applicants rate with `services:apply`; approvers and department administrators handle
# their department's rectification cases; department administrators decide appeals within their
# division subtree (platform administrators hold every permission).
for _role, _granted in {
    Role.APPROVER: {Permission.RATINGS_HANDLE},
    Role.DEPT_ADMIN: {Permission.RATINGS_HANDLE, Permission.RATINGS_DECIDE},
}.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _granted

OFFICIAL_ROLES = frozenset(ROLE_PERMISSIONS) - {Role.CITIZEN, Role.ENTERPRISE, Role.SYSTEM}

# Roles a department administrator may hand out; the rest only a platform administrator may.
DELEGABLE_ROLES = frozenset(
    {
        Role.OFFICIAL,
        Role.DATA_OWNER,
        Role.APPROVER,
        Role.REGULATOR,
        Role.HOTLINE_AGENT,
        Role.LEADER,
        Role.AUDITOR,
        Role.FINANCE,
    }
)


def permissions_of(roles: frozenset[Role] | set[Role]) -> frozenset[Permission]:
    """Return the union of the permissions the given roles carry."""
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
