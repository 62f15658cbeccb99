"""Builders for the online-services rows of the authorization matrix (tests/identity).

They write through the test session factory (bound to the test's rolled-back connection): the
standard catalog, applications of the matrix citizen for city A's market bureau, their open
tasks, and applications returned for correction.
"""

from __future__ import annotations

import itertools
from typing import Any, Protocol

from sqlalchemy import select

from govhub.core import db
from govhub.identity import authn
from govhub.identity.models import Account
from govhub.payments import service as payments
from govhub.services import service
from govhub.services.models import Application, Task, TaskStatus
from govhub.services.schemas import Outcome, TaskComplete
from tests.factories import World
from tests.services.helpers import PDF, restaurant_form, sc001

_counter = itertools.count(1)


class HasCitizen(Protocol):
    """The matrix's actors (their world and the citizen)."""

    world: World
    citizen: Account


def _catalog() -> None:
    with db.get_sessionmaker()() as session:
        service.load_standard(session)
        session.commit()


def _application(a: HasCitizen, *, correction: bool = False) -> Application:
    _catalog()
    with db.get_sessionmaker()() as session:
        citizen = authn.principal_for(session.merge(a.citizen))
        form = {**restaurant_form(), "business_name": f"面馆{next(_counter)}"}
        application, _ = service.submit(
            session, principal=citizen, data=sc001(session, citizen, form=form)
        )
        if correction:
            admin = authn.principal_for(session.merge(a.world.city_a_admin))
            task = _open_task(session, application)
            decision = TaskComplete(outcome=Outcome.CORRECT, comment="请补充材料")
            service.complete(session, principal=admin, task_id=task.id, data=decision)
        session.commit()
    return application


def _open_task(session: Any, application: Application) -> Task:
    return session.scalars(  # type: ignore[no-any-return]
        select(Task).where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
    ).one()


def matter(a: HasCitizen) -> dict[str, Any]:
    """The GovStack service id of SW-001 (invoices: no material to upload)."""
    _catalog()
    with db.get_sessionmaker()() as session:
        return {"service_id": service.get_matter(session, "SW-001").id}


def task(a: HasCitizen) -> dict[str, Any]:
    """An open acceptance task of city A's market bureau."""
    application = _application(a)
    with db.get_sessionmaker()() as session:
        return {"task_id": _open_task(session, application).id}


def own_application(a: HasCitizen) -> dict[str, Any]:
    """An application of the matrix citizen."""
    return {"application_id": _application(a).id}


def own_file(a: HasCitizen) -> dict[str, Any]:
    """An application of the matrix citizen, by its GovStack name."""
    return {"file_id": _application(a).id}


def returned_application(a: HasCitizen) -> dict[str, Any]:
    """An application of the matrix citizen returned for correction."""
    return {"application_id": _application(a, correction=True).id}


def returned_file(a: HasCitizen) -> dict[str, Any]:
    """The same, by its GovStack name."""
    return {"file_id": _application(a, correction=True).id}


def apply_body(a: HasCitizen) -> dict[str, Any]:
    """An application for invoices (SW-001) in city A: no material to upload."""
    _catalog()
    form = {"applicant_name": "张三", "phone": "13800138000", "quantity": next(_counter)}
    return {"matter_code": "SW-001", "division_code": "330100", "form": form}


def govstack_apply_body(a: HasCitizen) -> dict[str, Any]:
    """The GovStack body of an application to SW-001 in city A."""
    body = apply_body(a)
    return {"divisionCode": body["division_code"], "eFormData": body["form"]}


def corrected_form(a: HasCitizen) -> dict[str, Any]:
    """A corrected SC-001 form."""
    return {"form": {**restaurant_form(), "scope": "餐饮服务"}}


def corrected_file(a: HasCitizen) -> dict[str, Any]:
    """A corrected SC-001 form, GovStack names."""
    return {"eFormData": {**restaurant_form(), "scope": "餐饮服务"}}


def pdf(a: HasCitizen) -> dict[str, Any]:
    """A small PDF upload."""
    return {"file": ("premises.pdf", PDF, "application/pdf")}


def unpaid_application(a: HasCitizen) -> dict[str, Any]:
    """An application of the matrix citizen whose fee order was cancelled unpaid."""
    _catalog()
    with db.get_sessionmaker()() as session:
        service.get_matter(session, "SC-001").fee_fen = 5000
        citizen = authn.principal_for(session.merge(a.citizen))
        form = {**restaurant_form(), "business_name": f"面馆{next(_counter)}"}
        application, _ = service.submit(
            session, principal=citizen, data=sc001(session, citizen, form=form)
        )
        order = payments.order_for_subject(session, f"application:{application.id}")
        if order is None:  # pragma: no cover - the matter charges a fee
            raise AssertionError("no fee order")
        payments.cancel_order(session, principal=citizen, order_id=order.id, as_payer=True)
        session.commit()
    return {"application_id": application.id}
