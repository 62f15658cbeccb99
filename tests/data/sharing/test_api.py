"""Sharing API: the full round trip over HTTP, and bad input answered as problems."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.identity.models import Account
from govhub.ledger.models import LedgerPending
from tests.data.sharing.helpers import add_client, request_body, shareable
from tests.factories import World

Login = Callable[[Account], dict[str, str]]


class TestRoundTrip:
    def test_request_approve_read_and_revoke(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        resource = shareable(session, world)
        system = add_client(session, world.city_b_market)
        requester, owner = login(world.city_b_admin), login(world.city_a_admin)

        made = client.post(
            "/api/v1/sharing/requests", json=request_body(resource, system), headers=requester
        )
        assert made.status_code == 201, made.text
        request_id = made.json()["id"]
        assert made.json()["status"] == "pending"
        assert made.json()["grant_id"] is None

        incoming = client.get(
            "/api/v1/sharing/requests",
            params={"box": "incoming", "status": "pending"},
            headers=owner,
        )
        assert [r["id"] for r in incoming.json()] == [request_id]

        decided = client.post(
            f"/api/v1/sharing/requests/{request_id}/decision",
            json={"outcome": "approve", "fields": ["qymc", "fddbr"], "duration_days": 30},
            headers=owner,
        )
        assert decided.status_code == 200, decided.text
        grant_id = decided.json()["grant_id"]

        grant = client.get(f"/api/v1/sharing/grants/{grant_id}", headers=requester).json()
        assert grant["active"] is True
        assert grant["fields"] == ["qymc", "fddbr"]
        assert grant["field_policies"] == {"fddbr": {"treatment": "mask", "mask_style": "name"}}
        assert grant["client_id"] == system.client_id

        revoked = client.post(
            f"/api/v1/sharing/grants/{grant_id}/revocation",
            json={"reason": "项目结束"},
            headers=owner,
        )
        assert revoked.json()["active"] is False
        held = client.get(
            "/api/v1/sharing/grants", params={"active": "true"}, headers=requester
        ).json()
        assert held == []


class TestBadInput:
    def test_each_mistake_is_a_problem_and_creates_nothing(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        resource = shareable(session, world)
        system = add_client(session, world.city_b_market)
        headers = login(world.city_b_admin)
        good = request_body(resource, system)
        bad_bodies = [
            good | {"fields": []},
            good | {"duration_days": 366},
            good | {"purpose": "x"},
            good | {"fields": ["qymc' OR 1=1 --"]},
            good | {"row_filter": [{"field": "szqh", "op": "eq", "value": {"$ne": 1}}]},
            good | {"treatments": {"fddbr": {"treatment": "clear"}}},
            good | {"surprise": True},
            good | {"purpose": "核验\x00企业"},
            good | {"fields": ["salary"]},
        ]
        for body in bad_bodies:
            response = client.post("/api/v1/sharing/requests", json=body, headers=headers)
            assert response.status_code == 422, (body, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
        listed = client.get("/api/v1/sharing/requests", headers=headers).json()
        assert listed == []

    def test_foreign_and_missing_objects_look_alike(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        resource = shareable(session, world, "unconditional")
        system = add_client(session, world.city_b_market)
        made = client.post(
            "/api/v1/sharing/requests",
            json=request_body(resource, system),
            headers=login(world.city_b_admin),
        ).json()
        outsider = login(world.platform_admin)
        foreign = client.get(f"/api/v1/sharing/grants/{made['grant_id']}", headers=outsider)
        missing = client.get(
            "/api/v1/sharing/grants/00000000-0000-4000-8000-000000000000", headers=outsider
        )
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json()["detail"] == missing.json()["detail"]


class TestWithdrawal:
    def test_the_requester_withdraws_a_pending_request_once(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        resource = shareable(session, world)
        system = add_client(session, world.city_b_market)
        requester, owner = login(world.city_b_admin), login(world.city_a_admin)
        made = client.post(
            "/api/v1/sharing/requests", json=request_body(resource, system), headers=requester
        ).json()
        url = f"/api/v1/sharing/requests/{made['id']}/withdrawal"

        # The owner may decide but not withdraw: to the owner the withdrawal does not exist.
        assert client.post(url, headers=owner).status_code == 404
        withdrawn = client.post(url, headers=requester)
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json()["status"] == "withdrawn"
        again = client.post(url, headers=requester)
        assert again.status_code == 409
        assert again.headers["content-type"].startswith("application/problem+json")
        decided = client.post(
            f"/api/v1/sharing/requests/{made['id']}/decision",
            json={"outcome": "approve"},
            headers=owner,
        )
        assert decided.status_code == 409
        kinds = session.scalars(
            select(LedgerPending.kind).where(LedgerPending.subject == f"share-request:{made['id']}")
        ).all()
        assert sorted(kinds) == ["share_requested", "share_withdrawn"]
