"""Ratings: rating completed services, rectification cases, appeals and statistics."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.identity import authn
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.ledger.models import LedgerPending
from govhub.ratings import service as ratings
from govhub.ratings.models import AppealStatus, CaseStatus, Rating, Resolution
from govhub.ratings.schemas import (
    AppealCreate,
    AppealDecision,
    CaseClose,
    RatingCreate,
    ReturnVisit,
    StatsBy,
)
from govhub.ratings.settings import get_rating_settings
from govhub.services import service as services
from govhub.services.models import Task
from govhub.services.schemas import Outcome, TaskComplete
from tests.factories import World, add_official
from tests.ratings.helpers import bad_case, body, completed
from tests.services.helpers import Catalog, build_catalog, resident, restaurant_bundle, sc001


@pytest.fixture
def catalog(session: Session, world: World) -> Catalog:
    return build_catalog(session, world)


@pytest.fixture
def citizen(session: Session, catalog: Catalog) -> Principal:
    return authn.principal_for(resident(session))


def _rate(session: Session, citizen: Principal, **values: object) -> Rating:
    return ratings.rate(session, principal=citizen, data=RatingCreate.model_validate(values))


def _kinds(session: Session) -> list[str]:
    return list(session.scalars(select(LedgerPending.kind).order_by(LedgerPending.seq)))


class TestRate:
    def test_good_rating_is_stored_and_ledgered_without_a_case(
        self, session: Session, world: World, citizen: Principal
    ) -> None:
        application = completed(session, citizen, world.city_a_admin)
        rating = _rate(session, citizen, **body(application, 5))
        assert (rating.matter_code, rating.department_id) == ("SC-001", world.city_a_market.id)
        assert ratings.rating_read(session, rating).case_id is None
        assert "rating_submitted" in _kinds(session)
        assert "rectification_opened" not in _kinds(session)

    def test_rejected_applications_can_be_rated_too(
        self, session: Session, world: World, citizen: Principal
    ) -> None:
        application = completed(session, citizen, world.city_a_admin, reject=True)
        assert _rate(session, citizen, **body(application, 3)).overall == 3

    def test_second_rating_conflicts(
        self, session: Session, world: World, citizen: Principal
    ) -> None:
        application = completed(session, citizen, world.city_a_admin)
        _rate(session, citizen, **body(application, 4))
        with pytest.raises(Conflict):
            _rate(session, citizen, **body(application, 1))

    def test_unfinished_and_foreign_applications_are_refused(
        self, session: Session, world: World, citizen: Principal
    ) -> None:
        pending, _ = services.submit(session, principal=citizen, data=sc001(session, citizen))
        with pytest.raises(Conflict, match="completed"):
            _rate(session, citizen, **body(pending, 5))
        application = completed(session, citizen, world.city_a_admin, n=1)
        other = authn.principal_for(resident(session))
        with pytest.raises(NotFound):
            _rate(session, other, **body(application, 5))
        with pytest.raises(InvalidInput):
            _rate(session, citizen, **body(application, 5, matter_code="SC-003"))
        assert session.scalars(select(Rating)).all() == []

    def test_bundles_are_rated_per_matter_and_the_office_is_the_handling_one(
        self, session: Session, world: World, catalog: Catalog, citizen: Principal
    ) -> None:
        application, _ = services.submit(
            session, principal=citizen, data=restaurant_bundle(session, citizen)
        )
        for account in (catalog.market_approver, catalog.fire_approver, catalog.urban_approver):
            principal = authn.principal_for(account)
            for task in services.inbox(session, principal=principal)[0]:
                decision = TaskComplete(outcome=Outcome.APPROVE)
                services.complete(session, principal=principal, task_id=task.id, data=decision)
        with pytest.raises(InvalidInput):
            _rate(session, citizen, **body(application, 5))
        fire = _rate(session, citizen, **body(application, 2, matter_code="GA-004"))
        market = _rate(session, citizen, **body(application, 5, matter_code="SC-001"))
        assert fire.department_id == catalog.fire.id
        assert market.department_id == world.city_a_market.id
        with pytest.raises(Conflict):
            _rate(session, citizen, **body(application, 5, matter_code="GA-004"))
        fire_approver = authn.principal_for(catalog.fire_approver)
        cases, total = ratings.inbox(session, principal=fire_approver)
        assert total == 1
        assert cases[0].rating_id == fire.id
        assert session.scalars(select(Task)).first() is not None


class TestRectification:
    def test_bad_rating_opens_a_case_due_in_working_days(
        self, session: Session, world: World, citizen: Principal
    ) -> None:
        record = bad_case(session, citizen, completed(session, citizen, world.city_a_admin))
        days = get_rating_settings().rectification_working_days
        assert record.status is CaseStatus.OPEN
        assert record.department_id == world.city_a_market.id
        assert record.due_at == services.add_working_days(record.opened_at, days)
        assert record.due_at.weekday() < 5
        assert (record.due_at - record.opened_at).days >= days
        assert "rectification_opened" in _kinds(session)

    def test_visit_then_close_as_rectified(
        self, session: Session, world: World, citizen: Principal
    ) -> None:
        record = bad_case(session, citizen, completed(session, citizen, world.city_a_admin))
        admin = authn.principal_for(world.city_a_admin)
        measures = CaseClose(measures="优化审批流程，压缩办理时限")
        with pytest.raises(Conflict):
            ratings.close(session, principal=admin, case_id=record.id, data=measures)
        visit = ReturnVisit(contact_name="王小明", notes="已电话回访，申请人认可整改方案")
        ratings.record_visit(session, principal=admin, case_id=record.id, data=visit)
        assert record.status is CaseStatus.VISITED
        with pytest.raises(Conflict):
            ratings.record_visit(session, principal=admin, case_id=record.id, data=visit)
        ratings.close(session, principal=admin, case_id=record.id, data=measures)
        assert (record.status, record.resolution) == (CaseStatus.CLOSED, Resolution.RECTIFIED)
        assert "rectification_closed" in _kinds(session)
        read = ratings.case_read(session, record)
        assert not read.overdue
        assert read.overall == 1

    def test_other_departments_do_not_see_the_case(
        self, session: Session, world: World, citizen: Principal
    ) -> None:
        record = bad_case(session, citizen, completed(session, citizen, world.city_a_admin))
        for account in (world.city_b_admin, world.county_a_official, world.platform_admin):
            principal = authn.principal_for(account)
            with pytest.raises(NotFound):
                ratings.get_case(session, principal=principal, case_id=record.id)
            assert ratings.inbox(session, principal=principal) == ([], 0)

    def test_overdue_flag(self, session: Session, world: World, citizen: Principal) -> None:
        record = bad_case(session, citizen, completed(session, citizen, world.city_a_admin))
        later = services.add_working_days(record.due_at, 1)
        assert ratings.case_read(session, record, now=later).overdue


class TestAppeal:
    def _appealed(
        self, session: Session, world: World, citizen: Principal
    ) -> tuple[Rating, uuid.UUID]:
        application = completed(session, citizen, world.city_a_admin)
        record = bad_case(session, citizen, application)
        approver = authn.principal_for(
            add_official(session, "ratings-approver", world.city_a_market, Role.APPROVER)
        )
        reason = AppealCreate(reason="申请人误评：评价对象应为其他部门")
        ratings.appeal(session, principal=approver, case_id=record.id, data=reason)
        with pytest.raises(Conflict):
            ratings.appeal(session, principal=approver, case_id=record.id, data=reason)
        with pytest.raises(Conflict):
            ratings.decide(
                session, principal=approver, case_id=record.id,
                data=AppealDecision(upheld=True, reason="x"),
            )  # fmt: skip
        return session.get_one(Rating, record.rating_id), record.id

    def test_upheld_appeal_excludes_the_rating_and_closes_the_case(
        self, session: Session, world: World, citizen: Principal
    ) -> None:
        rating, case_id = self._appealed(session, world, citizen)
        assert ratings.statistics(session).total == 1
        admin_b = authn.principal_for(world.city_b_admin)
        decision = AppealDecision(upheld=True, reason="核实属误评")
        with pytest.raises(NotFound):
            ratings.decide(session, principal=admin_b, case_id=case_id, data=decision)
        assert ratings.appeals(session, principal=admin_b) == []
        admin = authn.principal_for(world.city_a_admin)
        assert len(ratings.appeals(session, principal=admin)) == 1
        record = ratings.decide(session, principal=admin, case_id=case_id, data=decision)
        assert record.appeal_status is AppealStatus.UPHELD
        assert (record.status, record.resolution) == (CaseStatus.CLOSED, Resolution.EXCLUDED)
        assert rating.excluded
        assert ratings.statistics(session).total == 0
        with pytest.raises(Conflict):
            ratings.decide(session, principal=admin, case_id=case_id, data=decision)

    def test_dismissed_appeal_keeps_the_rating_and_the_case_open(
        self, session: Session, world: World, citizen: Principal
    ) -> None:
        rating, case_id = self._appealed(session, world, citizen)
        platform = authn.principal_for(world.platform_admin)
        decision = AppealDecision(upheld=False, reason="评价属实")
        record = ratings.decide(session, principal=platform, case_id=case_id, data=decision)
        assert record.appeal_status is AppealStatus.DISMISSED
        assert record.status is CaseStatus.OPEN
        assert not rating.excluded
        assert ratings.statistics(session).total == 1


class TestStatistics:
    def test_counts_rates_and_grouping(
        self, session: Session, world: World, citizen: Principal
    ) -> None:
        for n, level in enumerate((5, 4, 3, 1)):
            _rate(
                session,
                citizen,
                **body(completed(session, citizen, world.city_a_admin, n=n), level),
            )
        stats = ratings.statistics(session, by=StatsBy.MATTER)
        assert (stats.total, stats.satisfaction_rate) == (4, 0.5)
        row = stats.rows[0]
        assert (row.key, row.count, row.satisfied, row.dissatisfied) == ("SC-001", 4, 2, 1)
        assert row.levels == {"1": 1, "2": 0, "3": 1, "4": 1, "5": 1}
        assert row.average == 3.25
        assert row.dimensions["usability"] == 3.25
        assert row.name != "SC-001"
        department = ratings.statistics(session, by=StatsBy.DEPARTMENT).rows[0]
        assert (department.key, department.name) == (
            str(world.city_a_market.id),
            world.city_a_market.name,
        )
        division = ratings.statistics(session, by=StatsBy.DIVISION).rows[0]
        assert (division.key, division.count) == ("330100", 4)

    def test_empty(self, session: Session) -> None:
        stats = ratings.statistics(session)
        assert (stats.total, stats.satisfaction_rate, stats.rows) == (0, 0.0, [])


class TestInbox:
    def test_status_filter_and_residents_have_no_inbox(
        self, session: Session, world: World, citizen: Principal
    ) -> None:
        record = bad_case(session, citizen, completed(session, citizen, world.city_a_admin))
        admin = authn.principal_for(world.city_a_admin)
        assert ratings.inbox(session, principal=admin, status=CaseStatus.OPEN)[1] == 1
        assert ratings.inbox(session, principal=admin, status=CaseStatus.CLOSED) == ([], 0)
        assert ratings.get_case(session, principal=admin, case_id=record.id) is record
        assert ratings.inbox(session, principal=citizen) == ([], 0)

    def test_a_pending_appeal_blocks_closing(
        self, session: Session, world: World, citizen: Principal
    ) -> None:
        record = bad_case(session, citizen, completed(session, citizen, world.city_a_admin))
        admin = authn.principal_for(world.city_a_admin)
        visit = ReturnVisit(contact_name="王小明", notes="已回访")
        ratings.record_visit(session, principal=admin, case_id=record.id, data=visit)
        ratings.appeal(
            session, principal=admin, case_id=record.id, data=AppealCreate(reason="误评")
        )
        with pytest.raises(Conflict, match="appeal"):
            ratings.close(session, principal=admin, case_id=record.id, data=CaseClose(measures="x"))
        assert record.status is CaseStatus.VISITED
