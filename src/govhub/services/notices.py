"""Who hears of what in online services: applicants of their applications' status changes,
a department's officials of reminders, escalations and transferred tasks."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from govhub.identity.permissions import Role
from govhub.notifications import service as notifications
from govhub.notifications.models import NotificationKind
from govhub.services.models import Application, Bundle, Matter, Task

# The officials reminded of a department's tasks, and those an escalation reaches.
HANDLERS = (Role.APPROVER, Role.DEPT_ADMIN)
SUPERVISORS = (Role.LEADER, Role.DEPT_ADMIN)
APPLICANT_LINK = "/services/mine"
INBOX_LINK = "/services/inbox"


def label_of(session: Session, application: Application) -> str:
    """Return the code of the application's matter, or of its bundle."""
    if application.matter_id is not None:
        matter = session.get(Matter, application.matter_id)
        return matter.code if matter is not None else ""
    bundle = session.get(Bundle, application.bundle_id)
    return bundle.code if bundle is not None else ""


def to_applicant(
    session: Session, application: Application, kind: NotificationKind, **params: Any
) -> None:
    """Tell the applicant about their application."""
    notifications.notify(
        session,
        [application.applicant_id],
        kind,
        subject=f"application:{application.id}",
        params={"matter": label_of(session, application), **params},
        link=APPLICANT_LINK,
    )


def to_department(
    session: Session,
    task: Task,
    kind: NotificationKind,
    roles: tuple[Role, ...],
    **params: Any,
) -> None:
    """Tell the officials of the task's department holding `roles`."""
    if task.department_id is None:  # pragma: no cover - the applicant's task has no timers
        return
    recipients = notifications.department_members(session, task.department_id, roles)
    notifications.notify(
        session,
        recipients,
        kind,
        subject=f"application:{task.application_id}",
        params={"matter": task.matter_code, "step": task.step, **params},
        link=f"{INBOX_LINK}#task-{task.id}",
    )
