"""The payments domain's operations: fee orders, verified callbacks, refunds, expiry and the
gate other domains use (`is_paid`, `require_paid`).

Only a verified callback marks an order paid: its signature, timestamp window, fresh nonce and
amount are all checked, and a failing check changes nothing. Order creation and refunds accept
an Idempotency-Key: the same key with the same request returns the first result; with another
request it is refused. Reconciliation lives in `govhub.payments.reconciliation`.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, false, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import InvalidInput, NotFound, PermissionDenied
from govhub.identity.models import Account, AccountKind
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
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
from govhub.payments.models import (
    SETTLED,
    CallbackNonce,
    OrderStatus,
    PaymentIdempotency,
    PaymentOrder,
    PaymentRefund,
)
from govhub.payments.provider import CALLBACK_WINDOW_SECONDS, SANDBOX, get_provider, sandbox
from govhub.payments.schemas import OrderCreate, RefundCreate

NOT_FOUND = "no such payment order"
_OUTCOMES = frozenset({"succeeded", "failed"})


def _digest(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _write_first(session: Session) -> None:
    """On SQLite, make the transaction's first statement a write (it takes the write lock,
    waiting its turn, before anything is read), as BEGIN IMMEDIATE would; concurrent writers
    then queue instead of failing on a stale read snapshot. Other databases lock rows."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(delete(CallbackNonce).where(false()))


def _remembered(
    session: Session, *, actor: str, key: str, operation: str, digest: str
) -> uuid.UUID | None:
    """Return the result id a key already answered with (refusing a different request)."""
    record = session.get(PaymentIdempotency, (actor, key))
    if record is None:
        return None
    if record.operation != operation or record.request_digest != digest:
        raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
    return record.result_id


def _visible(principal: Principal, order: PaymentOrder, *, as_payer: bool) -> bool:
    if as_payer:
        return principal.account_id is not None and order.payer_id == principal.account_id
    return principal.department_id is not None and order.department_id == principal.department_id


def _collecting(principal: Principal, order: PaymentOrder | None) -> PaymentOrder:
    if (
        order is None
        or principal.department_id is None
        or order.department_id != principal.department_id
    ):
        raise NotFound(NOT_FOUND)
    return order


def create_order(
    session: Session,
    *,
    principal: Principal,
    data: OrderCreate,
    idempotency_key: str | None = None,
    provider: str = SANDBOX,
) -> PaymentOrder:
    """Raise a fee order of the caller's department for a payer and one subject."""
    if principal.department_id is None:
        raise PermissionDenied("only a department collects fees")
    _write_first(session)
    actor = ledger.actor_of(principal)
    digest = _digest(data.model_dump(mode="json"))
    if idempotency_key is not None:
        earlier = _remembered(
            session, actor=actor, key=idempotency_key, operation="order", digest=digest
        )
        if earlier is not None:
            return _order(session, earlier)
    payer = session.execute(
        select(Account.kind, Account.is_active).where(Account.id == data.payer_id)
    ).one_or_none()
    if payer is None or payer.kind is AccountKind.OFFICIAL or not payer.is_active:
        raise InvalidInput("the payer must be an active citizen or enterprise", field="payer_id")
    if _holder(session, data.subject) is not None:
        raise SubjectAlreadyCharged(f"{data.subject} already has a live fee order")
    now = utcnow()
    order = PaymentOrder(
        id=uuid.uuid4(),
        department_id=principal.department_id,
        payer_id=data.payer_id,
        subject=data.subject,
        holding_subject=data.subject,
        item=data.item,
        amount_fen=data.amount_fen,
        refunded_fen=0,
        status=OrderStatus.PENDING,
        provider=provider,
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(minutes=data.expires_in_minutes),
    )
    try:
        with session.begin_nested():
            session.add(order)
            if idempotency_key is not None:
                session.add(
                    PaymentIdempotency(
                        actor=actor,
                        key=idempotency_key,
                        operation="order",
                        request_digest=digest,
                        result_id=order.id,
                    )
                )
            session.flush()
    except IntegrityError:  # pragma: no cover - a concurrent writer on PostgreSQL (SQLite queues)
        # A concurrent request won the race for the same key or the same subject.
        if idempotency_key is not None:
            earlier = _remembered(
                session, actor=actor, key=idempotency_key, operation="order", digest=digest
            )
            if earlier is not None:
                return _order(session, earlier)
        raise SubjectAlreadyCharged(f"{data.subject} already has a live fee order") from None
    return order


def _order(session: Session, order_id: uuid.UUID) -> PaymentOrder:
    order = session.get(PaymentOrder, order_id)
    if order is None:  # pragma: no cover - idempotency records point at stored orders
        raise NotFound(NOT_FOUND)
    return order


def _holder(session: Session, subject: str) -> PaymentOrder | None:
    return session.scalars(
        select(PaymentOrder).where(PaymentOrder.holding_subject == subject)
    ).one_or_none()


def get_order(
    session: Session, *, principal: Principal, order_id: uuid.UUID, as_payer: bool
) -> PaymentOrder:
    """Return the caller's own order (`as_payer`) or one of their department's; any other
    answers not found."""
    order = session.get(PaymentOrder, order_id)
    if order is None or not _visible(principal, order, as_payer=as_payer):
        raise NotFound(NOT_FOUND)
    return order


def list_orders(
    session: Session,
    *,
    principal: Principal,
    as_payer: bool,
    status: OrderStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[PaymentOrder], int]:
    """List the caller's own orders (`as_payer`) or their department's, newest first, with
    the total count."""
    query = select(PaymentOrder)
    if as_payer:
        query = query.where(PaymentOrder.payer_id == principal.account_id)
    else:
        query = query.where(PaymentOrder.department_id == principal.department_id)
    if status is not None:
        query = query.where(PaymentOrder.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(PaymentOrder.created_at.desc(), PaymentOrder.id).limit(limit).offset(offset)
    )
    return list(rows), total


def payable_order(
    session: Session, *, principal: Principal, order_id: uuid.UUID, now: datetime | None = None
) -> PaymentOrder:
    """Return the caller's own order if it can be paid now (pending, not past expiry)."""
    order = session.get(PaymentOrder, order_id)
    if order is None or order.payer_id != principal.account_id:
        raise NotFound(NOT_FOUND)
    if order.status is not OrderStatus.PENDING or (now or utcnow()) >= order.expires_at:
        raise OrderNotPayable(f"the order is {_state(order, now)} and cannot be paid")
    return order


def _state(order: PaymentOrder, now: datetime | None) -> str:
    if order.status is OrderStatus.PENDING and (now or utcnow()) >= order.expires_at:
        return "past its expiry"
    return str(order.status).replace("_", " ")


def cashier_url(session: Session, *, principal: Principal, order_id: uuid.UUID) -> str:
    """Return where the payer pays their pending order."""
    order = payable_order(session, principal=principal, order_id=order_id)
    return get_provider(order.provider).cashier_url(order.id)


def cancel_order(
    session: Session, *, principal: Principal, order_id: uuid.UUID, as_payer: bool
) -> PaymentOrder:
    """Cancel a pending order (its payer or its department), freeing its subject."""
    order = get_order(session, principal=principal, order_id=order_id, as_payer=as_payer)
    if order.status is not OrderStatus.PENDING:
        raise OrderNotPayable(f"the order is {_state(order, None)} and cannot be cancelled")
    order.status = OrderStatus.CANCELLED
    order.holding_subject = None
    order.closed_at = utcnow()
    session.flush()
    return order


def _parse(notification: str) -> dict[str, Any]:
    try:
        body = json.loads(notification)
    except ValueError:
        raise CallbackRejected("the notification is not JSON") from None
    if not isinstance(body, dict):
        raise CallbackRejected("the notification must be a JSON object")
    shapes: dict[str, type] = {
        "order_id": str,
        "txn_id": str,
        "outcome": str,
        "amount_fen": int,
        "timestamp": int,
        "nonce": str,
    }
    for name, shape in shapes.items():
        value = body.get(name)
        if not isinstance(value, shape) or isinstance(value, bool):
            raise CallbackRejected(f"the notification lacks a valid {name}")
    if body["outcome"] not in _OUTCOMES or not 8 <= len(body["nonce"]) <= 64:
        raise CallbackRejected("the notification's outcome or nonce is invalid")
    if not 1 <= len(body["txn_id"]) <= 64:
        raise CallbackRejected("the notification's transaction id is invalid")
    try:
        body["order_id"] = uuid.UUID(body["order_id"])
    except ValueError:
        raise CallbackRejected("the notification's order id is invalid") from None
    return body


def handle_callback(
    session: Session,
    *,
    notification: str,
    signature: str,
    provider: str = SANDBOX,
    now: float | None = None,
) -> PaymentOrder:
    """Verify a provider's callback and, when it reports success, mark the order paid.

    Refused, changing nothing: a bad signature, a timestamp outside the window, a nonce seen
    before (a replay), an unknown order, an amount other than the order's, an order no
    longer pending.
    """
    if not get_provider(provider).verify(notification, signature):
        raise CallbackRejected("the callback's signature does not verify")
    body = _parse(notification)
    clock = time.time() if now is None else now
    if abs(clock - body["timestamp"]) > CALLBACK_WINDOW_SECONDS:
        raise CallbackRejected("the callback's timestamp is outside the accepted window")
    _write_first(session)
    if session.get(CallbackNonce, (provider, body["nonce"])) is not None:
        raise CallbackReplayed("this callback was already received")
    try:
        with session.begin_nested():
            session.add(CallbackNonce(provider=provider, nonce=body["nonce"]))
            session.flush()
    except IntegrityError:  # pragma: no cover - a concurrent replay on PostgreSQL (SQLite queues)
        raise CallbackReplayed("this callback was already received") from None
    order = session.scalars(
        select(PaymentOrder)
        .where(PaymentOrder.id == body["order_id"], PaymentOrder.provider == provider)
        .with_for_update()
    ).one_or_none()
    if order is None:
        raise CallbackRejected("the callback names no known order")
    if body["amount_fen"] != order.amount_fen:
        raise AmountMismatch("the callback's amount differs from the order's")
    if body["outcome"] == "failed":
        return order
    paid_at = utcnow()
    if order.status is not OrderStatus.PENDING or paid_at >= order.expires_at:
        raise OrderNotPayable(f"the order is {_state(order, paid_at)}; it was not charged again")
    order.status = OrderStatus.PAID
    order.provider_txn_id = body["txn_id"]
    order.paid_at = paid_at
    session.flush()
    ledger.record(
        session,
        kind=EntryKind.PAYMENT_RECEIVED,
        actor=f"provider:{provider}",
        subject=f"payment:{order.id}",
        payload={
            "order": str(order.id),
            "subject": order.subject,
            "amount_fen": order.amount_fen,
            "txn": order.provider_txn_id,
        },
        department_id=order.department_id,
    )
    return order


def refund(
    session: Session,
    *,
    principal: Principal,
    order_id: uuid.UUID,
    data: RefundCreate,
    idempotency_key: str | None = None,
) -> PaymentRefund:
    """Refund part or all of a paid order of the caller's department (never more than paid)."""
    _write_first(session)
    actor = ledger.actor_of(principal)
    digest = _digest({"order": str(order_id), **data.model_dump(mode="json")})
    if idempotency_key is not None:
        earlier = _remembered(
            session, actor=actor, key=idempotency_key, operation="refund", digest=digest
        )
        if earlier is not None:
            done = session.get(PaymentRefund, earlier)
            if done is None:  # pragma: no cover - records point at stored refunds
                raise NotFound(NOT_FOUND)
            return done
    order = _collecting(
        principal,
        session.scalars(
            select(PaymentOrder).where(PaymentOrder.id == order_id).with_for_update()
        ).one_or_none(),
    )
    if order.status not in SETTLED:
        raise RefundNotPossible(f"the order is {_state(order, None)}; only paid orders refund")
    remaining = order.amount_fen - order.refunded_fen
    if data.amount_fen > remaining:
        raise RefundNotPossible(f"at most {remaining} fen remain to refund")
    provider_refund_id = get_provider(order.provider).refund(
        session, order_id=order.id, amount_fen=data.amount_fen
    )
    made = PaymentRefund(
        id=uuid.uuid4(),
        order_id=order.id,
        amount_fen=data.amount_fen,
        reason=data.reason,
        provider_refund_id=provider_refund_id,
        created_by=actor,
        refunded_at=utcnow(),
    )
    order.refunded_fen += data.amount_fen
    if order.refunded_fen == order.amount_fen:
        order.status = OrderStatus.REFUNDED
        order.holding_subject = None
        order.closed_at = made.refunded_at
    else:
        order.status = OrderStatus.PARTIALLY_REFUNDED
    session.add(made)
    if idempotency_key is not None:
        session.add(
            PaymentIdempotency(
                actor=actor,
                key=idempotency_key,
                operation="refund",
                request_digest=digest,
                result_id=made.id,
            )
        )
    session.flush()
    ledger.record(
        session,
        kind=EntryKind.PAYMENT_REFUNDED,
        actor=actor,
        subject=f"payment:{order.id}",
        payload={
            "order": str(order.id),
            "refund": provider_refund_id,
            "amount_fen": data.amount_fen,
            "refunded_fen": order.refunded_fen,
        },
        department_id=order.department_id,
    )
    return made


def list_refunds(
    session: Session, *, principal: Principal, order_id: uuid.UUID
) -> list[PaymentRefund]:
    """List the refunds of an order the caller may see."""
    order = get_order(session, principal=principal, order_id=order_id, as_payer=False)
    return list(
        session.scalars(
            select(PaymentRefund)
            .where(PaymentRefund.order_id == order.id)
            .order_by(PaymentRefund.refunded_at)
        )
    )


def expire_overdue(session: Session, *, now: datetime | None = None) -> int:
    """Mark pending orders past their expiry as expired (freeing their subjects); return how
    many."""
    moment = now or utcnow()
    result = session.execute(
        update(PaymentOrder)
        .where(PaymentOrder.status == OrderStatus.PENDING, PaymentOrder.expires_at <= moment)
        .values(status=OrderStatus.EXPIRED, holding_subject=None, closed_at=moment)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def is_paid(session: Session, subject: str) -> bool:
    """Tell whether `subject` has an order paid with a verified callback (and not fully
    refunded)."""
    found = session.scalar(
        select(PaymentOrder.id)
        .where(PaymentOrder.subject == subject, PaymentOrder.status.in_(SETTLED))
        .limit(1)
    )
    return found is not None


def require_paid(session: Session, subject: str) -> None:
    """Raise `PaymentRequired` unless `subject` is paid: the gate before an application
    proceeds."""
    if not is_paid(session, subject):
        raise PaymentRequired(f"{subject} has no fee paid with a verified callback")


def sandbox_pay(
    session: Session, *, principal: Principal, order_id: uuid.UUID, succeed: bool
) -> PaymentOrder:
    """Pay (or fail to pay) the caller's order at the sandbox cashier: the sandbox books the
    payment and sends its signed callback, which is verified like any other."""
    order = payable_order(session, principal=principal, order_id=order_id)
    if order.provider != SANDBOX:  # pragma: no cover - the sandbox is the only provider yet
        raise NotFound(NOT_FOUND)
    signed = sandbox().charge(
        session, order_id=order.id, amount_fen=order.amount_fen, succeed=succeed
    )
    return handle_callback(
        session, notification=signed.notification, signature=signed.signature, provider=SANDBOX
    )


def yuan(fen: int) -> str:
    """Format an amount of fen as yuan with two decimals (integer arithmetic only)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def prune_nonces(session: Session, *, now: datetime | None = None) -> int:
    """Forget callback nonces older than twice the timestamp window (a callback that old is
    refused by its timestamp anyway); return how many."""
    cutoff = (now or utcnow()) - timedelta(seconds=2 * CALLBACK_WINDOW_SECONDS)
    result = session.execute(delete(CallbackNonce).where(CallbackNonce.received_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def order_for_subject(session: Session, subject: str) -> PaymentOrder | None:
    """Return the newest fee order of `subject` (None when it was never charged)."""
    return session.scalars(
        select(PaymentOrder)
        .where(PaymentOrder.subject == subject)
        .order_by(PaymentOrder.created_at.desc(), PaymentOrder.id)
        .limit(1)
    ).first()


def checkout_url(order: PaymentOrder, *, now: datetime | None = None) -> str | None:
    """Return where the payer pays `order` while it can be paid (None afterwards)."""
    if order.status is not OrderStatus.PENDING or (now or utcnow()) >= order.expires_at:
        return None
    return get_provider(order.provider).cashier_url(order.id)
