"""Time limits of the officials' steps: reminders and escalations driven by BPMN timers.

Each official step of a process carries two non-interrupting boundary timers: `<step>_remind`
at the reminder point (`REMINDER_SHARE` of the promised time limit) and `<step>_escalate` at
the limit. The limit is the matter's promised one, in hours when the catalog states hours,
otherwise in working days (of a bundle: its longest matter's). SpiffWorkflow's timers need
someone to fire them: `tick` (the `govhub services tick` command, or any scheduler) finds the
open tasks whose reminder point or limit passed, locks their applications (`FOR UPDATE SKIP
LOCKED`: concurrent runs share the work), fires the due timers in the workflow and claims each
task with a conditional update, so every reminder and escalation happens exactly once.

A reminder tells the department's approvers and administrators; an escalation marks the task
escalated, tells the department's leaders and administrators and is ledgered. The clock is a
parameter: tests move time by passing `now`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (  # type: ignore[import-untyped]
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.util import BpmnEvent  # type: ignore[import-untyped]
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from govhub.core import db
from govhub.core.db import utcnow
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.notifications.models import NotificationKind
from govhub.services import notices, workflow
from govhub.services.models import Application, Matter, Task, TaskStatus

REMINDER_SHARE = 0.75
LEDGER_ACTOR = "service:timers"
DEFAULT_BATCH = 200


def time_limit(start: datetime, matters: list[Matter]) -> datetime:
    """Return when the promised time limit of `matters` (the longest) ends from `start`."""
    return max(
        start + timedelta(hours=m.promised_hours)
        if m.promised_hours
        else workflow.add_working_days(start, m.promised_days)
        for m in matters
    )


def process_limits(start: datetime, due: datetime) -> dict[str, str]:
    """Return the process data that sets the timers: the reminder point and the limit."""
    remind = start + (due - start) * REMINDER_SHARE
    return {"remind_at": remind.isoformat(), "due_at": due.isoformat()}


@dataclass
class TickReport:
    """What a run of the timers did."""

    applications: int = 0
    reminded: int = 0
    escalated: int = 0

    def add(self, other: TickReport) -> None:
        """Add another batch's counts."""
        self.applications += other.applications
        self.reminded += other.reminded
        self.escalated += other.escalated


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        Task.status == TaskStatus.OPEN,
        Task.remind_at.is_not(None),
        or_(
            and_(Task.reminded_at.is_(None), Task.remind_at <= now),
            and_(Task.escalated_at.is_(None), Task.due_at <= now),
        ),
    )


def _claim(session: Session, task: Task, column: str, now: datetime) -> bool:
    """Set `column` of `task` to `now` unless someone already did; tell whether we did."""
    field = getattr(Task, column)
    result = session.execute(
        update(Task)
        .where(Task.id == task.id, field.is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    session.expire(task, [column])
    return bool(getattr(result, "rowcount", 0))


def _remind(session: Session, task: Task) -> None:
    notices.to_department(
        session, task, NotificationKind.TASK_REMINDER, notices.HANDLERS,
        due=task.due_at.strftime("%Y-%m-%d %H:%M"),
    )  # fmt: skip


def _escalate(session: Session, task: Task) -> None:
    notices.to_department(
        session, task, NotificationKind.TASK_ESCALATED, notices.SUPERVISORS,
        due=task.due_at.strftime("%Y-%m-%d %H:%M"),
    )  # fmt: skip
    ledger.record(
        session,
        kind=EntryKind.APPLICATION_ESCALATED,
        actor=LEDGER_ACTOR,
        subject=f"application:{task.application_id}",
        payload={
            "application": str(task.application_id),
            "task": str(task.id),
            "step": task.step,
            "due_at": task.due_at.isoformat(),
        },
        department_id=task.department_id,
    )


def _fire(session: Session, application: Application, now: datetime) -> TickReport:
    """Fire the application's due timers and act on each task claimed."""
    report = TickReport(applications=1)
    tasks = session.scalars(
        select(Task)
        .where(Task.application_id == application.id, _due(now))
        .order_by(Task.id)
        .execution_options(populate_existing=True)
    ).all()
    process = workflow.load(application.workflow_state)
    waiting = set(workflow.timer_times(process))
    fired = False
    for task in tasks:
        for kind, at, column, act in (
            ("remind", task.remind_at, "reminded_at", _remind),
            ("escalate", task.due_at, "escalated_at", _escalate),
        ):
            if at is None or at > now or getattr(task, column) is not None:
                continue
            name = f"{task.step}_{kind}"
            if name in waiting:  # a bundle's parts share their step's timers
                process.send_event(BpmnEvent(TimeDateEventDefinition(name, "")))
                waiting.discard(name)
                fired = True
            if _claim(session, task, column, now):
                act(session, task)
                if kind == "remind":
                    report.reminded += 1
                else:
                    report.escalated += 1
    if fired:
        process.do_engine_steps()
        application.workflow_state = workflow.dump(process)
    session.flush()
    return report


def tick_batch(
    session: Session,
    *,
    now: datetime | None = None,
    after: uuid.UUID | None = None,
    limit: int = DEFAULT_BATCH,
) -> tuple[TickReport, uuid.UUID | None]:
    """Fire the due timers of up to `limit` applications whose ids follow `after`; return what
    was done and the last id looked at (None: nothing is left)."""
    now = now or utcnow()
    query = select(Task.application_id).where(_due(now))
    if after is not None:
        query = query.where(Task.application_id > after)
    ids = list(
        session.scalars(
            query.group_by(Task.application_id).order_by(Task.application_id).limit(limit)
        )
    )
    report = TickReport()
    if not ids:
        return report, None
    locked = session.scalars(
        select(Application)
        .where(Application.id.in_(ids))
        .order_by(Application.id)
        .with_for_update(skip_locked=True)
    ).all()
    for application in locked:
        report.add(_fire(session, application, now))
    return report, ids[-1]


def tick(
    *,
    now: datetime | None = None,
    batch: int = DEFAULT_BATCH,
    sessions: Callable[[], Session] | None = None,
) -> TickReport:
    """Fire every due timer, one transaction per batch of applications (for the command line
    and schedulers); `sessions` makes the sessions (default: the platform's)."""
    now = now or utcnow()
    make = sessions or db.get_sessionmaker()
    total = TickReport()
    after: uuid.UUID | None = None
    while True:
        with make() as session:
            report, after = tick_batch(session, now=now, after=after, limit=batch)
            session.commit()
        total.add(report)
        if after is None:
            return total
