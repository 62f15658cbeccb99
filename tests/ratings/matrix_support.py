"""Builders for the ratings rows of the authorization matrix (tests/identity).

They write through the test session factory (bound to the test's rolled-back connection): a
completed application of the matrix citizen in city A, and the case a bad rating of it opens for
city A's market bureau, open, visited or appealed.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from govhub.core import db
from govhub.identity import authn
from govhub.identity.permissions import Role
from govhub.ratings import service as ratings
from govhub.ratings.schemas import AppealCreate, ReturnVisit
from govhub.services import service as services
from govhub.services.models import Application
from tests.factories import add_official
from tests.ratings.helpers import bad_case, body, completed
from tests.services.matrix_support import HasCitizen

_counter = itertools.count(1000)


def _completed(a: HasCitizen) -> uuid.UUID:
    with db.get_sessionmaker()() as session:
        services.load_standard(session)
        citizen = authn.principal_for(session.merge(a.citizen))
        decider = session.merge(a.world.city_a_admin)
        application = completed(session, citizen, decider, n=next(_counter))
        session.commit()
        return application.id


def rating_body(a: HasCitizen) -> dict[str, Any]:
    """A good rating of a fresh completed application of the matrix citizen."""
    application_id = _completed(a)
    with db.get_sessionmaker()() as session:
        return body(session.get_one(Application, application_id), 5)


def _case(a: HasCitizen, *, visited: bool = False, appealed: bool = False) -> uuid.UUID:
    application_id = _completed(a)
    with db.get_sessionmaker()() as session:
        citizen = authn.principal_for(session.merge(a.citizen))
        record = bad_case(session, citizen, session.get_one(Application, application_id))
        admin = authn.principal_for(session.merge(a.world.city_a_admin))
        if visited:
            visit = ReturnVisit(contact_name="张三", notes="已回访")
            ratings.record_visit(session, principal=admin, case_id=record.id, data=visit)
        if appealed:
            market = session.merge(a.world.city_a_market)
            approver = add_official(session, f"rate-appr{next(_counter)}", market, Role.APPROVER)
            reason = AppealCreate(reason="误评")
            ratings.appeal(
                session, principal=authn.principal_for(approver), case_id=record.id, data=reason
            )
        session.commit()
        return record.id


def open_case(a: HasCitizen) -> dict[str, Any]:
    """An open case of city A's market bureau."""
    return {"case_id": _case(a)}


def visited_case(a: HasCitizen) -> dict[str, Any]:
    """A case of city A's market bureau after its return visit."""
    return {"case_id": _case(a, visited=True)}


def appealed_case(a: HasCitizen) -> dict[str, Any]:
    """A case of city A's market bureau whose appeal awaits a decision."""
    return {"case_id": _case(a, appealed=True)}
