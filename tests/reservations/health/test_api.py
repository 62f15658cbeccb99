"""Health codes over HTTP: colors from rules over published data, ledgered changes,
checkpoint verification, rules kept per department, and clear refusals."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.errors import PROBLEM_BASE, PermissionDenied
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import Resource
from govhub.data.catalog.schemas import ResourceCreate
from govhub.data.sharing import service as sharing_service
from govhub.identity import service as identity_service
from govhub.identity.models import Account
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.ledger.models import LedgerPending
from govhub.ledger.schemas import EntryKind
from govhub.reservations.health import rules, service, tokens
from govhub.reservations.health.models import HealthCodeState, HealthColor, HealthRule
from tests.data.helpers import resource_body
from tests.data.sharing.helpers import make_request
from tests.factories import World
from tests.reservations.health.helpers import (
    TEST_FIELDS,
    TRAVEL_FIELDS,
    days_ago,
    positive_rule,
    publish,
    travel_rule,
)
from tests.reservations.helpers import add_citizen

Login = Callable[[Account], dict[str, str]]
BASE = "/api/v1/reservations/health"


def _type(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json()["type"]).removeprefix(PROBLEM_BASE)


def _ledgered(session: Session, kind: EntryKind) -> list[LedgerPending]:
    return list(session.scalars(select(LedgerPending).where(LedgerPending.kind == kind.value)))


def _rules(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(HealthRule)) or 0


@pytest.fixture
def resident(session: Session) -> Account:
    return add_citizen(session)


@pytest.fixture
def id_number(session: Session, resident: Account) -> str:
    number = identity_service.citizen_id_number(session, resident.id)
    assert number is not None
    return number


@pytest.fixture
def tests_resource(session: Session, world: World, id_number: str) -> Resource:
    """City A's test results: the resident tested positive three days ago."""
    return publish(
        session,
        world.city_a_admin,
        fields=TEST_FIELDS,
        rows=[(id_number, days_ago(3), "阳性"), ("330102199001011234", days_ago(1), "阴性")],
    )


@pytest.fixture
def travel_resource(session: Session, world: World, id_number: str) -> Resource:
    """City A's travel records: the resident arrived from a risk area two days ago."""
    return publish(
        session, world.city_a_admin, fields=TRAVEL_FIELDS, rows=[(id_number, days_ago(2), "是")]
    )


def _add_rule(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    response = client.post(f"{BASE}/rules", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


class TestMyCode:
    def test_no_rule_gives_green_ledgered_once(
        self, client: TestClient, login: Login, session: Session, resident: Account
    ) -> None:
        first = client.get(f"{BASE}/code", headers=login(resident))
        assert first.status_code == 200, first.text
        code = first.json()
        assert code["color"] == "green"
        assert code["reason"] is None
        assert code["token"].startswith("GHHC1.")
        again = client.get(f"{BASE}/code", headers=login(resident)).json()
        assert again["subject"] == code["subject"]
        entries = _ledgered(session, EntryKind.HEALTH_CODE_COLOR_CHANGED)
        assert [e.subject for e in entries] == [f"health-code:{code['subject']}"]

    def test_rules_decide_the_color_by_priority(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        world: World,
        resident: Account,
        id_number: str,
        tests_resource: Resource,
        travel_resource: Resource,
    ) -> None:
        admin = login(world.city_a_admin)
        travel = _add_rule(client, admin, travel_rule(travel_resource.id))
        assert client.get(f"{BASE}/code", headers=login(resident)).json()["color"] == "yellow"
        _add_rule(client, admin, positive_rule(tests_resource.id))
        code = client.get(f"{BASE}/code", headers=login(resident)).json()
        assert (code["color"], code["reason"]) == ("red", "14天内核酸阳性")
        # the travel rule tried first now: yellow again
        client.patch(f"{BASE}/rules/{travel['id']}", json={"priority": 1}, headers=admin)
        assert client.get(f"{BASE}/code", headers=login(resident)).json()["color"] == "yellow"
        changes = _ledgered(session, EntryKind.HEALTH_CODE_COLOR_CHANGED)
        assert len(changes) == 3  # yellow, red, yellow
        assert all(id_number not in e.subject for e in changes)
        assert _ledgered(session, EntryKind.DATA_ACCESS) == []  # its own data: no exchange
        state = session.get(HealthCodeState, resident.id)
        assert state is not None
        assert state.color is HealthColor.YELLOW

    def test_old_data_and_other_people_do_not_count(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        world: World,
        resident: Account,
        id_number: str,
    ) -> None:
        old = [(id_number, days_ago(20), "阳性")]
        resource = publish(session, world.city_a_admin, fields=TEST_FIELDS, rows=old)
        _add_rule(client, login(world.city_a_admin), positive_rule(resource.id))
        for account in (resident, add_citizen(session)):
            assert client.get(f"{BASE}/code", headers=login(account)).json()["color"] == "green"

    def test_an_absent_rule_fires_without_a_recent_negative_test(
        self,
        client: TestClient,
        login: Login,
        world: World,
        resident: Account,
        tests_resource: Resource,
    ) -> None:
        body = positive_rule(
            tests_resource.id, match="absent", match_value="阴性", color="yellow", within_days=7
        )
        _add_rule(client, login(world.city_a_admin), body)
        assert client.get(f"{BASE}/code", headers=login(resident)).json()["color"] == "yellow"

    def test_the_qr_code_is_svg(self, client: TestClient, login: Login, resident: Account) -> None:
        response = client.get(f"{BASE}/code/qr.svg", headers=login(resident))
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/svg+xml"
        assert response.headers["cache-control"] == "no-store"
        assert "<svg" in response.text

    def test_an_account_without_an_id_number_is_told(
        self, client: TestClient, login: Login, session: Session, resident: Account
    ) -> None:
        resident.id_number_encrypted = None
        session.flush()
        response = client.get(f"{BASE}/code", headers=login(resident))
        assert response.status_code == 409
        assert _type(response) == "health-no-identity"


class TestVerify:
    def test_a_checkpoint_verifies_a_fresh_code(
        self, client: TestClient, login: Login, world: World, resident: Account
    ) -> None:
        token = client.get(f"{BASE}/code", headers=login(resident)).json()["token"]
        response = client.post(
            f"{BASE}/verify", json={"token": token}, headers=login(world.county_a_official)
        )
        assert response.status_code == 200, response.text
        assert response.json()["valid"] is True
        assert response.json()["color"] == "green"

    def test_the_published_key_set_verifies_offline(
        self, client: TestClient, login: Login, resident: Account
    ) -> None:
        document = client.get(f"{BASE}/jwks.json").json()
        token = client.get(f"{BASE}/code", headers=login(resident)).json()["token"]
        claim = tokens.OfflineVerifier.from_jwks(document).verify(token)
        assert claim.color is HealthColor.GREEN

    @pytest.mark.parametrize(
        ("token", "problem"),
        [
            ("garbage", "health-code-invalid"),
            (tokens.issue("00" * 16, HealthColor.GREEN, now=1_000_000), "health-code-expired"),
            (tokens.issue("00" * 16, HealthColor.GREEN)[:-3] + "AAA", "health-code-invalid"),
            ("GHHC1." + "x" * 300, "health-code-invalid"),
        ],
    )
    def test_bad_codes_are_refused(
        self, client: TestClient, login: Login, world: World, token: str, problem: str
    ) -> None:
        response = client.post(
            f"{BASE}/verify", json={"token": token}, headers=login(world.county_a_official)
        )
        assert response.status_code == 422
        assert _type(response) == problem

    def test_malformed_bodies_are_refused(
        self, client: TestClient, login: Login, world: World
    ) -> None:
        headers = login(world.county_a_official)
        for body in ({}, {"token": "x" * 401}, {"token": 5}, {"token": "a", "extra": 1}):
            response = client.post(f"{BASE}/verify", json=body, headers=headers)
            assert response.status_code == 422, body
            assert response.headers["content-type"].startswith("application/problem+json")


class TestRules:
    def test_rules_stay_within_their_department_and_are_ledgered(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        world: World,
        tests_resource: Resource,
    ) -> None:
        a, b = login(world.city_a_admin), login(world.city_b_admin)
        rule = _add_rule(client, a, positive_rule(tests_resource.id))
        assert [r["id"] for r in client.get(f"{BASE}/rules", headers=a).json()] == [rule["id"]]
        assert client.get(f"{BASE}/rules", headers=b).json() == []
        every = client.get(f"{BASE}/rules", headers=login(world.platform_admin)).json()
        assert [r["id"] for r in every] == [rule["id"]]
        for method in ("GET", "PATCH", "DELETE"):
            response = client.request(
                method, f"{BASE}/rules/{rule['id']}", headers=b, json={"name": "x"}
            )
            assert response.status_code == 404, method
        changed = client.patch(
            f"{BASE}/rules/{rule['id']}", json={"within_days": 7, "active": False}, headers=a
        )
        assert changed.json()["within_days"] == 7
        assert changed.json()["active"] is False
        assert client.delete(f"{BASE}/rules/{rule['id']}", headers=a).status_code == 204
        assert _rules(session) == 0
        kinds = _ledgered(session, EntryKind.HEALTH_RULE_CHANGED)
        assert [e.subject for e in kinds] == [f"health-rule:{rule['id']}"] * 3

    def test_another_departments_data_needs_a_grant(
        self, client: TestClient, login: Login, session: Session, world: World,
        tests_resource: Resource,
    ) -> None:  # fmt: skip
        response = client.post(
            f"{BASE}/rules",
            json=positive_rule(tests_resource.id),
            headers=login(world.city_b_admin),
        )
        assert response.status_code == 422
        assert _type(response) == "health-rule-invalid"
        assert _rules(session) == 0

    @pytest.mark.parametrize(
        "change",
        [
            {"color": "green"},
            {"match_value": None},
            {"id_field": "sfzhm; DROP TABLE x"},
            {"date_field": "nope"},
            {"within_days": 0},
            {"within_days": 1000},
            {"priority": -1},
            {"match": "sometimes"},
            {"unknown": 1},
            {"resource_id": "00000000-0000-0000-0000-000000000000"},
            {"resource_id": "not-a-uuid"},
        ],
    )
    def test_malformed_rules_change_nothing(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        world: World,
        tests_resource: Resource,
        change: dict[str, Any],
    ) -> None:
        body = {**positive_rule(tests_resource.id), **change}
        response = client.post(f"{BASE}/rules", json=body, headers=login(world.city_a_admin))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert _rules(session) == 0
        assert _ledgered(session, EntryKind.HEALTH_RULE_CHANGED) == []

    def test_bad_updates_change_nothing(
        self, client: TestClient, login: Login, world: World, tests_resource: Resource
    ) -> None:
        a = login(world.city_a_admin)
        rule = _add_rule(client, a, positive_rule(tests_resource.id))
        for body in ({"color": "green"}, {"name": None}, {"id_field": "x"}, {"within_days": 0}):
            response = client.patch(f"{BASE}/rules/{rule['id']}", json=body, headers=a)
            assert response.status_code == 422, body
        assert client.get(f"{BASE}/rules/{rule['id']}", headers=a).json() == rule


def test_codes_expire_after_five_minutes() -> None:
    now = int(time.time())
    claim = tokens.platform_verifier().verify(tokens.issue("ab" * 16, HealthColor.RED, now=now))
    assert claim.expires_at == now + 300


class TestGrantedData:
    def test_a_grant_lets_another_department_write_rules_until_revoked(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        world: World,
        resident: Account,
        tests_resource: Resource,
    ) -> None:
        request = make_request(
            session, world, world.city_b_admin, tests_resource,
            fields=["sfzhm", "jcrq", "jcjg"], row_filter=[],
        )  # fmt: skip
        grant = sharing_service.grant_of(session, request)
        assert grant is not None
        _add_rule(client, login(world.city_b_admin), positive_rule(tests_resource.id))
        code = client.get(f"{BASE}/code", headers=login(resident)).json()
        assert code["color"] == "red"
        reads = _ledgered(session, EntryKind.DATA_ACCESS)
        assert [(e.subject, e.department_id) for e in reads] == [
            (f"grant:{grant.id}", world.city_a_market.id)
        ]
        sharing_service.revoke(
            session, principal=world.principal(world.city_a_admin), grant_id=grant.id,
            reason="用途已结束",
        )  # fmt: skip
        session.flush()
        assert client.get(f"{BASE}/code", headers=login(resident)).json()["color"] == "green"
        assert len(_ledgered(session, EntryKind.DATA_ACCESS)) == 1  # the revoked grant is not read

    def test_a_grant_must_cover_every_field_the_rule_reads(
        self, client: TestClient, login: Login, session: Session, world: World,
        tests_resource: Resource,
    ) -> None:  # fmt: skip
        make_request(
            session, world, world.city_b_admin, tests_resource,
            fields=["sfzhm", "jcrq"], row_filter=[],
        )  # fmt: skip
        response = client.post(
            f"{BASE}/rules",
            json=positive_rule(tests_resource.id),
            headers=login(world.city_b_admin),
        )
        assert response.status_code == 422
        assert _rules(session) == 0


class TestServiceEdges:
    def test_a_rule_without_a_match_field_counts_any_recent_row(
        self, client: TestClient, login: Login, world: World, resident: Account,
        travel_resource: Resource,
    ) -> None:  # fmt: skip
        body = travel_rule(travel_resource.id, match_field=None, match_value=None)
        _add_rule(client, login(world.city_a_admin), body)
        assert client.get(f"{BASE}/code", headers=login(resident)).json()["color"] == "yellow"

    def test_a_resource_without_data_cannot_carry_a_rule(
        self, client: TestClient, login: Login, session: Session, world: World
    ) -> None:
        empty = catalog_service.create_resource(
            session,
            principal=world.principal(world.city_a_admin),
            data=ResourceCreate.model_validate(resource_body(fields=TEST_FIELDS)),
        )
        response = client.post(
            f"{BASE}/rules", json=positive_rule(empty.id), headers=login(world.city_a_admin)
        )
        assert response.status_code == 422
        assert "no published data" in response.json()["detail"]

    def test_a_value_cannot_be_set_on_a_rule_matching_no_field(
        self, client: TestClient, login: Login, world: World, travel_resource: Resource
    ) -> None:
        headers = login(world.city_a_admin)
        body = travel_rule(travel_resource.id, match_field=None, match_value=None)
        rule = _add_rule(client, headers, body)
        response = client.patch(
            f"{BASE}/rules/{rule['id']}", json={"match_value": "是"}, headers=headers
        )
        assert response.status_code == 422

    def test_rules_and_codes_need_a_department_and_an_account(self, session: Session) -> None:
        nobody = Principal(username="x", display_name="x", roles=frozenset({Role.DEPT_ADMIN}))
        with pytest.raises(PermissionDenied):
            rules.list_rules(session, principal=nobody)
        resident = Principal(username="y", display_name="y", roles=frozenset({Role.CITIZEN}))
        with pytest.raises(PermissionDenied):
            service.my_code(session, principal=resident)
