"""Loading the demo province into the database: counts, stored identifiers, idempotency."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from govhub.core.crypto import decrypt_field
from govhub.core.errors import PermissionDenied
from govhub.core.settings import get_settings
from govhub.demo import DEMO_LOGINS, DEMO_PASSWORD, DemoPlan, LoadReport, build_plan, load_demo
from govhub.identity import authn
from govhub.identity import service as identity_service
from govhub.identity.codes import DivisionLevel, id_number_problem, uscc_problem
from govhub.identity.models import Account, AccountKind, AccountRole, Department, Division
from govhub.identity.permissions import Role
from govhub.models import Base
from govhub.reservations.models import Campaign
from tests.factories import World

Loaded = tuple[DemoPlan, LoadReport]


def small_plan(seed: int = 2026, citizens: int = 200, enterprises: int = 40) -> DemoPlan:
    """A reduced demo province."""
    return build_plan(seed=seed, citizens=citizens, enterprises=enterprises)


@pytest.fixture
def loaded(session: Session) -> Loaded:
    """The reduced demo province, loaded into the test transaction."""
    plan = small_plan()
    return plan, load_demo(session, plan)


def count(session: Session, model: type[Any], *where: Any) -> int:
    """Count rows of `model` matching `where`."""
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


class TestCounts:
    def test_divisions_per_level(self, session: Session, loaded: Loaded) -> None:
        rows = session.execute(
            select(Division.level, func.count())
            .where(Division.code.startswith("33"))
            .group_by(Division.level)
        )
        assert dict(rows.all()) == {
            DivisionLevel.PROVINCE: 1,
            DivisionLevel.CITY: 3,
            DivisionLevel.COUNTY: 9,
            DivisionLevel.TOWNSHIP: 30,
            DivisionLevel.VILLAGE: 100,
        }

    def test_accounts_and_report(self, session: Session, loaded: Loaded) -> None:
        plan, report = loaded
        assert count(session, Department) == 97
        assert count(session, Account, Account.kind == AccountKind.CITIZEN) == 200
        assert count(session, Account, Account.kind == AccountKind.ENTERPRISE) == 40
        officials = count(session, Account, Account.kind == AccountKind.OFFICIAL)
        assert officials == len(plan.officials)
        assert report.tables["divisions"] == 143
        assert report.tables["departments"] == 97
        assert report.tables["accounts"] == 200 + 40 + officials
        assert report.tables["account_roles"] == count(session, AccountRole)
        assert report.stages["citizens"].inserted == 200
        assert report.tables["reservation_campaigns"] == count(session, Campaign) == 2
        assert report.changed

    def test_every_account_holds_the_role_of_its_kind(
        self, session: Session, loaded: Loaded
    ) -> None:
        expected = {
            AccountKind.CITIZEN: Role.CITIZEN,
            AccountKind.ENTERPRISE: Role.ENTERPRISE,
            AccountKind.OFFICIAL: Role.OFFICIAL,
        }
        for account in session.scalars(select(Account)):
            assert expected[account.kind] in account.roles

    def test_county_departments_point_at_the_same_type_in_their_city(
        self, session: Session, loaded: Loaded
    ) -> None:
        parent = aliased(Department)
        pairs = session.execute(
            select(Department, parent).join(parent, Department.parent_id == parent.id)
        ).all()
        assert len(pairs) == 9 * 8 + 3  # county departments, and the cities' big data bureaus
        for child, boss in pairs:
            assert child.type is boss.type
            assert boss.division_code in {"330000", child.division_code[:4] + "00"}

    def test_every_division_parent_exists(self, session: Session, loaded: Loaded) -> None:
        codes = set(session.scalars(select(Division.code)))
        for division in session.scalars(select(Division).where(Division.code.startswith("33"))):
            assert division.parent_code is None or division.parent_code in codes


class TestStoredIdentifiers:
    def test_id_numbers_are_stored_as_the_identity_service_stores_them(
        self, session: Session, loaded: Loaded
    ) -> None:
        plan, _ = loaded
        for seed in plan.citizens:
            account = identity_service.find_citizen_by_id_number(session, seed.id_number)
            assert account is not None
            assert account.username == seed.username
            assert account.id_number_encrypted is not None
            clear = decrypt_field(
                account.id_number_encrypted, context=identity_service.ID_NUMBER_CONTEXT
            )
            assert clear == seed.id_number
            assert id_number_problem(clear) is None

    def test_no_id_number_is_stored_in_clear(self, session: Session, loaded: Loaded) -> None:
        plan, _ = loaded
        dump = "\n".join(
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in session.execute(select(table))
        )
        assert len(dump) > 100_000
        leaked = [c.id_number for c in plan.citizens if c.id_number in dump]
        assert leaked == []
        assert plan.citizens[0].display_name in dump  # the dump does hold the accounts

    def test_credit_codes_are_valid(self, session: Session, loaded: Loaded) -> None:
        plan, _ = loaded
        stored = set(session.scalars(select(Account.uscc).where(Account.uscc.is_not(None))))
        assert stored == {e.uscc for e in plan.enterprises}
        assert all(uscc_problem(code) is None for code in stored if code)

    def test_every_demo_account_shares_the_one_demo_hash(
        self, session: Session, loaded: Loaded
    ) -> None:
        assert session.scalar(select(func.count(func.distinct(Account.password_hash)))) == 1


class TestLogins:
    def test_well_known_logins_authenticate(self, session: Session, loaded: Loaded) -> None:
        accounts = {
            login.username: authn.authenticate(
                session, username=login.username, password=DEMO_PASSWORD, ip=None
            )
            for login in DEMO_LOGINS
        }
        assert Role.PLATFORM_ADMIN in accounts["admin"].roles
        admin_department = accounts["admin"].department
        assert admin_department is not None
        assert admin_department.code == "ZJ-DSJ"
        for username, role in (("hz-scjg-admin", Role.DEPT_ADMIN), ("hz-approver", Role.APPROVER)):
            department = accounts[username].department
            assert department is not None
            assert department.code == "HZ-SCJG"
            assert role in accounts[username].roles
        assert accounts["citizen"].kind is AccountKind.CITIZEN
        assert accounts["enterprise"].kind is AccountKind.ENTERPRISE

    def test_admin_signs_in_through_the_api(self, client: TestClient, loaded: Loaded) -> None:
        response = client.post(
            "/api/v1/auth/token", json={"username": "admin", "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert "platform_admin" in me.json()["roles"]
        assert me.json()["division_code"] == "330000"


def snapshot(session: Session) -> list[tuple[Any, ...]]:
    """Every demo row's deterministic content (ciphertexts use random nonces and are left out)."""
    accounts = session.execute(
        select(
            Account.id,
            Account.username,
            Account.display_name,
            Account.kind,
            Account.id_number_index,
            Account.uscc,
            Account.department_id,
        ).order_by(Account.username)
    )
    departments = session.execute(
        select(Department.id, Department.code, Department.name, Department.parent_id).order_by(
            Department.code
        )
    )
    divisions = session.execute(select(Division.code, Division.name).order_by(Division.code))
    return [*map(tuple, accounts), *map(tuple, departments), *map(tuple, divisions)]


class TestDeterminismAndIdempotency:
    def test_same_seed_same_rows(self, session: Session) -> None:
        shots = []
        for _ in range(2):
            savepoint = session.begin_nested()
            load_demo(session, small_plan(citizens=30, enterprises=10))
            shots.append(snapshot(session))
            savepoint.rollback()
        assert shots[0] == shots[1]
        assert len(shots[0]) > 500

    def test_second_load_changes_nothing(self, session: Session, loaded: Loaded) -> None:
        before = snapshot(session)
        again = load_demo(session, small_plan())
        assert not again.changed
        assert all(stage.inserted == 0 for stage in again.stages.values())
        assert snapshot(session) == before

    def test_a_larger_load_adds_only_the_difference(self, session: Session, loaded: Loaded) -> None:
        report = load_demo(session, small_plan(citizens=215, enterprises=40))
        assert report.tables == {
            "divisions": 0,
            "departments": 0,
            "accounts": 15,
            "account_roles": 15,
            "catalog_resources": 0,
            "dataset_versions": 0,
            "reservation_campaigns": 0,
            "applications": report.stages["applications"].inserted,
        }
        assert report.stages["applications"].planned == 215 // 4
        assert count(session, Account, Account.kind == AccountKind.CITIZEN) == 215

    def test_existing_divisions_and_departments_are_kept(
        self, session: Session, world: World
    ) -> None:
        report = load_demo(session, small_plan(citizens=5, enterprises=5))
        assert report.tables["divisions"] == 143 - 5  # the test world holds five of them
        assert session.get(Division, "330102001") is not None
        assert count(session, Department) == 97 + 5


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings that say this is a production deployment."""
    monkeypatch.setenv("GOVHUB_ENV", "production")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_refuses_production(session: Session, production: None) -> None:
    with pytest.raises(PermissionDenied, match="production"):
        load_demo(session, small_plan(citizens=5, enterprises=5))
    assert count(session, Division) == 0
    assert count(session, Account) == 0


def test_progress_is_reported_per_stage(session: Session) -> None:
    calls: list[tuple[str, int, int]] = []
    record: Callable[[str, int, int], None] = lambda *call: calls.append(call)  # noqa: E731
    load_demo(session, small_plan(citizens=1500, enterprises=5), progress=record)
    assert [stage for stage, done, _ in calls if done == 0] == [
        "divisions",
        "departments",
        "officials",
        "citizens",
        "enterprises",
        "catalog",
        "datasets",
        "campaigns",
        "applications",
    ]
    citizens = [(done, total) for stage, done, total in calls if stage == "citizens"]
    assert citizens == [(0, 1500), (1000, 1500), (1500, 1500)]
    assert Counter(stage for stage, _, _ in calls)["divisions"] == 2
