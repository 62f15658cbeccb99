"""The reservations HTTP API: problem types, idempotency, codes, admission, authorization."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import PROBLEM_BASE
from govhub.identity.models import Account
from govhub.reservations import admission, codes
from govhub.reservations.models import Claim, Reservation
from govhub.reservations.settings import get_reservation_settings
from tests.factories import World
from tests.reservations.helpers import add_citizen, as_json, campaign_data, ledgered

Login = Callable[[Account], dict[str, str]]
BASE = "/api/v1/reservations"


def _type(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json()["type"]).removeprefix(PROBLEM_BASE)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def campaign(client: TestClient, login: Login, world: World) -> dict[str, Any]:
    """A published FCFS campaign with a quota of 2 per slot."""
    response = client.post(
        f"{BASE}/campaigns",
        json=as_json(campaign_data(quota_per_slot=2)),
        headers=login(world.city_a_admin),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _book(
    client: TestClient, headers: dict[str, str], campaign: dict[str, Any], slot: int = 0, **kw: Any
) -> Any:
    slot_id = campaign["slots"][slot]["id"]
    return client.post(
        f"{BASE}/campaigns/{campaign['id']}/bookings",
        json={"slot_id": slot_id},
        headers={**headers, **kw.pop("extra", {})},
        **kw,
    )


class TestBooking:
    def test_book_then_sold_out_then_already_reserved(
        self, client: TestClient, login: Login, session: Session, campaign: dict[str, Any]
    ) -> None:
        residents = [add_citizen(session) for _ in range(3)]
        for resident in residents[:2]:
            response = _book(client, login(resident), campaign)
            assert response.status_code == 201, response.text
            assert response.json()["pickup_code"].startswith(codes.PREFIX)
        sold_out = _book(client, login(residents[2]), campaign)
        assert sold_out.status_code == 409
        assert _type(sold_out) == "reservation-sold-out"
        again = _book(client, login(residents[0]), campaign, slot=1)
        assert again.status_code == 409
        assert _type(again) == "reservation-already-reserved"
        assert _count(session, Reservation) == 2

    def test_idempotency_key_returns_the_first_answer(
        self, client: TestClient, login: Login, session: Session, campaign: dict[str, Any]
    ) -> None:
        headers = login(add_citizen(session))
        key = {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}
        first = _book(client, headers, campaign, extra=key)
        retry = _book(client, headers, campaign, extra=key)
        assert first.status_code == retry.status_code == 201
        assert retry.json() == first.json()
        assert admission.booking_gate.active == 0  # every admitted request left the gate
        other = _book(client, headers, campaign, slot=1, extra=key)
        assert other.status_code == 422
        assert _type(other) == "idempotency-key-reused"
        bad = _book(client, headers, campaign, extra={"Idempotency-Key": "no spaces allowed"})
        assert bad.status_code == 422
        assert _count(session, Reservation) == 1

    @pytest.mark.parametrize(
        "body",
        [{}, {"slot_id": "not-a-uuid"}, {"slot_id": str(uuid.uuid4()), "extra": 1}, []],
    )
    def test_malformed_bodies_change_nothing(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        campaign: dict[str, Any],
        body: Any,
    ) -> None:
        response = client.post(
            f"{BASE}/campaigns/{campaign['id']}/bookings",
            json=body,
            headers=login(add_citizen(session)),
        )
        assert response.status_code == 422
        assert _type(response) == "invalid-input"
        assert _count(session, Claim) == 0

    def test_unknown_closed_and_ineligible(
        self, client: TestClient, login: Login, session: Session, world: World
    ) -> None:
        admin = login(world.city_a_admin)
        data = campaign_data(min_age=60)
        created = client.post(f"{BASE}/campaigns", json=as_json(data), headers=admin).json()
        young = login(add_citizen(session, born="20000101"))
        refused = _book(client, young, created)
        assert refused.status_code == 403
        assert _type(refused) == "reservation-not-eligible"
        unknown = client.post(
            f"{BASE}/campaigns/{uuid.uuid4()}/bookings",
            json={"slot_id": str(uuid.uuid4())},
            headers=young,
        )
        assert unknown.status_code == 404
        closed = client.post(f"{BASE}/campaigns/{created['id']}/close", headers=admin)
        assert closed.status_code == 200
        late = _book(client, login(add_citizen(session, born="19500101")), created)
        assert late.status_code == 409
        assert _type(late) == "reservation-campaign-closed"
        assert _count(session, Claim) == 0


class TestPickupCodes:
    def test_redeem_once_with_qr_and_offline_key(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        world: World,
        campaign: dict[str, Any],
    ) -> None:
        resident = add_citizen(session)
        booked = _book(client, login(resident), campaign).json()
        qr = client.get(f"{BASE}/mine/{booked['id']}/qr.svg", headers=login(resident))
        assert qr.status_code == 200
        assert qr.headers["content-type"].startswith("image/svg+xml")
        assert "<svg" in qr.text
        key = client.get(f"{BASE}/keys").json()
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
        claim = codes.verify(booked["pickup_code"], public_key=public)
        assert str(claim.reservation_id) == booked["id"]
        staff = login(world.county_a_official)
        body = {"code": booked["pickup_code"], "point_id": booked["point_id"]}
        first = client.post(f"{BASE}/redemptions", json=body, headers=staff)
        assert first.status_code == 200, first.text
        assert first.json()["reservation_id"] == booked["id"]
        reused = client.post(f"{BASE}/redemptions", json=body, headers=staff)
        assert reused.status_code == 409
        assert _type(reused) == "pickup-code-used"
        assert [k for k, _ in ledgered(session, f"reservation:{booked['id']}")] == [
            "pickup_redeemed"
        ]
        counts = client.get(
            f"{BASE}/campaigns/{campaign['id']}/counts", headers=login(world.city_a_admin)
        ).json()
        point = next(p for p in counts["points"] if p["point_id"] == booked["point_id"])
        assert (point["booked"], point["redeemed"]) == (1, 1)

    def test_forged_expired_and_misdirected_codes(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        world: World,
        campaign: dict[str, Any],
    ) -> None:
        booked = _book(client, login(add_citizen(session)), campaign).json()
        code = booked["pickup_code"]
        staff = login(world.county_a_official)
        flipped = code[:-3] + ("A" if code[-3] != "A" else "B") + code[-2:]
        expired = codes.issue(
            codes.PickupClaim(
                uuid.UUID(booked["id"]),
                uuid.UUID(booked["point_id"]),
                uuid.UUID(booked["window_id"]),
                utcnow() - timedelta(minutes=1),
            )
        )
        cases = {
            flipped: "pickup-code-invalid",
            "GHR1.short": "pickup-code-invalid",
            "not a code": "pickup-code-invalid",
            expired: "pickup-code-expired",
        }
        for bad, problem in cases.items():
            response = client.post(f"{BASE}/redemptions", json={"code": bad}, headers=staff)
            assert response.status_code == 422, bad
            assert _type(response) == problem
        other_point = campaign["slots"][1]["point_id"]
        wrong = client.post(
            f"{BASE}/redemptions", json={"code": code, "point_id": other_point}, headers=staff
        )
        assert wrong.status_code == 422
        outsider = client.post(
            f"{BASE}/redemptions", json={"code": code}, headers=login(world.city_b_admin)
        )
        assert outsider.status_code == 404
        assert session.get(Reservation, uuid.UUID(booked["id"])).redeemed_at is None  # type: ignore[union-attr]


class TestAdmission:
    def test_a_full_gate_answers_429_at_once(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        campaign: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        headers = login(add_citizen(session))
        monkeypatch.setenv("GOVHUB_RESERVATIONS_MAX_CONCURRENT_BOOKINGS", "0")
        get_reservation_settings.cache_clear()
        try:
            response = _book(client, headers, campaign)
        finally:
            monkeypatch.delenv("GOVHUB_RESERVATIONS_MAX_CONCURRENT_BOOKINGS")
            get_reservation_settings.cache_clear()
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"
        assert _type(response) == "rate-limited"
        assert admission.booking_gate.active == 0
        assert _count(session, Claim) == 0
        assert _book(client, headers, campaign).status_code == 201

    def test_a_full_gate_shows_browsers_a_page(
        self, client: TestClient, campaign: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("GOVHUB_RESERVATIONS_MAX_CONCURRENT_BOOKINGS", "0")
        get_reservation_settings.cache_clear()
        try:
            response = client.post(
                f"/reservations/campaigns/{campaign['id']}/bookings",
                data={"slot_id": campaign["slots"][0]["id"], "key": "k-12345678"},
                headers={"Accept": "text/html"},
            )
        finally:
            monkeypatch.delenv("GOVHUB_RESERVATIONS_MAX_CONCURRENT_BOOKINGS")
            get_reservation_settings.cache_clear()
        assert response.status_code == 429
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["retry-after"] == "1"
        assert admission.booking_gate.active == 0

    def test_per_identity_limit(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        campaign: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        headers = login(add_citizen(session))
        monkeypatch.setenv("GOVHUB_RESERVATIONS_PER_IDENTITY_PER_MINUTE", "2")
        get_reservation_settings.cache_clear()
        try:
            statuses = [_book(client, headers, campaign).status_code for _ in range(3)]
        finally:
            monkeypatch.delenv("GOVHUB_RESERVATIONS_PER_IDENTITY_PER_MINUTE")
            get_reservation_settings.cache_clear()
        assert statuses == [201, 409, 429]

    def test_the_gate_admits_up_to_its_limit(self) -> None:
        gate = admission.ConcurrencyGate()
        assert gate.try_enter(2)
        assert gate.try_enter(2)
        assert not gate.try_enter(2)
        gate.leave()
        assert gate.try_enter(2)
        assert gate.active == 2


class TestAuthorization:
    def test_anonymous(self, client: TestClient, campaign: dict[str, Any]) -> None:
        cid = campaign["id"]
        slot = {"slot_id": campaign["slots"][0]["id"]}
        for method, path, body in [
            ("POST", f"{BASE}/campaigns", as_json(campaign_data())),
            ("POST", f"{BASE}/campaigns/{cid}/bookings", slot),
            ("POST", f"{BASE}/campaigns/{cid}/registrations", slot),
            ("POST", f"{BASE}/campaigns/{cid}/close", None),
            ("POST", f"{BASE}/campaigns/{cid}/draw", None),
            ("GET", f"{BASE}/campaigns/{cid}/counts", None),
            ("GET", f"{BASE}/mine", None),
            ("GET", f"{BASE}/mine/registrations", None),
            ("GET", f"{BASE}/mine/{uuid.uuid4()}/qr.svg", None),
            ("POST", f"{BASE}/redemptions", {"code": "GHR1.x"}),
        ]:
            response = client.request(method, path, json=body)
            assert response.status_code == 401, (method, path)
        # campaigns and the key are public
        assert client.get(f"{BASE}/campaigns/{cid}").status_code == 200
        assert client.get(f"{BASE}/keys").status_code == 200

    def test_roles(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        world: World,
        campaign: dict[str, Any],
    ) -> None:
        cid = campaign["id"]
        slot = {"slot_id": campaign["slots"][0]["id"]}
        citizen = login(add_citizen(session))
        official = login(world.city_a_official)
        other_city = login(world.city_b_admin)
        # officials do not book; citizens do not manage or redeem
        assert (
            client.post(f"{BASE}/campaigns/{cid}/bookings", json=slot, headers=official).status_code
            == 403
        )
        for headers in (citizen, official):
            assert (
                client.post(
                    f"{BASE}/campaigns", json=as_json(campaign_data()), headers=headers
                ).status_code
                == 403
            )
            assert client.get(f"{BASE}/campaigns/{cid}/counts", headers=headers).status_code == 403
            assert (
                client.post(
                    f"{BASE}/redemptions", json={"code": "GHR1.x"}, headers=headers
                ).status_code
                == 403
            )
        # another city's administrator cannot see or steer this department's campaign
        assert client.get(f"{BASE}/campaigns/{cid}/counts", headers=other_city).status_code == 404
        assert client.post(f"{BASE}/campaigns/{cid}/close", headers=other_city).status_code == 404
        assert client.post(f"{BASE}/campaigns/{cid}/draw", headers=other_city).status_code == 404
        # nobody reads another resident's QR code
        booked = _book(client, citizen, campaign).json()
        other = login(add_citizen(session))
        assert client.get(f"{BASE}/mine/{booked['id']}/qr.svg", headers=other).status_code == 404
        assert client.get(f"{BASE}/mine", headers=other).json() == []
        assert [r["id"] for r in client.get(f"{BASE}/mine", headers=citizen).json()] == [
            booked["id"]
        ]


class TestLotteryApi:
    def test_register_close_draw_and_verify(
        self, client: TestClient, login: Login, session: Session, world: World
    ) -> None:
        admin = login(world.city_a_admin)
        data = as_json(campaign_data(mode="lottery", quota_per_slot=1))
        created = client.post(f"{BASE}/campaigns", json=data, headers=admin).json()
        slot = {"slot_id": created["slots"][0]["id"]}
        booking = client.post(
            f"{BASE}/campaigns/{created['id']}/bookings",
            json=slot,
            headers=login(add_citizen(session)),
        )
        assert booking.status_code == 409
        assert _type(booking) == "reservation-wrong-mode"
        ids = []
        for _ in range(3):
            response = client.post(
                f"{BASE}/campaigns/{created['id']}/registrations",
                json=slot,
                headers=login(add_citizen(session)),
            )
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        early = client.post(f"{BASE}/campaigns/{created['id']}/draw", headers=admin)
        assert early.status_code == 409
        assert (
            client.post(f"{BASE}/campaigns/{created['id']}/close", headers=admin).status_code == 200
        )
        drawn = client.post(f"{BASE}/campaigns/{created['id']}/draw", headers=admin)
        assert drawn.status_code == 200, drawn.text
        public = client.get(f"{BASE}/campaigns/{created['id']}/draw").json()
        assert public == drawn.json()
        assert sorted(str(e["registration_id"]) for e in public["registrations"]) == sorted(ids)
        assert len(public["winners"]) == 1
