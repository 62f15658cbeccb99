"""The per-process caches of the booking path: account principals by bearer token and campaign
offers. A change made in this process drops them at once; a change made elsewhere (another
worker, the CLI) is simulated with a Core UPDATE, which no ORM event sees: the database still
refuses at once what the change forbids."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import PROBLEM_BASE, Unauthenticated
from govhub.identity import authn
from govhub.identity.models import Account, AccountKind, AccountRole
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.reservations import booking
from govhub.reservations.models import Campaign, Claim, QuotaShard, Reservation
from tests.reservations.helpers import add_citizen, as_json, campaign_data

Login = Callable[[Account], dict[str, str]]
BASE = "/api/v1/reservations"


def _type(response: Any) -> str:
    return str(response.json()["type"]).removeprefix(PROBLEM_BASE)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _remaining(session: Session) -> int:
    return session.scalar(select(func.sum(QuotaShard.remaining))) or 0


@pytest.fixture
def campaign(client: TestClient, login: Login, world: Any) -> dict[str, Any]:
    """A published FCFS campaign with a quota of 5 per slot."""
    response = client.post(
        f"{BASE}/campaigns",
        json=as_json(campaign_data(quota_per_slot=5)),
        headers=login(world.city_a_admin),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _book(
    client: TestClient, headers: dict[str, str], campaign: dict[str, Any], key: str | None = None
) -> Any:
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"{BASE}/campaigns/{campaign['id']}/bookings",
        json={"slot_id": campaign["slots"][0]["id"]},
        headers={**headers, **extra},
    )


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


class TestAccountPrincipals:
    def test_a_disabled_account_is_refused_by_the_next_call(
        self, client: TestClient, login: Login, session: Session, campaign: dict[str, Any]
    ) -> None:
        resident = add_citizen(session)
        headers = login(resident)
        assert client.get(f"{BASE}/mine", headers=headers).status_code == 200
        assert authn._account_principals.get(_token(headers), ttl=3600) is not None
        resident.is_active = False
        session.flush()
        refused = _book(client, headers, campaign)
        assert refused.status_code == 401
        assert _count(session, Claim) == 0

    def test_a_withdrawn_role_is_refused_by_the_next_call(
        self, client: TestClient, login: Login, session: Session, campaign: dict[str, Any]
    ) -> None:
        resident = add_citizen(session)
        headers = login(resident)
        assert client.get(f"{BASE}/mine", headers=headers).status_code == 200
        session.execute(delete(AccountRole).where(AccountRole.account_id == resident.id))
        session.flush()
        refused = _book(client, headers, campaign)
        assert refused.status_code == 403
        assert _count(session, Claim) == 0

    def test_an_account_disabled_elsewhere_is_refused_once_the_entry_ages(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        campaign: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(authn, "ACCOUNT_PRINCIPAL_SECONDS", 3600.0)
        resident = add_citizen(session)
        headers = login(resident)
        assert client.get(f"{BASE}/mine", headers=headers).status_code == 200
        session.execute(
            update(Account.__table__)  # type: ignore[arg-type]
            .where(Account.__table__.c.id == resident.id)
            .values(is_active=False)
        )
        # within its time to live the entry still answers; a shorter one rereads the row
        assert client.get(f"{BASE}/mine", headers=headers).status_code == 200
        monkeypatch.setattr(authn, "ACCOUNT_PRINCIPAL_SECONDS", 0.0)
        assert _book(client, headers, campaign).status_code == 401
        assert _count(session, Claim) == 0

    def test_an_expired_token_is_never_answered_from_the_cache(self, session: Session) -> None:
        principal = Principal(
            "r", "r", frozenset({Role.CITIZEN}), account_id=uuid.uuid4(), kind=AccountKind.CITIZEN
        )
        since = authn._account_principals.generation
        authn._account_principals.put(
            "fresh-token", (principal, time.time() + 60), since=since, ttl=60
        )
        authn._account_principals.put(
            "stale-token", (principal, time.time() - 1), since=since, ttl=60
        )
        assert authn.principal_from_token(session, "fresh-token") is principal
        with pytest.raises(Unauthenticated):
            authn.principal_from_token(session, "stale-token")


class TestOffers:
    def test_closing_in_this_process_drops_the_offer(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        world: Any,
        campaign: dict[str, Any],
    ) -> None:
        assert _book(client, login(add_citizen(session)), campaign).status_code == 201
        key = (uuid.UUID(campaign["id"]), uuid.UUID(campaign["slots"][0]["id"]))
        assert booking._offers.get(key, ttl=3600) is not None
        closed = client.post(
            f"{BASE}/campaigns/{campaign['id']}/close", headers=login(world.city_a_admin)
        )
        assert closed.status_code == 200
        assert booking._offers.get(key, ttl=3600) is None
        late = _book(client, login(add_citizen(session)), campaign)
        assert late.status_code == 409
        assert _type(late) == "reservation-campaign-closed"

    def test_a_campaign_closed_elsewhere_refuses_the_next_booking(
        self, client: TestClient, login: Login, session: Session, campaign: dict[str, Any]
    ) -> None:
        first = login(add_citizen(session))
        assert _book(client, first, campaign, key="first-booking-1").status_code == 201
        remaining = _remaining(session)
        table = Campaign.__table__
        session.execute(
            update(table)  # type: ignore[arg-type]
            .where(table.c.id == uuid.UUID(campaign["id"]))
            .values(closes_at=utcnow())
        )
        key = (uuid.UUID(campaign["id"]), uuid.UUID(campaign["slots"][0]["id"]))
        assert booking._offers.get(key, ttl=3600) is not None  # the cache still shows it open
        late = _book(client, login(add_citizen(session)), campaign)
        assert late.status_code == 409
        assert _type(late) == "reservation-campaign-closed"
        assert _count(session, Claim) == _count(session, Reservation) == 1
        assert _remaining(session) == remaining
        # a retry of the first booking still gets its first answer
        retry = _book(client, first, campaign, key="first-booking-1")
        assert retry.status_code == 201
        assert _count(session, Reservation) == 1

    def test_a_retry_after_closing_gets_the_first_answer(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        world: Any,
        campaign: dict[str, Any],
    ) -> None:
        headers = login(add_citizen(session))
        first = _book(client, headers, campaign, key="before-closing-1")
        assert first.status_code == 201
        admin = login(world.city_a_admin)
        assert client.post(f"{BASE}/campaigns/{campaign['id']}/close", headers=admin).is_success
        retry = _book(client, headers, campaign, key="before-closing-1")
        assert retry.status_code == 201
        assert retry.json() == first.json()
        other = _book(client, headers, campaign, key="another-key-22")
        assert other.status_code == 409
        assert _type(other) == "reservation-campaign-closed"
