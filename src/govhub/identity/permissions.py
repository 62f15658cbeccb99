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
    PROFILE_READ = "profile:read"
    RESERVATIONS_BOOK = "reservations:book"
    RESERVATIONS_MANAGE = "reservations:manage"
    RESERVATIONS_REDEEM = "reservations:redeem"
    SHARING_DECIDE = "sharing:decide"
    SHARING_REQUEST = "sharing:request"
    STANDARDS_EDIT = "standards:edit"
    WORKBENCH_USE = "workbench:use"


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
# departments' data and deciding on requests for its own (its own department only).
_DATA_STEWARD = frozenset(
    {
        Permission.CATALOG_EDIT,
        Permission.DATA_INGEST,
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
            Permission.HEALTH_CODE,
        }
    ),
    Role.ENTERPRISE: frozenset({Permission.PROFILE_READ, Permission.CONSENTS_MANAGE}),
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
        Permission.RESERVATIONS_MANAGE,
        Permission.RESERVATIONS_REDEEM,
        Permission.HEALTH_RULES,
        Permission.HEALTH_VERIFY,
    }
    | _DATA_STEWARD,
    Role.DATA_OWNER: _OFFICIAL_BASE | _DATA_STEWARD,
    # Front-line staff who act on residents' matters also hand out reserved goods.
    Role.APPROVER: _OFFICIAL_BASE | {Permission.RESERVATIONS_REDEEM, Permission.HEALTH_VERIFY},
    Role.REGULATOR: _OFFICIAL_BASE,
    Role.HOTLINE_AGENT: _OFFICIAL_BASE,
    Role.LEADER: _OFFICIAL_BASE | {Permission.ACCOUNTS_READ, Permission.AUDIT_READ},
    Role.AUDITOR: _OFFICIAL_BASE | {Permission.AUDIT_READ, Permission.ACCOUNTS_READ},
    # Booking and holding a health code are a resident's own acts: administrators hold every
    # other permission.
    Role.PLATFORM_ADMIN: frozenset(Permission)
    - {Permission.RESERVATIONS_BOOK, Permission.HEALTH_CODE},
    Role.SYSTEM: frozenset(
        {Permission.DEPARTMENTS_READ, Permission.EXCHANGE_READ, Permission.LEDGER_WITNESS}
    ),
}

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
    }
)


def permissions_of(roles: frozenset[Role] | set[Role]) -> frozenset[Permission]:
    """Return the union of the permissions the given roles carry."""
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
