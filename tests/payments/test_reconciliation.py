"""Daily reconciliation of the sandbox's statement with GovHub's books."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.ledger.models import LedgerPending
from govhub.ledger.schemas import EntryKind
from govhub.payments import reconciliation, service
from govhub.payments.models import SandboxTransaction, TransactionKind
from govhub.payments.schemas import RefundCreate
from tests.payments.conftest import Cast
from tests.payments.helpers import pay, raise_order


def _differences_ledgered(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(LedgerPending)
            .where(LedgerPending.kind == EntryKind.RECONCILIATION_DIFFERENCE)
        )
        or 0
    )


class TestReconcile:
    def test_a_clean_day_matches_every_line(self, session: Session, cast: Cast) -> None:
        first = pay(session, cast.citizen, raise_order(session, cast.collector, cast.payer))
        pay(session, cast.citizen, raise_order(session, cast.collector, cast.payer, amount_fen=99))
        service.refund(
            session,
            principal=cast.collector,
            order_id=first.id,
            data=RefundCreate(amount_fen=1000, reason="部分退费"),
        )
        before = _differences_ledgered(session)
        report = reconciliation.reconcile(session, day=utcnow().date(), actor="tester")
        assert report.matched == 3
        assert report.differences == 0
        totals = report.report["govhub_totals"]
        assert totals == {"received_fen": 5099, "refunded_fen": 1000, "net_fen": 4099}
        assert report.report["provider_totals"] == totals
        assert _differences_ledgered(session) == before

    def test_differences_on_either_side_and_in_amount_are_reported_and_ledgered(
        self, session: Session, cast: Cast
    ) -> None:
        today = utcnow().date()
        matched = pay(session, cast.citizen, raise_order(session, cast.collector, cast.payer))
        mismatched = pay(session, cast.citizen, raise_order(session, cast.collector, cast.payer))
        missing_at_provider = pay(
            session, cast.citizen, raise_order(session, cast.collector, cast.payer)
        )
        # The provider's book disagrees: one amount differs, one payment it never booked, and
        # one payment it booked that GovHub never accepted (e.g. after the order expired).
        for txn in session.scalars(select(SandboxTransaction)):
            if txn.order_id == mismatched.id:
                txn.amount_fen = 4999
            elif txn.order_id == missing_at_provider.id:
                session.delete(txn)
        orphan = uuid.uuid4()
        session.add(
            SandboxTransaction(
                txn_id="sbx_orphan",
                kind=TransactionKind.PAYMENT,
                order_id=orphan,
                amount_fen=700,
                booked_on=today,
            )
        )
        session.flush()
        before = _differences_ledgered(session)
        report = reconciliation.reconcile(session, day=today, actor="tester")
        assert report.matched == 1
        problems = {(i["problem"], i["order_id"]) for i in report.report["items"]}
        assert problems == {
            ("amount_mismatch", str(mismatched.id)),
            ("missing_at_provider", str(missing_at_provider.id)),
            ("missing_in_govhub", str(orphan)),
        }
        assert matched.id not in {i["order_id"] for i in report.report["items"]}
        assert _differences_ledgered(session) == before + 3
        stored = reconciliation.get_report(session, day=today)
        assert stored is not None
        assert stored.id == report.id

    def test_a_rerun_replaces_the_days_report(self, session: Session, cast: Cast) -> None:
        today = utcnow().date()
        reconciliation.reconcile(session, day=today, actor="tester")
        pay(session, cast.citizen, raise_order(session, cast.collector, cast.payer))
        rerun = reconciliation.reconcile(session, day=today, actor="tester")
        assert rerun.matched == 1
        stored = reconciliation.get_report(session, day=today)
        assert stored is not None
        assert stored.matched == 1

    def test_another_day_is_empty(self, session: Session, cast: Cast) -> None:
        pay(session, cast.citizen, raise_order(session, cast.collector, cast.payer))
        yesterday = utcnow().date() - timedelta(days=1)
        report = reconciliation.reconcile(session, day=yesterday, actor="tester")
        assert (report.matched, report.differences) == (0, 0)
        assert reconciliation.get_report(session, day=yesterday - timedelta(days=1)) is None
