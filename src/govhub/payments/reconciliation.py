"""Daily reconciliation: the provider's statement of a day against GovHub's books.

GovHub's side of a day is every order paid through the provider on that day (keyed by the
provider's transaction id) and every refund made on it (keyed by the provider's refund id).
Each line is *matched* (both sides, same amount), an *amount mismatch*, *missing in GovHub*
(the provider booked money GovHub never accepted, e.g. a payment after the order expired) or
*missing at the provider*. Each difference is ledgered; the report is stored per day (a rerun
replaces it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.payments.models import (
    PaymentOrder,
    PaymentRefund,
    Reconciliation,
    TransactionKind,
)
from govhub.payments.provider import SANDBOX, StatementLine, get_provider

MISSING_IN_GOVHUB = "missing_in_govhub"
MISSING_AT_PROVIDER = "missing_at_provider"
AMOUNT_MISMATCH = "amount_mismatch"


@dataclass(frozen=True, slots=True)
class _Booked:
    kind: TransactionKind
    order_id: uuid.UUID
    amount_fen: int
    department_id: uuid.UUID | None


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def govhub_book(session: Session, *, day: date, provider: str = SANDBOX) -> dict[str, _Booked]:
    """Return GovHub's payments and refunds through `provider` on `day`, by provider id."""
    start, end = _bounds(day)
    book: dict[str, _Booked] = {}
    paid = session.execute(
        select(
            PaymentOrder.provider_txn_id,
            PaymentOrder.id,
            PaymentOrder.amount_fen,
            PaymentOrder.department_id,
        ).where(
            PaymentOrder.provider == provider,
            PaymentOrder.paid_at >= start,
            PaymentOrder.paid_at < end,
            PaymentOrder.provider_txn_id.is_not(None),
        )
    )
    for txn, order_id, amount, department in paid:
        book[str(txn)] = _Booked(TransactionKind.PAYMENT, order_id, amount, department)
    refunds = session.execute(
        select(
            PaymentRefund.provider_refund_id,
            PaymentRefund.order_id,
            PaymentRefund.amount_fen,
            PaymentOrder.department_id,
        )
        .join(PaymentOrder, PaymentOrder.id == PaymentRefund.order_id)
        .where(
            PaymentOrder.provider == provider,
            PaymentRefund.refunded_at >= start,
            PaymentRefund.refunded_at < end,
        )
    )
    for refund_id, order_id, amount, department in refunds:
        book[refund_id] = _Booked(TransactionKind.REFUND, order_id, amount, department)
    return book


def _totals(lines: list[tuple[TransactionKind, int]]) -> dict[str, int]:
    received = sum(a for k, a in lines if k is TransactionKind.PAYMENT)
    refunded = sum(a for k, a in lines if k is TransactionKind.REFUND)
    return {"received_fen": received, "refunded_fen": refunded, "net_fen": received - refunded}


def compare(
    statement: list[StatementLine], book: dict[str, _Booked]
) -> tuple[int, list[dict[str, Any]]]:
    """Return the number of matched lines and every difference, sorted by reference."""
    theirs = {line.txn_id: line for line in statement}
    matched = 0
    differences: list[dict[str, Any]] = []
    for ref in sorted(set(theirs) | set(book)):
        line, ours = theirs.get(ref), book.get(ref)
        if line is not None and ours is not None:
            if line.amount_fen == ours.amount_fen:
                matched += 1
                continue
            problem, kind, order_id = AMOUNT_MISMATCH, line.kind, line.order_id
        elif line is not None:
            problem, kind, order_id = MISSING_IN_GOVHUB, line.kind, line.order_id
        elif ours is not None:
            problem, kind, order_id = MISSING_AT_PROVIDER, ours.kind, ours.order_id
        else:  # pragma: no cover - every reference comes from one side
            continue
        differences.append(
            {
                "problem": problem,
                "kind": str(kind),
                "order_id": str(order_id),
                "reference": ref,
                "govhub_fen": ours.amount_fen if ours is not None else None,
                "provider_fen": line.amount_fen if line is not None else None,
            }
        )
    return matched, differences


def reconcile(
    session: Session, *, day: date, actor: str, provider: str = SANDBOX
) -> Reconciliation:
    """Reconcile one day with one provider, store the report (replacing an earlier run) and
    ledger each difference."""
    statement = get_provider(provider).statement(session, day)
    book = govhub_book(session, day=day, provider=provider)
    matched, differences = compare(statement, book)
    report: dict[str, Any] = {
        "provider_totals": _totals([(line.kind, line.amount_fen) for line in statement]),
        "govhub_totals": _totals([(b.kind, b.amount_fen) for b in book.values()]),
        "provider_lines": len(statement),
        "govhub_lines": len(book),
        "items": differences,
    }
    session.execute(
        delete(Reconciliation).where(Reconciliation.provider == provider, Reconciliation.day == day)
    )
    stored = Reconciliation(
        provider=provider,
        day=day,
        matched=matched,
        differences=len(differences),
        report=report,
        run_by=actor,
    )
    session.add(stored)
    session.flush()
    for item in differences:
        booked = book.get(item["reference"])
        ledger.record(
            session,
            kind=EntryKind.RECONCILIATION_DIFFERENCE,
            actor=actor,
            subject=f"payment:{item['order_id']}",
            payload={"day": day.isoformat(), "provider": provider, **item},
            department_id=booked.department_id if booked is not None else None,
        )
    return stored


def get_report(session: Session, *, day: date, provider: str = SANDBOX) -> Reconciliation | None:
    """Return the stored reconciliation of `day`, if it was run."""
    return session.scalars(
        select(Reconciliation).where(Reconciliation.provider == provider, Reconciliation.day == day)
    ).one_or_none()
