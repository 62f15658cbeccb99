"""Cross-region handling: the accepting department routes an application to the competent
department of another division that offers the same matter.

The open task moves to that department's inbox (the application follows it to the division),
the applicant and the receiving officials are told, and the transfer is ledgered. A task of
another department does not exist for the caller; a decided task or application, a bundle (its
parts are approved where it was submitted), the same division, an unknown division or one that
does not offer the matter is refused and changes nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import Conflict, InvalidInput
from govhub.identity.models import Division
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from govhub.notifications.models import NotificationKind
from govhub.services import notices, workflow
from govhub.services.models import (
    Application,
    ApplicationStatus,
    Matter,
    MatterInstance,
    Task,
    TaskStatus,
)
from govhub.services.schemas import TaskTransfer


def _target(session: Session, matter: Matter, division_code: str) -> MatterInstance:
    if session.get(Division, division_code) is None:
        raise InvalidInput(f"no division {division_code}", field="division_code")
    instance = session.scalars(
        select(MatterInstance).where(
            MatterInstance.matter_id == matter.id, MatterInstance.division_code == division_code
        )
    ).one_or_none()
    if instance is None:
        raise InvalidInput(
            f"matter {matter.code} is not offered in division {division_code}",
            field="division_code",
        )
    return instance


def transfer(
    session: Session, *, principal: Principal, task_id: uuid.UUID, data: TaskTransfer
) -> Task:
    """Route an open task of your department to the competent department of another
    division; return the moved task."""
    task = workflow.get_task(session, principal=principal, task_id=task_id)
    if task.status is not TaskStatus.OPEN:
        raise Conflict("the task is already completed")
    application = session.get(Application, task.application_id, with_for_update=True)
    if application is None:  # pragma: no cover - foreign key
        raise Conflict("the task is already completed")
    session.refresh(task)
    if task.status is not TaskStatus.OPEN or application.status is not ApplicationStatus.IN_REVIEW:
        raise Conflict("the application is already decided")
    matter = session.get(Matter, application.matter_id) if application.matter_id else None
    if matter is None:
        raise Conflict("a bundle's parts are approved in the division it was submitted to")
    if data.division_code == application.division_code:
        raise InvalidInput(
            f"the application is already in division {data.division_code}", field="division_code"
        )
    instance = _target(session, matter, data.division_code)
    source_division, source_department = application.division_code, application.department_id
    application.division_code = instance.division_code
    application.department_id = instance.department_id
    task.department_id = instance.department_id
    task.division_code = instance.division_code
    session.flush()
    ledger.record(
        session,
        kind=EntryKind.APPLICATION_TRANSFERRED,
        actor=ledger.actor_of(principal),
        subject=f"application:{application.id}",
        payload={
            "application": str(application.id),
            "matter": matter.code,
            "from_division": source_division,
            "from_department": str(source_department),
            "to_division": instance.division_code,
            "to_department": str(instance.department_id),
            "comment": data.comment or "",
        },
        department_id=source_department,
    )
    notices.to_applicant(
        session, application, NotificationKind.APPLICATION_TRANSFERRED,
        division=instance.division_code,
    )  # fmt: skip
    notices.to_department(
        session, task, NotificationKind.TASK_TRANSFERRED, notices.HANDLERS,
        division=source_division,
    )  # fmt: skip
    return task
