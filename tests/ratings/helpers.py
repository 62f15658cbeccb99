"""Helpers for ratings tests: completed applications of a resident and bad ratings of them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.identity import authn
from govhub.identity.models import Account
from govhub.identity.principal import Principal
from govhub.ratings import service as ratings
from govhub.ratings.models import RectificationCase
from govhub.ratings.schemas import RatingCreate
from govhub.services import service as services
from govhub.services.models import Application, Task, TaskStatus
from govhub.services.schemas import Outcome, TaskComplete
from tests.services.helpers import restaurant_form, sc001


def open_task(session: Session, application: Application) -> Task:
    """Return the application's one open task."""
    query = select(Task).where(
        Task.application_id == application.id, Task.status == TaskStatus.OPEN
    )
    return session.scalars(query).one()


def completed(
    session: Session, citizen: Principal, decider: Account, *, reject: bool = False, n: int = 0
) -> Application:
    """Submit an SC-001 application in city A and run it to approval (or rejection)."""
    form = {**restaurant_form(), "business_name": f"面馆{n}"}
    application, _ = services.submit(
        session, principal=citizen, data=sc001(session, citizen, form=form)
    )
    official = authn.principal_for(decider)
    outcomes = [Outcome.REJECT] if reject else [Outcome.ACCEPT, Outcome.APPROVE, Outcome.APPROVE]
    for outcome in outcomes:
        decision = TaskComplete(outcome=outcome, comment="材料不符" if reject else None)
        task = open_task(session, application)
        services.complete(session, principal=official, task_id=task.id, data=decision)
    return application


def body(application: Application, overall: int = 5, **overrides: Any) -> dict[str, Any]:
    """A rating body with every dimension at `overall`."""
    values: dict[str, Any] = {
        "application_id": str(application.id),
        "overall": overall,
        "efficiency": overall,
        "guide_accuracy": overall,
        "convenience": overall,
        "usability": overall,
    }
    if overall <= 2:
        values.update(reasons=["slow"], comment="等了很久")
    values.update(overrides)
    return values


def bad_case(session: Session, citizen: Principal, application: Application) -> RectificationCase:
    """Rate `application` 1 and return the case it opens."""
    rating = ratings.rate(
        session, principal=citizen, data=RatingCreate.model_validate(body(application, 1))
    )
    return session.scalars(
        select(RectificationCase).where(RectificationCase.rating_id == rating.id)
    ).one()
