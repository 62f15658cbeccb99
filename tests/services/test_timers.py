"""Time limits with real BPMN timers: reminder points, escalations, the tick, corrections,
bundles and concurrent runs. Time moves by passing `now`; nothing sleeps."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from govhub.core.db import make_engine, utcnow
from govhub.identity import authn
from govhub.identity.models import Account, DepartmentType
from govhub.identity.permissions import Role
from govhub.ledger.models import LedgerPending
from govhub.notifications.models import Notification, NotificationKind
from govhub.services import service, timers, workflow
from govhub.services.models import Application, Task, TaskStatus
from govhub.services.schemas import ApplicationCreate, CorrectionCreate, Outcome, TaskComplete
from tests.factories import World, add_department, add_division, add_official
from tests.reservations.helpers import add_citizen
from tests.services.helpers import (
    Catalog,
    build_catalog,
    resident,
    restaurant_bundle,
    restaurant_form,
    sc001,
)


def _submit(session: Session, citizen: Account, **overrides: object) -> Application:
    principal = authn.principal_for(citizen)
    application, _ = service.submit(
        session, principal=principal, data=sc001(session, principal, **overrides)
    )
    return application


def _open(session: Session, application: Application) -> list[Task]:
    return list(
        session.scalars(
            select(Task)
            .where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
            .order_by(Task.matter_code)
        )
    )


def _reminder(task: Task) -> datetime:
    assert task.remind_at is not None
    return task.remind_at


def _notified(session: Session, kind: NotificationKind) -> dict[object, int]:
    rows = session.execute(
        select(Notification.recipient_id, func.count())
        .where(Notification.kind == kind)
        .group_by(Notification.recipient_id)
    ).all()
    return {recipient: count for recipient, count in rows}  # noqa: C416 - rows are not pairs


def _decide(
    session: Session, account: Account, task: Task, outcome: Outcome, comment: str = ""
) -> None:
    service.complete(
        session,
        principal=authn.principal_for(account),
        task_id=task.id,
        data=TaskComplete(outcome=outcome, comment=comment or None),
    )


class TestLimits:
    def test_timers_sit_at_the_reminder_point_and_the_promised_limit(
        self, session: Session, world: World
    ) -> None:
        build_catalog(session, world)
        application = _submit(session, resident(session))
        (task,) = _open(session, application)
        # SC-001 promises one working day.
        assert application.due_at == workflow.add_working_days(application.submitted_at, 1)
        span = application.due_at - application.submitted_at
        assert task.due_at == application.due_at
        assert task.remind_at == application.submitted_at + span * 0.75
        waiting = workflow.timer_times(workflow.load(application.workflow_state))
        assert waiting == {"accept_remind": task.remind_at, "accept_escalate": task.due_at}

    def test_a_limit_in_hours_counts_hours(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        service.get_matter(session, "SC-001").promised_hours = 8
        application = _submit(session, resident(session))
        (task,) = _open(session, application)
        assert application.due_at - application.submitted_at == timedelta(hours=8)
        assert task.remind_at == application.submitted_at + timedelta(hours=6)

    def test_bundle_limit_is_its_longest_matter(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        application, _ = service.submit(
            session, principal=citizen, data=restaurant_bundle(session, citizen)
        )
        longest = max(
            service.get_matter(session, c).promised_days
            for c in ("SC-001", "SC-003", "GA-004", "ZF-001")
        )
        assert application.due_at == workflow.add_working_days(application.submitted_at, longest)
        tasks = _open(session, application)
        assert len(tasks) == 4
        assert {t.due_at for t in tasks} == {application.due_at}


class TestTick:
    def _setup(self, session: Session, world: World) -> tuple[Catalog, Account, Application]:
        catalog = build_catalog(session, world)
        leader = add_official(session, "mkt-leader", world.city_a_market, Role.LEADER)
        return catalog, leader, _submit(session, resident(session))

    def test_nothing_happens_before_the_reminder_point(
        self, session: Session, world: World
    ) -> None:
        _, _, application = self._setup(session, world)
        (task,) = _open(session, application)
        report, _ = timers.tick_batch(session, now=_reminder(task) - timedelta(seconds=1))
        assert report == timers.TickReport()
        assert session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == NotificationKind.TASK_REMINDER)) == 0  # fmt: skip

    def test_reminds_the_handlers_then_escalates_to_the_supervisors_once(
        self, session: Session, world: World
    ) -> None:
        catalog, leader, application = self._setup(session, world)
        (task,) = _open(session, application)
        at_reminder = _reminder(task) + timedelta(seconds=1)

        report, _ = timers.tick_batch(session, now=at_reminder)
        assert (report.applications, report.reminded, report.escalated) == (1, 1, 0)
        session.refresh(task)
        assert task.reminded_at == at_reminder
        assert task.escalated_at is None
        handlers = {catalog.market_approver.id, world.city_a_admin.id}
        assert _notified(session, NotificationKind.TASK_REMINDER) == dict.fromkeys(handlers, 1)
        process = workflow.load(session.get(Application, application.id).workflow_state)  # type: ignore[union-attr]
        assert set(workflow.timer_times(process)) == {"accept_escalate"}

        again, _ = timers.tick_batch(session, now=at_reminder)
        assert again == timers.TickReport()

        past_limit = task.due_at + timedelta(minutes=5)
        report, _ = timers.tick_batch(session, now=past_limit)
        assert (report.reminded, report.escalated) == (0, 1)
        session.refresh(task)
        assert task.escalated_at == past_limit
        assert task.status is TaskStatus.OPEN  # non-interrupting: the step still waits
        supervisors = {leader.id, world.city_a_admin.id}
        assert _notified(session, NotificationKind.TASK_ESCALATED) == dict.fromkeys(supervisors, 1)
        kinds = list(session.scalars(select(LedgerPending.kind).where(
            LedgerPending.subject == f"application:{application.id}")))  # fmt: skip
        assert kinds.count("application_escalated") == 1
        assert timers.tick_batch(session, now=past_limit)[0] == timers.TickReport()

        # The escalated step is still decided normally; the next step has its own timers.
        _decide(session, world.city_a_admin, task, Outcome.ACCEPT)
        (review,) = _open(session, application)
        assert review.step == "review"
        assert review.reminded_at is None
        assert review.escalated_at is None
        report, _ = timers.tick_batch(session, now=past_limit)
        assert (report.reminded, report.escalated) == (1, 1)

    def test_both_timers_due_fire_in_one_run(self, session: Session, world: World) -> None:
        _, _, application = self._setup(session, world)
        (task,) = _open(session, application)
        report, _ = timers.tick_batch(session, now=task.due_at + timedelta(days=1))
        assert (report.reminded, report.escalated) == (1, 1)
        process = workflow.load(session.get(Application, application.id).workflow_state)  # type: ignore[union-attr]
        assert workflow.timer_times(process) == {}
        completed = {t.task_spec.bpmn_id for t in process.get_tasks(state=TaskState.COMPLETED)}
        assert {"accept_reminded", "accept_escalated"} <= completed

    def test_a_correction_restarts_the_limit(self, session: Session, world: World) -> None:
        _, _, application = self._setup(session, world)
        (task,) = _open(session, application)
        first_due = task.due_at
        _decide(session, world.city_a_admin, task, Outcome.CORRECT, "请补充经营场所证明")
        # The applicant's own correction task has no timers.
        (correction,) = _open(session, application)
        assert correction.remind_at is None
        assert timers.tick_batch(session, now=first_due + timedelta(days=30))[0].reminded == 0
        citizen = authn.principal_for(session.get(Account, application.applicant_id))  # type: ignore[arg-type]
        service.correct(
            session, principal=citizen, application_id=application.id,
            data=CorrectionCreate(form={**restaurant_form(), "scope": "餐饮"}),
        )  # fmt: skip
        (accept,) = _open(session, application)
        assert accept.step == "accept"
        assert accept.due_at >= first_due
        assert application.due_at == accept.due_at
        assert _reminder(accept) > _reminder(task)

    def test_a_bundle_reminds_every_department(self, session: Session, world: World) -> None:
        catalog = build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        application, _ = service.submit(
            session, principal=citizen, data=restaurant_bundle(session, citizen)
        )
        tasks = _open(session, application)
        report, _ = timers.tick_batch(session, now=_reminder(tasks[0]) + timedelta(seconds=1))
        assert (report.applications, report.reminded) == (1, 4)
        reminded = _notified(session, NotificationKind.TASK_REMINDER)
        for approver in (catalog.fire_approver, catalog.urban_approver, catalog.market_approver):
            assert reminded[approver.id] >= 1
        # Every part is still decided after the shared timer fired.
        for task in tasks:
            approver = {
                catalog.fire.id: catalog.fire_approver,
                catalog.urban.id: catalog.urban_approver,
            }.get(task.department_id, catalog.market_approver)  # type: ignore[arg-type]
            _decide(session, approver, task, Outcome.APPROVE)
        session.refresh(application)
        assert application.status.value == "approved"

    def test_tick_walks_every_application_in_batches(
        self, session: Session, world: World, session_factory: sessionmaker[Session]
    ) -> None:
        build_catalog(session, world)
        citizen = resident(session)
        applications = [
            _submit(session, citizen, form={**restaurant_form(), "business_name": f"面馆{i}"})
            for i in range(5)
        ]
        session.commit()
        now = max(a.due_at for a in applications) + timedelta(hours=1)
        report = timers.tick(now=now, batch=2, sessions=session_factory)
        assert (report.applications, report.reminded, report.escalated) == (5, 5, 5)
        assert timers.tick(now=now, batch=2, sessions=session_factory) == timers.TickReport()


def test_concurrent_ticks_remind_each_task_once(own_url: str) -> None:
    """Four runs at once over the same due tasks: each task is reminded exactly once (row locks
    share the work on PostgreSQL; SQLite serializes writers, and a run that loses is run
    again, as a scheduler would)."""
    engine = make_engine(own_url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    try:
        with factory() as session:
            add_division(session, "330000", "浙江省")
            add_division(session, "330100", "杭州市")
            tax = add_department(session, "A-SWJ", "330100", DepartmentType.TAXATION)
            approver = add_official(session, "tax-approver", tax, Role.APPROVER)
            citizen = authn.principal_for(add_citizen(session, with_password=False))
            service.load_standard(session)
            for i in range(12):
                service.submit(session, principal=citizen, data=_invoice(i))
            session.commit()
        now = utcnow() + timedelta(days=30)
        reports: list[timers.TickReport] = []
        lost: list[OperationalError] = []
        lock = threading.Lock()
        start = threading.Barrier(4)

        def work() -> None:
            start.wait()
            while True:
                try:
                    report = timers.tick(now=now, batch=3, sessions=factory)
                    break
                except OperationalError as exc:  # SQLite: another writer held the database
                    with lock:
                        lost.append(exc)
            with lock:
                reports.append(report)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(reports) == 4
        if not lost:  # PostgreSQL: the runs shared the batches, nobody waited or failed
            assert sum(r.reminded for r in reports) == 12
            assert sum(r.escalated for r in reports) == 12
        with factory() as session:
            reminders = session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(
                    Notification.recipient_id == approver.id,
                    Notification.kind == NotificationKind.TASK_REMINDER,
                )
            )
            assert reminders == 12
            escalations = session.scalar(
                select(func.count())
                .select_from(LedgerPending)
                .where(LedgerPending.kind == "application_escalated")
            )
            assert escalations == 12
            open_due = session.scalar(
                select(func.count()).select_from(Task).where(Task.reminded_at.is_(None))
            )
            assert open_due == 0
    finally:
        engine.dispose()


def _invoice(i: int) -> ApplicationCreate:
    return ApplicationCreate.model_validate(
        {"matter_code": "SW-001", "division_code": "330100",
         "form": {"applicant_name": "张三", "phone": "13800138000", "quantity": i + 1}}
    )  # fmt: skip
