"""The payments API: fee orders, checkout, callbacks, refunds and reconciliation over HTTP,
with its refusals (problem+json, nothing changed)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.identity.models import Account
from govhub.payments.models import PaymentOrder
from govhub.payments.provider import sign
from tests.factories import World
from tests.payments.conftest import Cast
from tests.payments.helpers import signed

Login = Callable[[Account], dict[str, str]]
BASE = "/api/v1/payments"


def _body(cast: Cast, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payer_id": str(cast.payer.id),
        "subject": f"application:{uuid.uuid4()}",
        "item": "营业执照工本费",
        "amount_fen": 5000,
    }
    body.update(changes)
    return body


def _orders(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PaymentOrder)) or 0


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def collector(cast: Cast, login: Login) -> dict[str, str]:
    """City A finance's bearer header."""
    return login(cast.finance_a)


@pytest.fixture
def payer(cast: Cast, login: Login) -> dict[str, str]:
    """The payer's bearer header."""
    return login(cast.payer)


def _create(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{BASE}/orders", headers=headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


class TestOrderFlow:
    def test_raise_checkout_pay_by_callback_and_refund(
        self,
        client: TestClient,
        session: Session,
        cast: Cast,
        collector: dict[str, str],
        payer: dict[str, str],
    ) -> None:
        order = _create(client, collector, _body(cast))
        assert order["status"] == "pending"
        listed = client.get(f"{BASE}/mine", headers=payer).json()
        assert [o["id"] for o in listed["items"]] == [order["id"]]
        checkout = client.post(f"{BASE}/mine/{order['id']}/checkout", headers=payer)
        assert checkout.json()["cashier_url"] == f"/payments/cashier/{order['id']}"
        stored = session.get(PaymentOrder, uuid.UUID(order["id"]))
        assert stored is not None
        callback = signed(stored)
        answer = client.post(
            f"{BASE}/callbacks/sandbox",
            json={"notification": callback.notification, "signature": callback.signature},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "paid"
        refund = client.post(
            f"{BASE}/orders/{order['id']}/refunds",
            headers={**collector, "Idempotency-Key": "refund-api-1"},
            json={"amount_fen": 1500, "reason": "多收退还"},
        )
        assert refund.status_code == 201, refund.text
        again = client.post(
            f"{BASE}/orders/{order['id']}/refunds",
            headers={**collector, "Idempotency-Key": "refund-api-1"},
            json={"amount_fen": 1500, "reason": "多收退还"},
        )
        assert again.json()["id"] == refund.json()["id"]
        seen = client.get(f"{BASE}/mine/{order['id']}", headers=payer).json()
        assert (seen["status"], seen["refunded_fen"]) == ("partially_refunded", 1500)
        refunds = client.get(f"{BASE}/orders/{order['id']}/refunds", headers=collector).json()
        assert [r["amount_fen"] for r in refunds] == [1500]
        # The paid order can be neither paid again nor cancelled.
        _problem(client.post(f"{BASE}/mine/{order['id']}/checkout", headers=payer), 409)
        _problem(client.post(f"{BASE}/orders/{order['id']}/cancel", headers=collector), 409)

    def test_double_submission_with_one_key_returns_the_first_order(
        self, client: TestClient, session: Session, cast: Cast, collector: dict[str, str]
    ) -> None:
        body = _body(cast)
        headers = {**collector, "Idempotency-Key": "submit-000001"}
        first = client.post(f"{BASE}/orders", headers=headers, json=body)
        second = client.post(f"{BASE}/orders", headers=headers, json=body)
        assert first.status_code == second.status_code == 201
        assert first.json()["id"] == second.json()["id"]
        count = _orders(session)
        other = client.post(f"{BASE}/orders", headers=headers, json={**body, "amount_fen": 1})
        assert _problem(other, 409)["type"].endswith("payment-idempotency-key-reused")
        no_key = client.post(f"{BASE}/orders", headers=collector, json=body)
        assert _problem(no_key, 409)["type"].endswith("payment-subject-already-charged")
        assert _orders(session) == count

    def test_a_department_lists_its_own_orders_only(
        self,
        client: TestClient,
        cast: Cast,
        world: World,
        collector: dict[str, str],
        login: Login,
    ) -> None:
        order = _create(client, collector, _body(cast))
        mine = client.get(f"{BASE}/orders", headers=collector, params={"status": "pending"})
        assert [o["id"] for o in mine.json()["items"]] == [order["id"]]
        other = login(world.city_b_admin)
        assert client.get(f"{BASE}/orders", headers=other).json()["total"] == 0
        foreign = client.get(f"{BASE}/orders/{order['id']}", headers=other)
        missing = client.get(f"{BASE}/orders/{uuid.uuid4()}", headers=other)
        assert _problem(foreign, 404)["detail"] == _problem(missing, 404)["detail"]

    def test_another_payer_cannot_see_or_pay(
        self, client: TestClient, cast: Cast, collector: dict[str, str], login: Login
    ) -> None:
        order = _create(client, collector, _body(cast))
        stranger = login(cast.other_payer)
        _problem(client.get(f"{BASE}/mine/{order['id']}", headers=stranger), 404)
        _problem(client.post(f"{BASE}/mine/{order['id']}/checkout", headers=stranger), 404)
        _problem(client.post(f"{BASE}/mine/{order['id']}/cancel", headers=stranger), 404)


class TestBadInput:
    @pytest.mark.parametrize(
        "changes",
        [
            {"amount_fen": 0},
            {"amount_fen": -100},
            {"amount_fen": 10_000_000_001},
            {"amount_fen": 12.5},
            {"amount_fen": "5000"},
            {"subject": "no colon"},
            {"item": ""},
            {"payer_id": "nobody"},
            {"extra": 1},
            {"expires_in_minutes": 0},
        ],
    )
    def test_bad_orders_are_refused_and_change_nothing(
        self,
        client: TestClient,
        session: Session,
        cast: Cast,
        collector: dict[str, str],
        changes: dict[str, Any],
    ) -> None:
        before = _orders(session)
        response = client.post(f"{BASE}/orders", headers=collector, json=_body(cast, **changes))
        _problem(response, 422)
        assert _orders(session) == before

    def test_malformed_json_is_refused(
        self, client: TestClient, session: Session, collector: dict[str, str]
    ) -> None:
        before = _orders(session)
        response = client.post(
            f"{BASE}/orders",
            headers={**collector, "content-type": "application/json"},
            content=b'{"payer_id": ',
        )
        _problem(response, 422)
        callback = client.post(
            f"{BASE}/callbacks/sandbox",
            headers={"content-type": "application/json"},
            content=b"not json",
        )
        _problem(callback, 422)
        assert _orders(session) == before

    def test_an_unknown_payer_is_refused(
        self, client: TestClient, cast: Cast, collector: dict[str, str]
    ) -> None:
        response = client.post(
            f"{BASE}/orders", headers=collector, json=_body(cast, payer_id=str(uuid.uuid4()))
        )
        assert _problem(response, 422)["errors"][0]["field"] == "payer_id"

    def test_bad_callbacks_answer_4xx_and_change_nothing(
        self,
        client: TestClient,
        session: Session,
        cast: Cast,
        collector: dict[str, str],
        payer: dict[str, str],
    ) -> None:
        order = _create(client, collector, _body(cast))
        stored = session.get(PaymentOrder, uuid.UUID(order["id"]))
        assert stored is not None
        url = f"{BASE}/callbacks/sandbox"
        good = signed(stored)
        forged = {"notification": good.notification, "signature": "f" * 64}
        assert _problem(client.post(url, json=forged), 400)["type"].endswith(
            "payment-callback-rejected"
        )
        stale = signed(stored, timestamp=int(time.time()) - 3600)
        _problem(client.post(url, json=_envelope(stale)), 400)
        wrong = signed(stored, amount_fen=1)
        assert _problem(client.post(url, json=_envelope(wrong)), 422)["type"].endswith(
            "payment-amount-mismatch"
        )
        text = json.dumps({"order_id": order["id"]})
        _problem(client.post(url, json={"notification": text, "signature": sign(text)}), 400)
        _problem(client.post(url, json={"notification": text, "signature": "xyz"}), 422)
        _problem(client.post(f"{BASE}/callbacks/paypal", json=_envelope(good)), 404)
        seen = client.get(f"{BASE}/mine/{order['id']}", headers=payer).json()
        assert seen["status"] == "pending"
        assert client.post(url, json=_envelope(good)).status_code == 200
        replay = client.post(url, json=_envelope(good))
        assert _problem(replay, 409)["type"].endswith("payment-callback-replayed")
        session.refresh(stored)
        assert stored.paid_at is not None
        assert stored.paid_at <= utcnow()

    def test_refunds_beyond_the_paid_amount_are_refused(
        self, client: TestClient, cast: Cast, collector: dict[str, str], session: Session
    ) -> None:
        order = _create(client, collector, _body(cast, amount_fen=300))
        url = f"{BASE}/orders/{order['id']}/refunds"
        unpaid = client.post(url, headers=collector, json={"amount_fen": 1, "reason": "x"})
        _problem(unpaid, 409)
        stored = session.get(PaymentOrder, uuid.UUID(order["id"]))
        assert stored is not None
        assert client.post(f"{BASE}/callbacks/sandbox", json=_envelope(signed(stored))).is_success
        too_much = client.post(url, headers=collector, json={"amount_fen": 301, "reason": "x"})
        assert _problem(too_much, 409)["type"].endswith("payment-refund-not-possible")
        negative = client.post(url, headers=collector, json={"amount_fen": -1, "reason": "x"})
        _problem(negative, 422)
        session.refresh(stored)
        assert (stored.status.value, stored.refunded_fen) == ("paid", 0)


class TestReconciliationApi:
    def test_finance_runs_and_reads_a_days_report(
        self, client: TestClient, cast: Cast, collector: dict[str, str]
    ) -> None:
        day = utcnow().date().isoformat()
        missing = client.get(f"{BASE}/reconciliations/{day}", headers=collector)
        _problem(missing, 404)
        run = client.post(f"{BASE}/reconciliations", headers=collector, json={"day": day})
        assert run.status_code == 200, run.text
        assert run.json()["differences"] == 0
        read = client.get(f"{BASE}/reconciliations/{day}", headers=collector)
        assert read.json()["day"] == day
        _problem(client.post(f"{BASE}/reconciliations", headers=collector, json={"day": "x"}), 422)


def _envelope(callback: Any) -> dict[str, str]:
    return {"notification": callback.notification, "signature": callback.signature}
