"""Fee orders, verified callbacks, refunds, expiry and the payment gate, on a real database."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import InvalidInput, NotFound, PermissionDenied
from govhub.identity import authn
from govhub.ledger.models import LedgerPending
from govhub.ledger.schemas import EntryKind
from govhub.payments import service
from govhub.payments.errors import (
    AmountMismatch,
    CallbackRejected,
    CallbackReplayed,
    IdempotencyKeyReused,
    OrderNotPayable,
    PaymentRequired,
    RefundNotPossible,
    SubjectAlreadyCharged,
)
from govhub.payments.models import CallbackNonce, OrderStatus, PaymentOrder, SandboxTransaction
from govhub.payments.provider import sign
from govhub.payments.schemas import RefundCreate
from tests.factories import World
from tests.payments.conftest import Cast
from tests.payments.helpers import order_data, pay, raise_order, signed


def _ledgered(session: Session, kind: EntryKind) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(LedgerPending).where(LedgerPending.kind == kind)
        )
        or 0
    )


def _snapshot(session: Session, order: PaymentOrder) -> tuple[object, ...]:
    session.refresh(order)
    nonces = session.scalar(select(func.count()).select_from(CallbackNonce))
    return (order.status, order.paid_at, order.provider_txn_id, order.refunded_fen, nonces)


class TestCreateOrder:
    def test_a_department_raises_a_pending_order_for_a_payer(
        self, session: Session, cast: Cast, world: World
    ) -> None:
        order = raise_order(session, cast.collector, cast.payer, amount_fen=12345)
        assert order.status is OrderStatus.PENDING
        assert order.department_id == world.city_a_market.id
        assert order.payer_id == cast.payer.id
        assert order.amount_fen == 12345
        assert order.expires_at - order.created_at == timedelta(minutes=30)
        assert not service.is_paid(session, order.subject)

    def test_same_key_same_body_returns_the_first_order(self, session: Session, cast: Cast) -> None:
        data = order_data(cast.payer)
        first = service.create_order(
            session, principal=cast.collector, data=data, idempotency_key="key-00000001"
        )
        again = service.create_order(
            session, principal=cast.collector, data=data, idempotency_key="key-00000001"
        )
        assert again.id == first.id
        assert session.scalar(select(func.count()).select_from(PaymentOrder)) == 1

    def test_same_key_other_body_is_refused(self, session: Session, cast: Cast) -> None:
        service.create_order(
            session,
            principal=cast.collector,
            data=order_data(cast.payer),
            idempotency_key="key-00000002",
        )
        with pytest.raises(IdempotencyKeyReused):
            service.create_order(
                session,
                principal=cast.collector,
                data=order_data(cast.payer, amount_fen=1),
                idempotency_key="key-00000002",
            )
        assert session.scalar(select(func.count()).select_from(PaymentOrder)) == 1

    def test_a_second_live_order_for_one_subject_is_refused(
        self, session: Session, cast: Cast
    ) -> None:
        data = order_data(cast.payer)
        service.create_order(session, principal=cast.collector, data=data)
        with pytest.raises(SubjectAlreadyCharged):
            service.create_order(session, principal=cast.collector, data=data)

    def test_a_cancelled_order_frees_its_subject(self, session: Session, cast: Cast) -> None:
        data = order_data(cast.payer)
        first = service.create_order(session, principal=cast.collector, data=data)
        service.cancel_order(session, principal=cast.citizen, order_id=first.id, as_payer=True)
        with pytest.raises(OrderNotPayable):
            service.cancel_order(
                session, principal=cast.collector, order_id=first.id, as_payer=False
            )
        second = service.create_order(session, principal=cast.collector, data=data)
        assert first.status is OrderStatus.CANCELLED
        assert second.id != first.id

    def test_an_official_cannot_be_the_payer(
        self, session: Session, cast: Cast, world: World
    ) -> None:
        data = order_data(world.city_a_official)
        with pytest.raises(InvalidInput):
            service.create_order(session, principal=cast.collector, data=data)

    def test_only_a_department_collects(self, session: Session, cast: Cast) -> None:
        with pytest.raises(PermissionDenied):
            service.create_order(session, principal=cast.citizen, data=order_data(cast.payer))


class TestCallback:
    def test_a_verified_callback_marks_the_order_paid_and_ledgers_it(
        self, session: Session, cast: Cast
    ) -> None:
        order = raise_order(session, cast.collector, cast.payer)
        before = _ledgered(session, EntryKind.PAYMENT_RECEIVED)
        callback = signed(order, txn_id="sbx_verified")
        paid = service.handle_callback(
            session, notification=callback.notification, signature=callback.signature
        )
        assert paid.status is OrderStatus.PAID
        assert paid.provider_txn_id == "sbx_verified"
        assert service.is_paid(session, order.subject)
        service.require_paid(session, order.subject)
        assert _ledgered(session, EntryKind.PAYMENT_RECEIVED) == before + 1

    def test_the_sandbox_cashier_books_and_verifies(self, session: Session, cast: Cast) -> None:
        order = raise_order(session, cast.collector, cast.payer)
        paid = pay(session, cast.citizen, order)
        assert paid.status is OrderStatus.PAID
        book = session.scalars(
            select(SandboxTransaction).where(SandboxTransaction.order_id == order.id)
        ).one()
        assert book.txn_id == paid.provider_txn_id
        assert book.amount_fen == order.amount_fen

    def test_a_failed_payment_leaves_the_order_pending(self, session: Session, cast: Cast) -> None:
        order = raise_order(session, cast.collector, cast.payer)
        after = service.sandbox_pay(
            session, principal=cast.citizen, order_id=order.id, succeed=False
        )
        assert after.status is OrderStatus.PENDING
        with pytest.raises(PaymentRequired) as caught:
            service.require_paid(session, order.subject)
        assert caught.value.status == 402

    def test_a_replayed_callback_is_refused_and_changes_nothing(
        self, session: Session, cast: Cast
    ) -> None:
        order = raise_order(session, cast.collector, cast.payer)
        callback = signed(order)
        service.handle_callback(
            session, notification=callback.notification, signature=callback.signature
        )
        before = _snapshot(session, order)
        with pytest.raises(CallbackReplayed):
            service.handle_callback(
                session, notification=callback.notification, signature=callback.signature
            )
        assert _snapshot(session, order) == before

    def test_a_second_success_for_a_paid_order_is_refused(
        self, session: Session, cast: Cast
    ) -> None:
        order = raise_order(session, cast.collector, cast.payer)
        first = signed(order)
        service.handle_callback(session, notification=first.notification, signature=first.signature)
        txn = order.provider_txn_id
        second = signed(order)
        with pytest.raises(OrderNotPayable), session.begin_nested():
            service.handle_callback(
                session, notification=second.notification, signature=second.signature
            )
        session.refresh(order)
        assert order.provider_txn_id == txn

    @pytest.mark.parametrize(
        "tamper",
        [
            "signature",
            "body",
            "stale",
            "future",
            "amount",
            "json",
            "array",
            "shape",
            "order",
            "uuid",
            "txn",
            "outcome",
        ],
    )
    def test_bad_callbacks_are_refused_and_change_nothing(
        self, session: Session, cast: Cast, tamper: str
    ) -> None:
        order = raise_order(session, cast.collector, cast.payer)
        callback = signed(order)
        text, signature = callback.notification, callback.signature
        expected: type[Exception] = CallbackRejected
        if tamper == "signature":
            signature = "0" * 64
        elif tamper == "body":
            text = text.replace(str(order.amount_fen), str(order.amount_fen + 1))
        elif tamper in {"stale", "future"}:
            shift = -301 if tamper == "stale" else 301
            callback = signed(order, timestamp=int(time.time()) + shift)
            text, signature = callback.notification, callback.signature
        elif tamper == "amount":
            callback = signed(order, amount_fen=order.amount_fen - 1)
            text, signature = callback.notification, callback.signature
            expected = AmountMismatch
        elif tamper == "json":
            text = '{"order_id": '
            signature = sign(text)
        elif tamper == "array":
            text = "[1, 2]"
            signature = sign(text)
        elif tamper in {"uuid", "txn"}:
            body = json.loads(text)
            body["order_id" if tamper == "uuid" else "txn_id"] = "x" * 70
            text = json.dumps(body)
            signature = sign(text)
        elif tamper == "shape":
            body = json.loads(text)
            body["amount_fen"] = "5000"
            text = json.dumps(body)
            signature = sign(text)
        elif tamper == "order":
            body = json.loads(text)
            body["order_id"] = str(uuid.uuid4())
            text = json.dumps(body)
            signature = sign(text)
        else:
            body = json.loads(text)
            body["outcome"] = "maybe"
            text = json.dumps(body)
            signature = sign(text)
        before = _snapshot(session, order)
        with pytest.raises(expected), session.begin_nested():
            service.handle_callback(session, notification=text, signature=signature)
        assert _snapshot(session, order) == before
        assert not service.is_paid(session, order.subject)

    def test_a_callback_after_expiry_does_not_pay(self, session: Session, cast: Cast) -> None:
        order = raise_order(session, cast.collector, cast.payer)
        order.expires_at = utcnow() - timedelta(seconds=1)
        session.flush()
        callback = signed(order)
        with pytest.raises(OrderNotPayable), session.begin_nested():
            service.handle_callback(
                session, notification=callback.notification, signature=callback.signature
            )
        assert not service.is_paid(session, order.subject)


class TestExpiry:
    def test_overdue_pending_orders_expire_and_free_their_subject(
        self, session: Session, cast: Cast
    ) -> None:
        overdue = raise_order(session, cast.collector, cast.payer)
        fresh = raise_order(session, cast.collector, cast.payer)
        paid = pay(session, cast.citizen, raise_order(session, cast.collector, cast.payer))
        overdue.expires_at = utcnow() - timedelta(minutes=1)
        session.flush()
        assert service.expire_overdue(session) == 1
        for order in (overdue, fresh, paid):
            session.refresh(order)
        assert overdue.status is OrderStatus.EXPIRED
        assert overdue.holding_subject is None
        assert fresh.status is OrderStatus.PENDING
        assert paid.status is OrderStatus.PAID
        with pytest.raises(OrderNotPayable):
            service.payable_order(session, principal=cast.citizen, order_id=overdue.id)


class TestNonces:
    def test_old_nonces_are_forgotten_and_their_callbacks_stay_refused(
        self, session: Session, cast: Cast
    ) -> None:
        order = raise_order(session, cast.collector, cast.payer)
        callback = signed(order)
        service.handle_callback(
            session, notification=callback.notification, signature=callback.signature
        )
        assert service.prune_nonces(session) == 0
        later = utcnow() + timedelta(minutes=11)
        assert service.prune_nonces(session, now=later) == 1
        with pytest.raises(CallbackRejected), session.begin_nested():
            service.handle_callback(
                session,
                notification=callback.notification,
                signature=callback.signature,
                now=later.timestamp(),
            )


class TestRefund:
    def test_partial_then_full_refund(self, session: Session, cast: Cast) -> None:
        order = pay(session, cast.citizen, raise_order(session, cast.collector, cast.payer))
        service.refund(
            session,
            principal=cast.collector,
            order_id=order.id,
            data=RefundCreate(amount_fen=2000, reason="部分退费"),
        )
        assert order.status is OrderStatus.PARTIALLY_REFUNDED
        assert service.is_paid(session, order.subject)
        service.refund(
            session,
            principal=cast.collector,
            order_id=order.id,
            data=RefundCreate(amount_fen=3000, reason="全部退费"),
        )
        session.refresh(order)
        assert (order.status, order.refunded_fen) == (OrderStatus.REFUNDED, 5000)
        assert not service.is_paid(session, order.subject)
        assert order.holding_subject is None

    def test_a_refund_never_exceeds_what_was_paid(self, session: Session, cast: Cast) -> None:
        order = pay(session, cast.citizen, raise_order(session, cast.collector, cast.payer))
        with pytest.raises(RefundNotPossible):
            service.refund(
                session,
                principal=cast.collector,
                order_id=order.id,
                data=RefundCreate(amount_fen=5001, reason="超额"),
            )
        assert order.refunded_fen == 0
        assert order.status is OrderStatus.PAID

    def test_an_unpaid_order_does_not_refund(self, session: Session, cast: Cast) -> None:
        order = raise_order(session, cast.collector, cast.payer)
        with pytest.raises(RefundNotPossible):
            service.refund(
                session,
                principal=cast.collector,
                order_id=order.id,
                data=RefundCreate(amount_fen=1, reason="未付"),
            )

    def test_refund_idempotency(self, session: Session, cast: Cast) -> None:
        order = pay(session, cast.citizen, raise_order(session, cast.collector, cast.payer))
        data = RefundCreate(amount_fen=1000, reason="重复提交")
        first = service.refund(
            session,
            principal=cast.collector,
            order_id=order.id,
            data=data,
            idempotency_key="refund-0001",
        )
        again = service.refund(
            session,
            principal=cast.collector,
            order_id=order.id,
            data=data,
            idempotency_key="refund-0001",
        )
        assert again.id == first.id
        assert order.refunded_fen == 1000
        with pytest.raises(IdempotencyKeyReused):
            service.refund(
                session,
                principal=cast.collector,
                order_id=order.id,
                data=RefundCreate(amount_fen=999, reason="重复提交"),
                idempotency_key="refund-0001",
            )
        assert order.refunded_fen == 1000

    def test_another_department_cannot_refund(
        self, session: Session, cast: Cast, world: World
    ) -> None:
        order = pay(session, cast.citizen, raise_order(session, cast.collector, cast.payer))
        with pytest.raises(NotFound):
            service.refund(
                session,
                principal=authn.principal_for(world.city_b_admin),
                order_id=order.id,
                data=RefundCreate(amount_fen=1, reason="越权"),
            )


class TestScope:
    def test_payers_see_their_own_and_departments_theirs(
        self, session: Session, cast: Cast, world: World
    ) -> None:
        mine = raise_order(session, cast.collector, cast.payer)
        theirs = raise_order(session, cast.collector, cast.other_payer)
        other = authn.principal_for(cast.other_payer)
        rows, total = service.list_orders(session, principal=cast.citizen, as_payer=True)
        assert [r.id for r in rows] == [mine.id]
        assert total == 1
        rows, total = service.list_orders(session, principal=cast.collector, as_payer=False)
        assert {r.id for r in rows} == {mine.id, theirs.id}
        assert total == 2
        with pytest.raises(NotFound):
            service.get_order(session, principal=other, order_id=mine.id, as_payer=True)
        b_admin = authn.principal_for(world.city_b_admin)
        with pytest.raises(NotFound):
            service.get_order(session, principal=b_admin, order_id=mine.id, as_payer=False)
        assert service.list_orders(session, principal=b_admin, as_payer=False) == ([], 0)

    def test_yuan_formats_with_integers(self) -> None:
        assert service.yuan(123456789) == "1,234,567.89"
        assert service.yuan(5) == "0.05"
        assert service.yuan(-250) == "-2.50"
