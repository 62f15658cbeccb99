"""The demo province's departments and the officials who staff them.

Each city and county has the eight line departments of `DEPARTMENT_KINDS`; a county department
reports to the city department of the same type, a city big data bureau to the provincial one.
Department codes and usernames are readable: `HZ-SCJG` is Hangzhou's market regulation bureau,
`HZ-SC-SCJG` Shangcheng district's, and `hz-sc-scjg-admin` the latter's administrator.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from faker import Faker

from govhub.demo.geography import (
    CITIES,
    PROVINCE_CODE,
    PROVINCE_NAME,
    PROVINCE_SLUG,
    City,
    County,
)
from govhub.demo.geography import all_counties as demo_counties
from govhub.identity.models import DepartmentType
from govhub.identity.permissions import Role


@dataclass(frozen=True, slots=True)
class DepartmentSeed:
    """One department of the demo province; `parent_code` names its parent department."""

    id: uuid.UUID
    code: str
    name: str
    name_en: str
    type: DepartmentType
    division_code: str
    parent_code: str | None


@dataclass(frozen=True, slots=True)
class OfficialSeed:
    """One official of a demo department with the roles they hold (besides `official`)."""

    id: uuid.UUID
    username: str
    display_name: str
    department_code: str
    roles: tuple[Role, ...]


@dataclass(frozen=True, slots=True)
class DepartmentKind:
    """How a type of department is abbreviated and named at city and county level."""

    type: DepartmentType
    slug: str
    label_en: str
    regulates: bool  # carries out inspections: gets regulators
    serves_public: bool  # answers the 12345 hotline: gets hotline agents


DEPARTMENT_KINDS: tuple[DepartmentKind, ...] = (
    DepartmentKind(
        DepartmentType.MARKET_REGULATION, "scjg", "Market Regulation Bureau", True, True
    ),
    DepartmentKind(DepartmentType.TAXATION, "sw", "Taxation Bureau", True, False),
    DepartmentKind(DepartmentType.PUBLIC_SECURITY, "ga", "Public Security Bureau", True, True),
    DepartmentKind(DepartmentType.CIVIL_AFFAIRS, "mz", "Civil Affairs Bureau", False, True),
    DepartmentKind(DepartmentType.HEALTH, "wj", "Health Commission", True, True),
    DepartmentKind(
        DepartmentType.ECOLOGY_ENVIRONMENT, "sthj", "Ecology and Environment Bureau", True, False
    ),
    DepartmentKind(
        DepartmentType.HUMAN_RESOURCES_SOCIAL_SECURITY,
        "rs",
        "Human Resources and Social Security Bureau",
        False,
        True,
    ),
    DepartmentKind(
        DepartmentType.BIG_DATA_BUREAU, "dsj", "Big Data Development Bureau", False, False
    ),
)

PROVINCE_BUREAU_CODE = f"{PROVINCE_SLUG.upper()}-DSJ"
# Well-known demo logins that replace the generated username of a given seat.
WELL_KNOWN_SEATS = {
    (PROVINCE_BUREAU_CODE, Role.PLATFORM_ADMIN): "admin",
    ("HZ-SCJG", Role.DEPT_ADMIN): "hz-scjg-admin",
    ("HZ-SCJG", Role.APPROVER): "hz-approver",
}


def _city_name(city: City, kind: DepartmentKind) -> str:
    names = {
        DepartmentType.MARKET_REGULATION: f"{city.name}市场监督管理局",
        DepartmentType.TAXATION: f"国家税务总局{city.name}税务局",
        DepartmentType.PUBLIC_SECURITY: f"{city.name}公安局",
        DepartmentType.CIVIL_AFFAIRS: f"{city.name}民政局",
        DepartmentType.HEALTH: f"{city.name}卫生健康委员会",
        DepartmentType.ECOLOGY_ENVIRONMENT: f"{city.name}生态环境局",
        DepartmentType.HUMAN_RESOURCES_SOCIAL_SECURITY: f"{city.name}人力资源和社会保障局",
        DepartmentType.BIG_DATA_BUREAU: f"{city.name}大数据发展管理局",
    }
    return names[kind.type]


def _county_name(city: City, county: County, kind: DepartmentKind) -> str:
    """Name a county department as Zhejiang does: districts carry the city's name, counties and
    county-level cities stand alone; public security in districts and ecology everywhere are
    branches (分局) of the city bureau."""
    place = f"{city.name}{county.name}" if county.is_district else county.name
    names = {
        DepartmentType.MARKET_REGULATION: f"{place}市场监督管理局",
        DepartmentType.TAXATION: f"国家税务总局{place}税务局",
        DepartmentType.PUBLIC_SECURITY: (
            f"{city.name}公安局{county.name}分局" if county.is_district else f"{place}公安局"
        ),
        DepartmentType.CIVIL_AFFAIRS: f"{place}民政局",
        DepartmentType.HEALTH: f"{place}卫生健康局",
        DepartmentType.ECOLOGY_ENVIRONMENT: f"{city.name}生态环境局{county.short_name}分局",
        DepartmentType.HUMAN_RESOURCES_SOCIAL_SECURITY: f"{place}人力资源和社会保障局",
        DepartmentType.BIG_DATA_BUREAU: f"{place}大数据发展管理局",
    }
    return names[kind.type]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def build_departments(rng: random.Random) -> list[DepartmentSeed]:
    """Return the provincial big data bureau and 8 departments per city and county.

    Parents come before their children.
    """
    seeds = [
        DepartmentSeed(
            _uuid(rng),
            PROVINCE_BUREAU_CODE,
            f"{PROVINCE_NAME}大数据发展管理局",
            "Zhejiang Big Data Development Bureau",
            DepartmentType.BIG_DATA_BUREAU,
            PROVINCE_CODE,
            None,
        )
    ]
    for city in CITIES:
        for kind in DEPARTMENT_KINDS:
            is_bureau = kind.type is DepartmentType.BIG_DATA_BUREAU
            seeds.append(
                DepartmentSeed(
                    _uuid(rng),
                    f"{city.slug}-{kind.slug}".upper(),
                    _city_name(city, kind),
                    f"{city.name_en} {kind.label_en}",
                    kind.type,
                    city.code,
                    PROVINCE_BUREAU_CODE if is_bureau else None,
                )
            )
    for city, county in demo_counties():
        for kind in DEPARTMENT_KINDS:
            seeds.append(
                DepartmentSeed(
                    _uuid(rng),
                    f"{city.slug}-{county.slug}-{kind.slug}".upper(),
                    _county_name(city, county, kind),
                    f"{county.name_en} {kind.label_en}",
                    kind.type,
                    county.code,
                    f"{city.slug}-{kind.slug}".upper(),
                )
            )
    return seeds


def _seats(department: DepartmentSeed, rng: random.Random) -> list[Role]:
    """Return the roles to staff a department with, one entry per official."""
    if department.code == PROVINCE_BUREAU_CODE:
        return [Role.PLATFORM_ADMIN, Role.DEPT_ADMIN, Role.LEADER, Role.AUDITOR, Role.DATA_OWNER]
    kind = next(k for k in DEPARTMENT_KINDS if k.type is department.type)
    seats = [Role.DEPT_ADMIN, Role.LEADER, Role.DATA_OWNER]
    seats += [Role.APPROVER] * rng.randint(1, 2)
    if kind.regulates:
        seats += [Role.REGULATOR] * rng.randint(1, 2)
    if kind.serves_public:
        seats.append(Role.HOTLINE_AGENT)
    if department.type is DepartmentType.BIG_DATA_BUREAU:
        seats += [Role.AUDITOR, Role.DATA_OWNER]
    seats += [Role.OFFICIAL] * rng.randint(0, 1)
    return seats


ROLE_SLUGS = {
    Role.PLATFORM_ADMIN: "platform",
    Role.DEPT_ADMIN: "admin",
    Role.LEADER: "leader",
    Role.DATA_OWNER: "owner",
    Role.APPROVER: "approver",
    Role.REGULATOR: "regulator",
    Role.HOTLINE_AGENT: "hotline",
    Role.AUDITOR: "auditor",
    Role.OFFICIAL: "staff",
}


def build_officials(
    departments: list[DepartmentSeed], rng: random.Random, fake: Faker
) -> list[OfficialSeed]:
    """Staff every department: an administrator, a leader, data owners, approvers and the
    regulators, hotline agents and auditors its type calls for."""
    officials: list[OfficialSeed] = []
    for department in departments:
        seats = _seats(department, rng)
        for position, role in enumerate(seats):
            number = seats[:position].count(role) + 1
            suffix = "" if seats.count(role) == 1 else str(number)
            username = WELL_KNOWN_SEATS.get((department.code, role)) if number == 1 else None
            username = username or f"{department.code.lower()}-{ROLE_SLUGS[role]}{suffix}"
            roles = () if role is Role.OFFICIAL else (role,)
            officials.append(
                OfficialSeed(_uuid(rng), username, fake.name(), department.code, roles)
            )
    return officials
