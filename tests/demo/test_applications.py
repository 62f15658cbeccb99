"""Demo applications: every state, genuine workflow, fees, licenses and ratings, loaded once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.demo import build_plan, load_demo
from govhub.demo.applications import DEMO_FEES
from govhub.ledger.models import LedgerEntry, LedgerPending
from govhub.licenses.models import License
from govhub.payments import service as payments
from govhub.payments.models import PaymentOrder
from govhub.ratings.models import Rating, RectificationCase
from govhub.services import catalog
from govhub.services.connections import subject_of
from govhub.services.models import Application, ApplicationStatus, Task, TaskStatus


def _load(session: Session) -> None:
    load_demo(session, build_plan(seed=7, citizens=400, enterprises=40))


def test_every_state_is_there_with_its_traces(session: Session) -> None:
    _load(session)
    applications = list(session.scalars(select(Application)))
    assert len(applications) >= 80
    statuses = {a.status for a in applications}
    assert statuses == {
        ApplicationStatus.IN_REVIEW,
        ApplicationStatus.CORRECTION,
        ApplicationStatus.APPROVED,
        ApplicationStatus.REJECTED,
    }
    assert len({a.applicant_id for a in applications}) > 40
    assert len({a.division_code for a in applications}) > 5
    assert len({a.matter_id for a in applications}) > 5
    rejected = [a for a in applications if a.status is ApplicationStatus.REJECTED]
    assert all(a.reason for a in rejected)
    corrections = [a for a in applications if a.status is ApplicationStatus.CORRECTION]
    assert all(a.reason for a in corrections)
    approved = {a.id for a in applications if a.status is ApplicationStatus.APPROVED}
    licensed = set(session.scalars(select(License.application_id))) - {None}
    assert licensed & approved
    assert licensed <= approved
    ledger = sum(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (LedgerEntry, LedgerPending)
    )
    assert ledger >= len(applications)
    open_tasks = session.scalar(
        select(func.count()).select_from(Task).where(Task.status == TaskStatus.OPEN)
    )
    assert open_tasks


def test_fees_awaiting_and_paid(session: Session) -> None:
    _load(session)
    assert catalog.get_matter(session, "ZF-001").fee_fen == DEMO_FEES["ZF-001"]
    orders = list(session.scalars(select(PaymentOrder)))
    assert orders
    in_review = {
        subject_of(a)
        for a in session.scalars(
            select(Application).where(Application.status == ApplicationStatus.IN_REVIEW)
        )
    }
    paid = [o for o in orders if payments.is_paid(session, o.subject)]
    unpaid = [o for o in orders if not payments.is_paid(session, o.subject)]
    assert unpaid
    assert {o.subject for o in unpaid} <= in_review
    assert any(o.subject in in_review for o in paid)


def test_ratings_open_cases_for_bad_ones(session: Session) -> None:
    _load(session)
    levels = list(session.scalars(select(Rating.overall)))
    assert levels
    assert min(levels) <= 2
    assert max(levels) == 5
    cases = session.scalar(select(func.count()).select_from(RectificationCase))
    assert cases == sum(1 for level in levels if level <= 2)


def test_a_second_load_adds_no_application(session: Session) -> None:
    _load(session)
    before = session.scalar(select(func.count()).select_from(Application))
    ratings = session.scalar(select(func.count()).select_from(Rating))
    report = load_demo(session, build_plan(seed=7, citizens=400, enterprises=40))
    assert report.stages["applications"].inserted == 0
    assert not report.changed
    assert session.scalar(select(func.count()).select_from(Application)) == before
    assert session.scalar(select(func.count()).select_from(Rating)) == ratings
