"""Identity services called directly: scope rules, lookups and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from govhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govhub.identity import audit, authn, service
from govhub.identity.models import AccountKind, AuditAction
from govhub.identity.permissions import Role
from govhub.identity.schemas import (
    CitizenRegister,
    ClientCreate,
    DepartmentCreate,
    DivisionCreate,
)
from tests.factories import PASSWORD, World, make_id_number


class TestDivisions:
    def test_level_and_parent_follow_from_the_code(self, session: Session, world: World) -> None:
        division = service.create_division(
            session, data=DivisionCreate(code="330102001003", name="某社区")
        )
        assert division.level == "village"
        assert division.parent_code == "330102001"

    def test_duplicates_conflict(self, session: Session, world: World) -> None:
        with pytest.raises(Conflict):
            service.create_division(session, data=DivisionCreate(code="330100", name="again"))

    def test_children_are_listed_in_code_order(self, session: Session, world: World) -> None:
        cities, total = service.list_divisions(session, parent_code="330000")
        assert [c.code for c in cities] == ["330100", "330200"]
        assert total == 2
        provinces, _ = service.list_divisions(session)
        assert "330000" in [p.code for p in provinces]

    def test_unknown_division(self, session: Session) -> None:
        with pytest.raises(NotFound):
            service.get_division(session, "999999")


class TestDepartments:
    def test_scope_is_the_division_subtree(self, session: Session, world: World) -> None:
        city_a = world.principal(world.city_a_admin)
        codes = {d.code for d in service.list_departments(session, principal=city_a)[0]}
        assert codes == {"A-SCJG", "A-SWJ", "A1-SCJG"}
        province = world.principal(world.platform_admin)
        assert service.list_departments(session, principal=province)[1] == 5

    def test_parent_must_be_in_scope(self, session: Session, world: World) -> None:
        city_b = world.principal(world.city_b_admin)
        data = DepartmentCreate(
            code="B1-X",
            name="x",
            type="health",
            division_code="330200",
            parent_id=world.city_a_market.id,
        )
        with pytest.raises(NotFound):
            service.create_department(session, principal=city_b, data=data)

    def test_duplicate_code(self, session: Session, world: World) -> None:
        admin = world.principal(world.platform_admin)
        data = DepartmentCreate(
            code="A-SCJG",
            name="x",
            type="health",
            division_code="330100",
        )
        with pytest.raises(Conflict):
            service.create_department(session, principal=admin, data=data)


class TestAccounts:
    def test_citizen_is_found_by_id_number_through_the_blind_index(self, session: Session) -> None:
        id_number = make_id_number(seq="555")
        created = service.register_citizen(
            session,
            data=CitizenRegister(
                username="finder", password=PASSWORD, display_name="钱七", id_number=id_number
            ),
        )
        assert service.find_citizen_by_id_number(session, id_number) is created
        assert service.find_citizen_by_id_number(session, make_id_number(seq="556")) is None

    def test_residents_need_their_own_permission(self, session: Session, world: World) -> None:
        with pytest.raises(PermissionDenied):
            service.list_accounts(
                session, principal=world.principal(world.city_a_admin), kind=AccountKind.CITIZEN
            )
        rows, _ = service.list_accounts(
            session, principal=world.principal(world.platform_admin), kind=AccountKind.CITIZEN
        )
        assert all(r.kind is AccountKind.CITIZEN for r in rows)

    def test_only_officials_hold_assignable_roles(self, session: Session, world: World) -> None:
        citizen = service.register_citizen(
            session,
            data=CitizenRegister(
                username="roleless",
                password=PASSWORD,
                display_name="孙八",
                id_number=make_id_number(seq="557"),
            ),
        )
        with pytest.raises(InvalidInput):
            service.set_roles(
                session,
                principal=world.principal(world.platform_admin),
                account_id=citizen.id,
                roles=[Role.APPROVER],
            )

    def test_citizen_role_cannot_be_given_to_an_official(
        self, session: Session, world: World
    ) -> None:
        with pytest.raises(InvalidInput):
            service.set_roles(
                session,
                principal=world.principal(world.platform_admin),
                account_id=world.city_a_official.id,
                roles=[Role.CITIZEN],
            )


class TestClients:
    def test_secret_is_returned_once_and_stored_hashed(
        self, session: Session, world: World
    ) -> None:
        client, secret = service.create_client(
            session,
            principal=world.principal(world.city_a_admin),
            data=ClientCreate(name="税务系统", department_id=world.city_a_market.id),
        )
        assert client.secret_hash is not None
        assert secret not in client.secret_hash
        assert authn.authenticate_client(session, client_id=client.client_id, client_secret=secret)

    def test_authorization_code_clients_need_a_redirect_uri(
        self, session: Session, world: World
    ) -> None:
        with pytest.raises(InvalidInput):
            service.create_client(
                session,
                principal=world.principal(world.city_a_admin),
                data=ClientCreate(
                    name="x",
                    department_id=world.city_a_market.id,
                    grant_types=["authorization_code"],
                ),
            )


class TestAuditTrail:
    def test_details_may_not_carry_secrets(self, session: Session) -> None:
        with pytest.raises(ValueError, match="password"):
            audit.record(session, AuditAction.LOGIN_FAILED, password="x")

    def test_events_are_scoped_to_the_subtree(self, session: Session, world: World) -> None:
        audit.record(session, AuditAction.LOGOUT, department_id=world.city_b_market.id)
        audit.record(session, AuditAction.LOGOUT, department_id=world.city_a_market.id)
        a_events, _ = audit.list_events(session, principal=world.principal(world.city_a_admin))
        assert {e.department_id for e in a_events} == {world.city_a_market.id}
        everything, _ = audit.list_events(
            session, principal=world.principal(world.platform_admin), action=AuditAction.LOGOUT
        )
        assert len(everything) == 2

    def test_client_addresses_are_kept_as_a_keyed_hash(self, session: Session) -> None:
        event = audit.record(session, AuditAction.LOGIN_FAILED, ip="203.0.113.9")
        assert event.ip_hash is not None
        assert "203.0.113.9" not in event.ip_hash
        assert event.ip_hash == audit.hash_ip("203.0.113.9")


class TestWebSessions:
    def test_start_resolve_and_end(self, session: Session, world: World) -> None:
        token = authn.start_web_session(session, world.city_a_official)
        principal = authn.principal_from_web_session(session, token)
        assert principal is not None
        assert principal.username == world.city_a_official.username
        authn.end_web_session(session, token)
        assert authn.principal_from_web_session(session, token) is None

    def test_unknown_cookie_is_anonymous(self, session: Session) -> None:
        assert authn.principal_from_web_session(session, "not-a-session") is None
