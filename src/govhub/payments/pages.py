"""Pages of payments: the sandbox cashier, where a payer pays (or fails to pay) a fee order."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govhub.core.db import utcnow
from govhub.core.i18n import N_
from govhub.identity.deps import DbSession
from govhub.identity.models import Department
from govhub.payments import service
from govhub.payments.api import Payer
from govhub.payments.errors import OrderNotPayable
from govhub.payments.models import OrderStatus
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)

STATUS_LABELS: dict[str, str] = {
    OrderStatus.PENDING: N_("Awaiting payment"),
    OrderStatus.PAID: N_("Paid"),
    OrderStatus.PARTIALLY_REFUNDED: N_("Partially refunded"),
    OrderStatus.REFUNDED: N_("Refunded"),
    OrderStatus.EXPIRED: N_("Expired"),
    OrderStatus.CANCELLED: N_("Cancelled"),
}


@router.get("/payments/cashier/{order_id}", response_class=HTMLResponse)
def cashier_page(
    request: Request,
    order_id: uuid.UUID,
    principal: Payer,
    session: DbSession,
    outcome: str | None = None,
) -> Response:
    """Show the sandbox cashier of the caller's own order: amount, payee, pay or fail."""
    order = service.get_order(session, principal=principal, order_id=order_id, as_payer=True)
    department = session.get(Department, order.department_id)
    payable = order.status is OrderStatus.PENDING and utcnow() < order.expires_at
    return render(
        request,
        "payments/cashier.html",
        {
            "order": order,
            "department": department,
            "amount": service.yuan(order.amount_fen),
            "refunded": service.yuan(order.refunded_fen),
            "status_label": STATUS_LABELS[order.status],
            "payable": payable,
            "outcome": outcome if outcome in {"paid", "failed"} else None,
        },
    )


@router.post("/payments/cashier/{order_id}", response_class=HTMLResponse)
def cashier_submit(
    order_id: uuid.UUID,
    _: CsrfChecked,
    principal: Payer,
    session: DbSession,
    action: Annotated[str, Form(pattern="^(pay|fail)$")],
) -> Response:
    """Pay or fail at the sandbox; its signed callback decides the order's status."""
    succeed = action == "pay"
    try:
        with session.begin_nested():
            service.sandbox_pay(session, principal=principal, order_id=order_id, succeed=succeed)
    except OrderNotPayable:
        return RedirectResponse(f"/payments/cashier/{order_id}", status_code=303)
    outcome = "paid" if succeed else "failed"
    return RedirectResponse(f"/payments/cashier/{order_id}?outcome={outcome}", status_code=303)
