"""BPMN 2.0 processes executed with SpiffWorkflow: starting an application's process, turning
its ready user tasks into inbox rows, completing them, and the approval-cycle metrics.

`matter_review` runs accept → review → decide, with rejection (a reason required) and a
correction loop back to the applicant; `bundle_parallel` runs one approval per matter of a
bundle in parallel (a multi-instance user task), approved only when every department approves.
The workflow's state is serialized as JSON into the application row between steps.

Each official step carries two non-interrupting boundary timers, `<step>_remind` and
`<step>_escalate`, whose times the process data hold (`remind_at`, `due_at`, set from the
matter's promised time limit); `sync_tasks` copies them onto the inbox rows so that
`services.timers` can find the due ones without loading every workflow.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeAlias

from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.parser import BpmnParser  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # type: ignore[import-untyped]
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.notifications.models import NotificationKind
from govhub.services import notices
from govhub.services.models import Application, ApplicationStatus, Task, TaskStatus
from govhub.services.schemas import Outcome, Statistics, StepMetrics, TaskComplete

PROCESSES = Path(__file__).parent / "processes"
CORRECTION_STEP = "correction"
# Which decisions each official step admits.
STEP_OUTCOMES: dict[str, frozenset[Outcome]] = {
    "accept": frozenset({Outcome.ACCEPT, Outcome.CORRECT, Outcome.REJECT}),
    "review": frozenset({Outcome.APPROVE, Outcome.REJECT}),
    "decide": frozenset({Outcome.APPROVE, Outcome.REJECT}),
    "approve": frozenset({Outcome.APPROVE, Outcome.REJECT}),
}
NEEDS_REASON = frozenset({Outcome.CORRECT, Outcome.REJECT})
TIMER_EVENT = "TimeDateEventDefinition"

ApprovalHook = Callable[[Session, Application], None]
on_approved: list[ApprovalHook] = []
"""Called in the approving transaction for each approved application (e-licenses, payments)."""

DecisionGate = Callable[[Session, Application, Task, str], None]
before_decision: list[DecisionGate] = []
"""Called before an official's decision changes anything; raising refuses it (the fee gate)."""

_serializer = BpmnWorkflowSerializer()
Process: TypeAlias = BpmnWorkflow  # a running process (SpiffWorkflow ships no type hints)


_specs: dict[str, Any] = {}
_specs_lock = threading.Lock()


def _all_specs() -> dict[str, Any]:
    """Parse the process files once, under a lock (SpiffWorkflow's parser is not thread-safe);
    the parsed specs are only read afterwards."""
    with _specs_lock:
        if not _specs:
            parser = BpmnParser()
            for path in sorted(PROCESSES.glob("*.bpmn")):
                parser.add_bpmn_file(str(path))
            for key in parser.get_process_ids():
                _specs[key] = parser.get_spec(key)
        return _specs


def process_keys() -> list[str]:
    """Return the ids of the executable processes."""
    return sorted(_all_specs())


def start(process_key: str, data: dict[str, Any]) -> BpmnWorkflow:
    """Start process `process_key` with `data` and run it to its first user tasks."""
    spec = _all_specs().get(process_key)
    if spec is None:
        raise InvalidInput(f"unknown process {process_key!r}", field="process_key")
    workflow = BpmnWorkflow(spec)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    workflow.do_engine_steps()
    return workflow


def dump(workflow: BpmnWorkflow) -> str:
    """Serialize a workflow's state as JSON."""
    text: str = _serializer.serialize_json(workflow)
    return text


def load(state: str) -> BpmnWorkflow:
    """Restore a workflow from its serialized state."""
    return _serializer.deserialize_json(state)


def add_working_days(start_at: datetime, days: int) -> datetime:
    """Return `start_at` plus `days` working days (Saturdays and Sundays skipped)."""
    current = start_at
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def timer_times(workflow: BpmnWorkflow) -> dict[str, datetime]:
    """Return the times of the workflow's waiting timers, by timer id (`<step>_remind`...)."""
    return {
        event.name: datetime.fromisoformat(event.value)
        for event in workflow.waiting_events()
        if event.event_type == TIMER_EVENT and event.value
    }


def sync_tasks(
    session: Session, application: Application, workflow: BpmnWorkflow, *, new: bool = False
) -> list[Task]:
    """Create inbox rows for the workflow's ready user tasks that have none yet (`new`: the
    application was just created, so none has)."""
    known: set[uuid.UUID] = set()
    if not new:
        query = select(Task.spiff_id).where(Task.application_id == application.id)
        known = set(session.scalars(query))
    created = []
    timers = timer_times(workflow)
    for ready in workflow.get_tasks(state=TaskState.READY, manual=True):
        if ready.id in known:
            continue
        step = ready.task_spec.bpmn_id
        part = ready.data.get("part") or {}
        department: uuid.UUID | None
        if step == CORRECTION_STEP:
            department = None
        elif part:
            department = uuid.UUID(part["department_id"])
        else:
            department = application.department_id
        task = Task(
            application_id=application.id,
            spiff_id=ready.id,
            step=step,
            matter_code=part.get("matter_code") or ready.data.get("matter_code", ""),
            department_id=department,
            division_code=application.division_code,
            status=TaskStatus.OPEN,
            due_at=timers.get(f"{step}_escalate", application.due_at),
            remind_at=timers.get(f"{step}_remind"),
        )
        session.add(task)
        created.append(task)
    session.flush()
    return created


def _finished_as(workflow: BpmnWorkflow) -> ApplicationStatus:
    ends = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)}
    return ApplicationStatus.APPROVED if "approved" in ends else ApplicationStatus.REJECTED


def _department_task(session: Session, principal: Principal, task_id: uuid.UUID) -> Task:
    task = session.get(Task, task_id)
    if task is None or task.department_id is None or task.department_id != principal.department_id:
        raise NotFound("no such task")
    return task


def advance(
    session: Session,
    application: Application,
    task: Task,
    *,
    outcome: str | None,
    actor: Principal,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
) -> Application:
    """Complete `task` in the workflow with `outcome` (and process `data`, such as fresh time
    limits), create the next tasks, settle the application's status when the process ends and
    tell the applicant."""
    workflow = load(application.workflow_state)
    spiff_task = workflow.get_task_from_id(task.spiff_id)
    if spiff_task is None or spiff_task.state != TaskState.READY:  # pragma: no cover
        raise Conflict("the task is no longer waiting")
    spiff_task.data.update(data or {})
    spiff_task.data["outcome"] = outcome
    spiff_task.run()
    workflow.do_engine_steps()
    now = utcnow()
    task.status = TaskStatus.COMPLETED
    task.completed_at = now
    task.completed_by = actor.account_id
    task.outcome = outcome
    task.comment = comment
    sync_tasks(session, application, workflow)
    application.workflow_state = dump(workflow)
    if outcome in NEEDS_REASON:
        application.reason = comment
    if workflow.is_completed():
        application.status = _finished_as(workflow)
        application.decided_at = now
        kind = (
            EntryKind.APPLICATION_APPROVED
            if application.status is ApplicationStatus.APPROVED
            else EntryKind.APPLICATION_REJECTED
        )
        ledger.record(
            session,
            kind=kind,
            actor=ledger.actor_of(actor),
            subject=f"application:{application.id}",
            payload={
                "application": str(application.id),
                "form_digest": application.form_digest,
                "status": application.status.value,
            },
            department_id=task.department_id,
        )
        if application.status is ApplicationStatus.APPROVED:
            notices.to_applicant(session, application, NotificationKind.APPLICATION_APPROVED)
            for hook in on_approved:
                hook(session, application)
        else:
            notices.to_applicant(
                session,
                application,
                NotificationKind.APPLICATION_REJECTED,
                reason=application.reason or "",
            )
    elif outcome == Outcome.CORRECT:
        application.status = ApplicationStatus.CORRECTION
        notices.to_applicant(
            session, application, NotificationKind.CORRECTION_REQUESTED, reason=comment or ""
        )
    else:
        application.status = ApplicationStatus.IN_REVIEW
        if outcome == Outcome.ACCEPT:
            notices.to_applicant(session, application, NotificationKind.APPLICATION_ACCEPTED)
    session.flush()
    return application


def complete(
    session: Session, *, principal: Principal, task_id: uuid.UUID, data: TaskComplete
) -> Task:
    """Decide on a task of your department; other departments' tasks do not exist for you."""
    task = _department_task(session, principal, task_id)
    if task.status is not TaskStatus.OPEN:
        raise Conflict("the task is already completed")
    allowed = STEP_OUTCOMES.get(task.step, frozenset())
    if data.outcome not in allowed:
        choices = ", ".join(sorted(o.value for o in allowed))
        raise InvalidInput(f"step {task.step} admits: {choices}", field="outcome")
    if data.outcome in NEEDS_REASON and not (data.comment or "").strip():
        raise InvalidInput("a rejection or correction request needs a reason", field="comment")
    application = session.get(Application, task.application_id, with_for_update=True)
    if application is None:  # pragma: no cover - foreign key
        raise NotFound("no such task")
    session.refresh(task)
    if task.status is not TaskStatus.OPEN:  # pragma: no cover - a concurrent decision won
        raise Conflict("the task is already completed")
    for gate in before_decision:
        gate(session, application, task, data.outcome.value)
    advance(
        session,
        application,
        task,
        outcome=data.outcome.value,
        actor=principal,
        comment=data.comment,
    )
    return task


def is_overdue(task: Task, now: datetime | None = None) -> bool:
    """Tell whether a task passed its due time (open now, or completed late)."""
    if task.completed_at is not None:
        return task.completed_at > task.due_at
    return (now or utcnow()) > task.due_at


def inbox(
    session: Session,
    *,
    principal: Principal,
    status: TaskStatus = TaskStatus.OPEN,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Task], int]:
    """List your department's tasks (oldest first) and their total count."""
    if principal.department_id is None:
        return [], 0
    count, page = inbox_queries(principal.department_id, status, limit=limit, offset=offset)
    total = session.scalar(count) or 0
    return list(session.scalars(page)), total


def inbox_queries(
    department_id: uuid.UUID, status: TaskStatus, *, limit: int = 50, offset: int = 0
) -> tuple[Select[int], Select[Task]]:
    """Return the inbox's two statements: its total, and one page oldest first (both read the
    index on department, status and creation time)."""
    where = (Task.department_id == department_id, Task.status == status)
    count = select(func.count()).select_from(Task).where(*where)
    page = select(Task).where(*where).order_by(Task.created_at, Task.id).limit(limit).offset(offset)
    return count, page


def get_task(session: Session, *, principal: Principal, task_id: uuid.UUID) -> Task:
    """Return one task of your department."""
    return _department_task(session, principal, task_id)


def statistics(session: Session, *, principal: Principal) -> Statistics:
    """Applications by status and time per step, over your department's tasks."""
    department = principal.department_id
    if department is None:
        return Statistics(applications={}, steps=[], overdue_open_tasks=0)
    ids = select(Task.application_id).where(Task.department_id == department).distinct()
    counts = session.execute(
        select(Application.status, func.count())
        .where(Application.id.in_(ids))
        .group_by(Application.status)
    )
    applications = {status.value: n for status, n in counts.all()}
    now = utcnow()
    per_step: dict[str, dict[str, Any]] = {}
    rows = session.execute(
        select(Task.step, Task.created_at, Task.completed_at, Task.due_at).where(
            Task.department_id == department
        )
    )
    for step, created_at, completed_at, due_at in rows:
        entry = per_step.setdefault(step, {"completed": 0, "open": 0, "overdue": 0, "hours": 0.0})
        if completed_at is None:
            entry["open"] += 1
            entry["overdue"] += int(now > due_at)
        else:
            entry["completed"] += 1
            entry["overdue"] += int(completed_at > due_at)
            entry["hours"] += (completed_at - created_at).total_seconds() / 3600
    steps = [
        StepMetrics(
            step=step,
            completed=e["completed"],
            open=e["open"],
            overdue=e["overdue"],
            mean_hours=round(e["hours"] / e["completed"], 3) if e["completed"] else None,
        )
        for step, e in sorted(per_step.items())
    ]
    overdue_open = session.scalar(
        select(func.count())
        .select_from(Task)
        .where(
            Task.department_id == department,
            Task.status == TaskStatus.OPEN,
            Task.due_at < now,
        )
    )
    return Statistics(applications=applications, steps=steps, overdue_open_tasks=overdue_open or 0)
