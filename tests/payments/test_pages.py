"""The sandbox cashier page: a payer pays (or fails to pay) their own order in the browser."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.payments import service
from govhub.payments.models import OrderStatus
from tests.browsing import SignIn, csrf_from
from tests.payments.conftest import Cast
from tests.payments.helpers import raise_order


class TestCashier:
    def test_the_payer_pays_and_sees_the_receipt(
        self, session: Session, cast: Cast, sign_in: SignIn
    ) -> None:
        order = raise_order(session, cast.collector, cast.payer, amount_fen=123456)
        browser = sign_in(cast.payer)
        page = browser.get(f"/payments/cashier/{order.id}")
        assert page.status_code == 200
        assert "1,234.56" in page.text
        assert order.subject in page.text
        token = csrf_from(page.text)
        done = browser.post(
            f"/payments/cashier/{order.id}", data={"action": "pay", "csrf_token": token}
        )
        assert done.status_code == 303
        assert done.headers["location"].endswith("outcome=paid")
        session.refresh(order)
        assert order.status is OrderStatus.PAID
        assert service.is_paid(session, order.subject)
        receipt = browser.get(done.headers["location"])
        assert 'role="status"' in receipt.text
        assert 'name="action"' not in receipt.text

    def test_a_failed_payment_leaves_it_payable(
        self, session: Session, cast: Cast, sign_in: SignIn
    ) -> None:
        order = raise_order(session, cast.collector, cast.payer)
        browser = sign_in(cast.payer)
        token = csrf_from(browser.get(f"/payments/cashier/{order.id}").text)
        done = browser.post(
            f"/payments/cashier/{order.id}", data={"action": "fail", "csrf_token": token}
        )
        assert done.headers["location"].endswith("outcome=failed")
        session.refresh(order)
        assert order.status is OrderStatus.PENDING
        again = browser.get(done.headers["location"])
        assert 'role="alert"' in again.text
        assert 'name="action"' in again.text

    def test_no_csrf_token_changes_nothing(
        self, session: Session, cast: Cast, sign_in: SignIn
    ) -> None:
        order = raise_order(session, cast.collector, cast.payer)
        browser = sign_in(cast.payer)
        refused = browser.post(f"/payments/cashier/{order.id}", data={"action": "pay"})
        assert refused.status_code == 403
        session.refresh(order)
        assert order.status is OrderStatus.PENDING

    def test_a_paid_order_is_not_charged_twice(
        self, session: Session, cast: Cast, sign_in: SignIn
    ) -> None:
        order = raise_order(session, cast.collector, cast.payer)
        browser = sign_in(cast.payer)
        token = csrf_from(browser.get(f"/payments/cashier/{order.id}").text)
        form = {"action": "pay", "csrf_token": token}
        browser.post(f"/payments/cashier/{order.id}", data=form)
        session.refresh(order)
        txn = order.provider_txn_id
        second = browser.post(f"/payments/cashier/{order.id}", data=form)
        assert second.status_code == 303
        assert not second.headers["location"].endswith("outcome=paid")
        session.refresh(order)
        assert order.provider_txn_id == txn

    def test_another_payer_and_the_anonymous_are_kept_out(
        self, session: Session, cast: Cast, sign_in: SignIn, browser: TestClient
    ) -> None:
        order = raise_order(session, cast.collector, cast.payer)
        anonymous = browser.get(f"/payments/cashier/{order.id}")
        assert anonymous.status_code in {303, 401}
        stranger = sign_in(cast.other_payer)
        page = stranger.get(f"/payments/cashier/{order.id}")
        assert page.status_code == 404
        assert re.search(r"1,?50\.00|50\.00", page.text) is None
