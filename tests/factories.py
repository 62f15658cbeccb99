"""Factories for test data: a small province with departments and accounts of every kind."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from govhub.identity import authn
from govhub.identity.codes import division_level, division_parent_code, id_number_check_char
from govhub.identity.models import (
    Account,
    AccountKind,
    AccountRole,
    Department,
    DepartmentType,
    Division,
)
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal

PASSWORD = "correct-horse-battery"


def make_id_number(division: str = "330102", born: str = "19900307", seq: str = "123") -> str:
    """Return a valid resident ID number."""
    first = division + born + seq
    return first + id_number_check_char(first)


def add_division(session: Session, code: str, name: str) -> Division:
    """Insert a division (parents must exist)."""
    level = division_level(code)
    assert level is not None
    division = Division(code=code, name=name, level=level, parent_code=division_parent_code(code))
    session.add(division)
    session.flush()
    return division


def add_department(
    session: Session, code: str, division_code: str, dtype: DepartmentType, name: str = ""
) -> Department:
    """Insert a department."""
    department = Department(code=code, name=name or code, type=dtype, division_code=division_code)
    session.add(department)
    session.flush()
    return department


def add_official(session: Session, username: str, department: Department, *roles: Role) -> Account:
    """Insert an official with `roles` (always including `official`)."""
    account = Account(
        kind=AccountKind.OFFICIAL,
        username=username,
        display_name=username.title(),
        password_hash=authn.hash_password(PASSWORD),
        department_id=department.id,
    )
    account.role_rows = [AccountRole(role=r) for r in {Role.OFFICIAL, *roles}]
    session.add(account)
    session.flush()
    return account


@dataclass
class World:
    """A province with two cities, a county, and officials at each level."""

    province_bureau: Department
    city_a_market: Department
    city_a_tax: Department
    county_a_market: Department
    city_b_market: Department
    platform_admin: Account
    city_a_admin: Account
    city_a_official: Account
    county_a_official: Account
    city_b_admin: Account
    city_a_leader: Account

    def principal(self, account: Account) -> Principal:
        """Return the principal of `account`."""
        return authn.principal_for(account)


def build_world(session: Session) -> World:
    """Create the standard test world and return handles to it."""
    add_division(session, "330000", "浙江省")
    add_division(session, "330100", "杭州市")
    add_division(session, "330102", "上城区")
    add_division(session, "330102001", "清波街道")
    add_division(session, "330200", "宁波市")
    bureau = add_department(session, "P-BDB", "330000", DepartmentType.BIG_DATA_BUREAU)
    a_market = add_department(session, "A-SCJG", "330100", DepartmentType.MARKET_REGULATION)
    a_tax = add_department(session, "A-SWJ", "330100", DepartmentType.TAXATION)
    county = add_department(session, "A1-SCJG", "330102", DepartmentType.MARKET_REGULATION)
    b_market = add_department(session, "B-SCJG", "330200", DepartmentType.MARKET_REGULATION)
    suffix = uuid.uuid4().hex[:6]
    return World(
        province_bureau=bureau,
        city_a_market=a_market,
        city_a_tax=a_tax,
        county_a_market=county,
        city_b_market=b_market,
        platform_admin=add_official(session, f"padmin{suffix}", bureau, Role.PLATFORM_ADMIN),
        city_a_admin=add_official(session, f"aadmin{suffix}", a_market, Role.DEPT_ADMIN),
        city_a_official=add_official(session, f"aoff{suffix}", a_market),
        county_a_official=add_official(session, f"coff{suffix}", county, Role.APPROVER),
        city_b_admin=add_official(session, f"badmin{suffix}", b_market, Role.DEPT_ADMIN),
        city_a_leader=add_official(session, f"alead{suffix}", a_tax, Role.LEADER),
    )
