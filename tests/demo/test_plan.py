"""The generated demo province: shape, code validity, staffing and determinism (no database)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from govhub.demo import DEMO_LOGINS, DemoPlan, build_plan
from govhub.demo.departments import DEPARTMENT_KINDS, PROVINCE_BUREAU_CODE
from govhub.demo.geography import county_codes
from govhub.demo.identifiers import org_code_check_char, org_code_is_valid
from govhub.identity.codes import (
    DivisionLevel,
    division_level,
    division_parent_code,
    id_number_problem,
    uscc_problem,
)
from govhub.identity.models import DepartmentType
from govhub.identity.permissions import Role

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")
DEPARTMENT_CODE = re.compile(r"^[A-Za-z0-9\-_]{2,40}$")


@pytest.fixture(scope="module")
def plan() -> DemoPlan:
    """A reduced demo province."""
    return build_plan(seed=2026, citizens=400, enterprises=120)


class TestDivisions:
    def test_counts_per_level(self, plan: DemoPlan) -> None:
        levels = Counter(d.level for d in plan.divisions)
        assert levels == {
            DivisionLevel.PROVINCE: 1,
            DivisionLevel.CITY: 3,
            DivisionLevel.COUNTY: 9,
            DivisionLevel.TOWNSHIP: 30,
            DivisionLevel.VILLAGE: 100,
        }

    def test_codes_are_well_formed_and_parents_come_first(self, plan: DemoPlan) -> None:
        seen: set[str] = set()
        for division in plan.divisions:
            assert division_level(division.code) is division.level
            assert division.parent_code == division_parent_code(division.code)
            assert division.parent_code is None or division.parent_code in seen
            assert division.code not in seen
            seen.add(division.code)

    def test_real_names_and_codes(self, plan: DemoPlan) -> None:
        names = {d.code: d.name for d in plan.divisions}
        assert names["330000"] == "浙江省"
        assert [names[c] for c in ("330100", "330200", "330300")] == ["杭州市", "宁波市", "温州市"]
        assert names["330102"] == "上城区"
        assert names["330381"] == "瑞安市"
        assert names["330102001"] == "清波街道"

    def test_township_and_village_numbering(self, plan: DemoPlan) -> None:
        for division in plan.divisions:
            number = int(division.code[-3:])
            if division.level is DivisionLevel.TOWNSHIP:
                assert division.name.endswith(("街道", "镇"))
                assert 1 <= number <= 99 if division.name.endswith("街道") else 100 <= number <= 199
            if division.level is DivisionLevel.VILLAGE:
                assert division.name.endswith(("社区", "村"))
                assert (
                    1 <= number <= 199 if division.name.endswith("社区") else 200 <= number <= 399
                )
            assert division.name_en


class TestIdentifiers:
    def test_org_code_check_matches_the_standard_example(self) -> None:
        assert org_code_check_char("D2143569") == "X"
        assert org_code_is_valid("D2143569X")
        assert not org_code_is_valid("D21435690")
        assert not org_code_is_valid("d2143569X")
        assert not org_code_is_valid("D2143569")

    def test_every_id_number_is_valid_and_local(self, plan: DemoPlan) -> None:
        counties = set(county_codes())
        numbers = [c.id_number for c in plan.citizens]
        assert len(set(numbers)) == len(numbers)
        for number in numbers:
            assert id_number_problem(number) is None, number
            assert number[:6] in counties
            born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            assert date(1945, 1, 1) <= born <= date(2007, 12, 31)

    def test_every_credit_code_is_valid_with_a_valid_org_code(self, plan: DemoPlan) -> None:
        counties = set(county_codes())
        codes = [e.uscc for e in plan.enterprises]
        assert len(set(codes)) == len(codes)
        for code in codes:
            assert uscc_problem(code) is None, code
            assert code[:2] in {"91", "92"}
            assert code[2:8] in counties
            assert org_code_is_valid(code[8:17]), code

    def test_enterprise_names_match_their_kind(self, plan: DemoPlan) -> None:
        for enterprise in plan.enterprises:
            if enterprise.uscc.startswith("91"):
                assert enterprise.display_name.endswith("有限公司")
            else:
                assert "记" in enterprise.display_name


class TestDepartments:
    def test_eight_types_per_city_and_county_and_the_province_bureau(self, plan: DemoPlan) -> None:
        assert len(plan.departments) == 1 + 12 * 8
        by_division: dict[str, set[DepartmentType]] = {}
        for department in plan.departments:
            by_division.setdefault(department.division_code, set()).add(department.type)
            assert DEPARTMENT_CODE.match(department.code)
        assert by_division.pop("330000") == {DepartmentType.BIG_DATA_BUREAU}
        assert len(by_division) == 12
        assert all(types == {k.type for k in DEPARTMENT_KINDS} for types in by_division.values())

    def test_county_departments_report_to_the_same_type_in_their_city(self, plan: DemoPlan) -> None:
        by_code = {d.code: d for d in plan.departments}
        for department in plan.departments:
            if len(department.division_code) == 6 and department.division_code[4:] != "00":
                assert department.parent_code is not None
                parent = by_code[department.parent_code]
                assert parent.type is department.type
                assert parent.division_code == department.division_code[:4] + "00"
        assert by_code["HZ-DSJ"].parent_code == PROVINCE_BUREAU_CODE
        assert by_code["HZ-SCJG"].parent_code is None


class TestOfficials:
    def test_role_mix(self, plan: DemoPlan) -> None:
        assert 300 <= len(plan.officials) <= 1000
        admins = Counter(o.department_code for o in plan.officials if Role.DEPT_ADMIN in o.roles)
        assert set(admins) == {d.code for d in plan.departments}
        assert set(admins.values()) == {1}
        held = Counter(role for o in plan.officials for role in o.roles)
        assert held[Role.PLATFORM_ADMIN] == 1
        for role in (Role.DATA_OWNER, Role.APPROVER, Role.REGULATOR, Role.HOTLINE_AGENT):
            assert held[role] >= 50, role
        assert held[Role.LEADER] == len(plan.departments)
        assert held[Role.AUDITOR] >= 13

    def test_usernames_are_unique_and_valid(self, plan: DemoPlan) -> None:
        names = [o.username for o in plan.officials] + [c.username for c in plan.citizens]
        names += [e.username for e in plan.enterprises]
        assert len(set(names)) == len(names)
        assert all(USERNAME.match(name) for name in names)

    def test_well_known_logins_exist(self, plan: DemoPlan) -> None:
        officials = {o.username: o for o in plan.officials}
        assert officials["admin"].roles == (Role.PLATFORM_ADMIN,)
        assert officials["admin"].department_code == PROVINCE_BUREAU_CODE
        assert officials["hz-scjg-admin"].roles == (Role.DEPT_ADMIN,)
        assert officials["hz-scjg-admin"].department_code == "HZ-SCJG"
        assert officials["hz-approver"].roles == (Role.APPROVER,)
        assert officials["hz-approver"].department_code == "HZ-SCJG"
        assert plan.citizens[0].username == "citizen"
        assert plan.enterprises[0].username == "enterprise"
        everyone = set(officials) | {plan.citizens[0].username, plan.enterprises[0].username}
        assert {login.username for login in DEMO_LOGINS} <= everyone


class TestDeterminism:
    def test_same_seed_same_province(self) -> None:
        assert build_plan(seed=7, citizens=50, enterprises=20) == build_plan(
            seed=7, citizens=50, enterprises=20
        )

    def test_other_seed_other_people(self) -> None:
        first = build_plan(seed=7, citizens=50, enterprises=20)
        second = build_plan(seed=8, citizens=50, enterprises=20)
        assert [c.id_number for c in first.citizens] != [c.id_number for c in second.citizens]
        assert [e.uscc for e in first.enterprises] != [e.uscc for e in second.enterprises]
        assert [d.code for d in first.departments] == [d.code for d in second.departments]

    def test_a_larger_load_extends_a_smaller_one(self) -> None:
        small = build_plan(seed=7, citizens=30, enterprises=10)
        large = build_plan(seed=7, citizens=60, enterprises=25)
        assert large.citizens[:30] == small.citizens
        assert large.enterprises[:10] == small.enterprises
        assert large.officials == small.officials
        assert large.divisions == small.divisions

    @pytest.mark.parametrize(("citizens", "enterprises"), [(0, 5), (5, 0)])
    def test_needs_at_least_one_of_each(self, citizens: int, enterprises: int) -> None:
        with pytest.raises(ValueError, match="at least one"):
            build_plan(citizens=citizens, enterprises=enterprises)
