"""HTTP API of payments (`/api/v1/payments`).

Departments raise fee orders and refund them (`payments:collect`, their own department's
orders); payers see and pay their own orders (`payments:pay`); finance reconciles each day
with the provider (`payments:reconcile`). The provider's callback is public: its HMAC
signature, timestamp window and one-time nonce authenticate it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, status

from govhub.core.db import session_scope
from govhub.core.errors import NotFound
from govhub.core.schemas import Page
from govhub.identity.deps import DbSession, require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.payments import reconciliation, service
from govhub.payments.models import OrderStatus
from govhub.payments.provider import SANDBOX
from govhub.payments.schemas import (
    CallbackAck,
    CallbackEnvelope,
    CheckoutRead,
    OrderCreate,
    OrderRead,
    ReconciliationCreate,
    ReconciliationRead,
    RefundCreate,
    RefundRead,
)

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])

Collector = Annotated[Principal, Depends(require(Permission.PAYMENTS_COLLECT))]
Payer = Annotated[Principal, Depends(require(Permission.PAYMENTS_PAY))]
Reconciler = Annotated[Principal, Depends(require(Permission.PAYMENTS_RECONCILE))]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$"),
]


@router.post("/orders", response_model=OrderRead, status_code=status.HTTP_201_CREATED)
def create_order(
    session: DbSession,
    principal: Collector,
    data: OrderCreate,
    idempotency_key: IdempotencyKey = None,
) -> OrderRead:
    """Raise a fee order of your department; a retry with the same Idempotency-Key returns
    the first order."""
    session.commit()  # end the read-only transaction: the write starts one of its own
    with session_scope() as write:
        order = service.create_order(
            write, principal=principal, data=data, idempotency_key=idempotency_key
        )
        return OrderRead.model_validate(order)


@router.get("/orders", response_model=Page[OrderRead])
def list_orders(
    session: DbSession,
    principal: Collector,
    order_status: Annotated[OrderStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[OrderRead]:
    """List your department's fee orders, newest first."""
    rows, total = service.list_orders(
        session,
        principal=principal,
        as_payer=False,
        status=order_status,
        limit=limit,
        offset=offset,
    )
    items = [OrderRead.model_validate(r) for r in rows]
    return Page[OrderRead](items=items, total=total, limit=limit, offset=offset)


@router.get("/mine", response_model=Page[OrderRead])
def my_orders(
    session: DbSession,
    principal: Payer,
    order_status: Annotated[OrderStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[OrderRead]:
    """List the fee orders you are to pay or have paid, newest first."""
    rows, total = service.list_orders(
        session, principal=principal, as_payer=True, status=order_status, limit=limit, offset=offset
    )
    items = [OrderRead.model_validate(r) for r in rows]
    return Page[OrderRead](items=items, total=total, limit=limit, offset=offset)


@router.get("/orders/{order_id}", response_model=OrderRead)
def read_order(session: DbSession, principal: Collector, order_id: uuid.UUID) -> OrderRead:
    """Show one of your department's orders."""
    return OrderRead.model_validate(
        service.get_order(session, principal=principal, order_id=order_id, as_payer=False)
    )


@router.post("/orders/{order_id}/cancel", response_model=OrderRead)
def cancel(session: DbSession, principal: Collector, order_id: uuid.UUID) -> OrderRead:
    """Cancel a pending order of your department, freeing its subject."""
    return OrderRead.model_validate(
        service.cancel_order(session, principal=principal, order_id=order_id, as_payer=False)
    )


@router.get("/mine/{order_id}", response_model=OrderRead)
def read_my_order(session: DbSession, principal: Payer, order_id: uuid.UUID) -> OrderRead:
    """Show one of your own fee orders."""
    return OrderRead.model_validate(
        service.get_order(session, principal=principal, order_id=order_id, as_payer=True)
    )


@router.post("/mine/{order_id}/cancel", response_model=OrderRead)
def cancel_mine(session: DbSession, principal: Payer, order_id: uuid.UUID) -> OrderRead:
    """Cancel your own pending order."""
    return OrderRead.model_validate(
        service.cancel_order(session, principal=principal, order_id=order_id, as_payer=True)
    )


@router.post("/mine/{order_id}/checkout", response_model=CheckoutRead)
def checkout(session: DbSession, principal: Payer, order_id: uuid.UUID) -> CheckoutRead:
    """Where to pay your pending order: the provider's cashier."""
    url = service.cashier_url(session, principal=principal, order_id=order_id)
    return CheckoutRead(order_id=order_id, cashier_url=url)


@router.post(
    "/orders/{order_id}/refunds", response_model=RefundRead, status_code=status.HTTP_201_CREATED
)
def refund(
    session: DbSession,
    principal: Collector,
    order_id: uuid.UUID,
    data: RefundCreate,
    idempotency_key: IdempotencyKey = None,
) -> RefundRead:
    """Refund part or all of a paid order of your department (never more than was paid)."""
    session.commit()  # end the read-only transaction: the write starts one of its own
    with session_scope() as write:
        made = service.refund(
            write,
            principal=principal,
            order_id=order_id,
            data=data,
            idempotency_key=idempotency_key,
        )
        return RefundRead.model_validate(made)


@router.get("/orders/{order_id}/refunds", response_model=list[RefundRead])
def list_refunds(session: DbSession, principal: Collector, order_id: uuid.UUID) -> list[RefundRead]:
    """List the refunds of one of your department's orders."""
    rows = service.list_refunds(session, principal=principal, order_id=order_id)
    return [RefundRead.model_validate(r) for r in rows]


@router.post("/callbacks/{provider}", response_model=CallbackAck)
def callback(session: DbSession, provider: str, data: CallbackEnvelope) -> CallbackAck:
    """Receive a provider's signed notification; only a verified one marks an order paid."""
    if provider != SANDBOX:
        raise NotFound("no such payment provider")
    order = service.handle_callback(
        session, notification=data.notification, signature=data.signature, provider=provider
    )
    return CallbackAck(order_id=order.id, status=order.status)


@router.post("/reconciliations", response_model=ReconciliationRead)
def run_reconciliation(
    session: DbSession, principal: Reconciler, data: ReconciliationCreate
) -> ReconciliationRead:
    """Reconcile one day (UTC) with the provider's statement; ledger each difference."""
    stored = reconciliation.reconcile(session, day=data.day, actor=ledger.actor_of(principal))
    return ReconciliationRead.model_validate(stored)


@router.get("/reconciliations/{day}", response_model=ReconciliationRead)
def read_reconciliation(session: DbSession, principal: Reconciler, day: date) -> ReconciliationRead:
    """Show a day's stored reconciliation report."""
    stored = reconciliation.get_report(session, day=day)
    if stored is None:
        raise NotFound("that day has not been reconciled")
    return ReconciliationRead.model_validate(stored)
