"""Display labels (English message ids) for the identity domain's enums, translated in templates."""

from __future__ import annotations

from govhub.core.i18n import N_
from govhub.identity.models import AccountKind, DepartmentType
from govhub.identity.permissions import Role

ROLE_LABELS: dict[Role, str] = {
    Role.CITIZEN: N_("Citizen"),
    Role.ENTERPRISE: N_("Enterprise"),
    Role.OFFICIAL: N_("Official"),
    Role.DEPT_ADMIN: N_("Department administrator"),
    Role.DATA_OWNER: N_("Data owner"),
    Role.APPROVER: N_("Approver"),
    Role.REGULATOR: N_("Regulator"),
    Role.HOTLINE_AGENT: N_("Hotline agent"),
    Role.LEADER: N_("Leader"),
    Role.AUDITOR: N_("Auditor"),
    Role.PLATFORM_ADMIN: N_("Platform administrator"),
    Role.SYSTEM: N_("System"),
    Role.FINANCE: N_("Finance officer"),
}

KIND_LABELS: dict[AccountKind, str] = {
    AccountKind.CITIZEN: N_("Citizen"),
    AccountKind.ENTERPRISE: N_("Enterprise"),
    AccountKind.OFFICIAL: N_("Official"),
}

DEPARTMENT_TYPE_LABELS: dict[DepartmentType, str] = {
    DepartmentType.BIG_DATA_BUREAU: N_("Big data bureau"),
    DepartmentType.MARKET_REGULATION: N_("Market regulation"),
    DepartmentType.TAXATION: N_("Taxation"),
    DepartmentType.PUBLIC_SECURITY: N_("Public security"),
    DepartmentType.CIVIL_AFFAIRS: N_("Civil affairs"),
    DepartmentType.HEALTH: N_("Health"),
    DepartmentType.ECOLOGY_ENVIRONMENT: N_("Ecology and environment"),
    DepartmentType.HUMAN_RESOURCES_SOCIAL_SECURITY: N_("Human resources and social security"),
    DepartmentType.GOVERNMENT_OFFICE: N_("Government office"),
    DepartmentType.OTHER: N_("Other department"),
}
