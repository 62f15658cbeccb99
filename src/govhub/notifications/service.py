"""Notifications: write them to accounts or to a department's officials of given roles, list
one's own, count the unread and mark them read. Only the recipient ever sees a notification;
anyone else's answers exactly like one that does not exist."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import NotFound
from govhub.core.i18n import N_
from govhub.identity.models import Account, AccountRole
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.notifications.models import Notification, NotificationKind

# The message of each kind, an English message id with the notification's params as
# placeholders; pages translate it per request.
MESSAGES: dict[NotificationKind, str] = {
    NotificationKind.APPLICATION_ACCEPTED: N_("Your application for %(matter)s was accepted."),
    NotificationKind.CORRECTION_REQUESTED: N_(
        "Your application for %(matter)s needs a correction: %(reason)s"
    ),
    NotificationKind.APPLICATION_APPROVED: N_("Your application for %(matter)s was approved."),
    NotificationKind.APPLICATION_REJECTED: N_(
        "Your application for %(matter)s was rejected: %(reason)s"
    ),
    NotificationKind.APPLICATION_TRANSFERRED: N_(
        "Your application for %(matter)s was transferred to division %(division)s."
    ),
    NotificationKind.PAYMENT_DUE: N_(
        "A fee of %(amount)s yuan is due for your application for %(matter)s."
    ),
    NotificationKind.LICENSE_ISSUED: N_("Your e-license %(license_type)s was issued."),
    NotificationKind.TASK_REMINDER: N_(
        "Reminder: the %(step)s task of %(matter)s is due at %(due)s."
    ),
    NotificationKind.TASK_ESCALATED: N_(
        "Escalated: the %(step)s task of %(matter)s passed its time limit (%(due)s)."
    ),
    NotificationKind.TASK_TRANSFERRED: N_(
        "An application for %(matter)s was transferred to your department from division "
        "%(division)s."
    ),
}


def notify(
    session: Session,
    recipients: Iterable[uuid.UUID],
    kind: NotificationKind,
    *,
    subject: str,
    params: dict[str, Any],
    link: str = "",
) -> list[Notification]:
    """Write one notification to each recipient (once each); return them."""
    now = utcnow()
    rows = [
        Notification(
            recipient_id=recipient,
            kind=kind,
            subject=subject,
            params=params,
            link=link,
            created_at=now,
        )
        for recipient in dict.fromkeys(recipients)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def department_members(
    session: Session, department_id: uuid.UUID, roles: Iterable[Role]
) -> list[uuid.UUID]:
    """Return the active accounts of a department holding any of `roles`."""
    query = (
        select(Account.id)
        .join(AccountRole, AccountRole.account_id == Account.id)
        .where(
            Account.department_id == department_id,
            Account.is_active.is_(True),
            AccountRole.role.in_(list(roles)),
        )
        .distinct()
        .order_by(Account.id)
    )
    return list(session.scalars(query))


def list_own(
    session: Session,
    *,
    principal: Principal,
    unread_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Notification], int]:
    """List the caller's notifications, newest first, and their total count."""
    where = [Notification.recipient_id == principal.account_id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
    rows = session.scalars(
        select(Notification)
        .where(*where)
        .order_by(Notification.created_at.desc(), Notification.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def unread_count(session: Session, *, principal: Principal) -> int:
    """Count the caller's unread notifications."""
    if principal.account_id is None:
        return 0
    query = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.recipient_id == principal.account_id, Notification.read_at.is_(None))
    )
    return session.scalar(query) or 0


def mark_read(
    session: Session, *, principal: Principal, notification_id: uuid.UUID
) -> Notification:
    """Mark one of the caller's notifications read (again: it keeps its first reading time)."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.recipient_id != principal.account_id:
        raise NotFound("no such notification")
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification


def mark_all_read(session: Session, *, principal: Principal) -> int:
    """Mark every unread notification of the caller read; return how many."""
    result = session.execute(
        update(Notification)
        .where(Notification.recipient_id == principal.account_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
