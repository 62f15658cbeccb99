"""`govhub payments expire | statement | reconcile` against the test database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.payments.models import OrderStatus, SandboxTransaction
from tests.payments.conftest import Cast
from tests.payments.helpers import pay, raise_order
from tests.test_cli import flat, run


class TestPaymentsCli:
    def test_expire_marks_overdue_orders(self, session: Session, cast: Cast) -> None:
        overdue = raise_order(session, cast.collector, cast.payer)
        overdue.expires_at = utcnow() - timedelta(seconds=5)
        raise_order(session, cast.collector, cast.payer)
        session.commit()
        result = run("payments", "expire")
        assert result.exit_code == 0, result.output
        assert "1 order(s) expired" in flat(result.stdout)
        session.refresh(overdue)
        assert overdue.status is OrderStatus.EXPIRED

    def test_statement_and_a_clean_reconciliation(self, session: Session, cast: Cast) -> None:
        order = pay(session, cast.citizen, raise_order(session, cast.collector, cast.payer))
        session.commit()
        day = utcnow().date().isoformat()
        statement = run("payments", "statement", "--date", day)
        assert statement.exit_code == 0, statement.output
        assert order.provider_txn_id is not None
        assert order.provider_txn_id in flat(statement.stdout)
        assert "50.00" in statement.stdout
        result = run("payments", "reconcile", "--date", day)
        assert result.exit_code == 0, result.output
        assert "1 matched, 0 difference(s)" in flat(result.stdout)

    def test_reconcile_exits_1_on_differences(self, session: Session, cast: Cast) -> None:
        order = pay(session, cast.citizen, raise_order(session, cast.collector, cast.payer))
        booked = session.scalars(
            select(SandboxTransaction).where(SandboxTransaction.order_id == order.id)
        ).one()
        booked.amount_fen = 1
        session.commit()
        result = run("payments", "reconcile", "--date", utcnow().date().isoformat())
        assert result.exit_code == 1
        out = flat(result.stdout)
        assert "0 matched, 1 difference(s)" in out
        assert "amount_mismatch" in out

    def test_a_bad_date_is_refused(self) -> None:
        result = run("payments", "reconcile", "--date", "2026-13-40")
        assert result.exit_code == 2
        assert "--date" in flat(result.output)
