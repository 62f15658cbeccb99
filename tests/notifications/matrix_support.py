"""Builders for the notification rows of the authorization matrix (tests/identity)."""

from __future__ import annotations

from typing import Any, Protocol

from govhub.core import db
from govhub.identity.models import Account
from govhub.notifications import service
from govhub.notifications.models import NotificationKind


class HasCitizen(Protocol):
    """The matrix's actors (the citizen)."""

    citizen: Account


def citizens_notification(a: HasCitizen) -> dict[str, Any]:
    """A fresh notification of the matrix citizen (nobody else's to read)."""
    with db.get_sessionmaker()() as session:
        (row,) = service.notify(
            session, [a.citizen.id], NotificationKind.APPLICATION_ACCEPTED,
            subject="application:matrix", params={"matter": "SC-001"},
        )  # fmt: skip
        session.commit()
    return {"notification_id": row.id}
