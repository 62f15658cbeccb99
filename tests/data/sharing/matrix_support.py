"""Builders for the sharing rows of the authorization matrix (tests/identity/test_authz_matrix.py).

Every call writes fresh rows through the test session factory: the province's big data bureau
asks city A's market bureau for data, so city A's administrator is the owner, the platform
administrator the requester, and city B's administrator a stranger to both.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from govhub.core import db
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.schemas import ResourceCreate
from govhub.data.sharing import service
from govhub.data.sharing.models import ShareRequest
from govhub.data.sharing.schemas import ShareRequestCreate
from govhub.identity.models import Account, Department
from tests.data.helpers import resource_body
from tests.data.sharing.helpers import PERSON_FIELDS, add_client, request_body
from tests.factories import World


class HasActors(Protocol):
    """The matrix's actors: their world, and the name of the actor now calling."""

    world: World
    current: str

    def by_name(self) -> dict[str, Account | None]: ...


def _resource(session: Session, world: World, department: Department, sharing_type: str) -> Any:
    body = resource_body(
        sharing_type=sharing_type,
        sharing_conditions="仅限政务服务使用" if sharing_type == "conditional" else "",
        fields=PERSON_FIELDS,
        department_id=str(department.id),
    )
    return catalog_service.create_resource(
        session,
        principal=world.principal(world.platform_admin),
        data=ResourceCreate.model_validate(body),
    )


def _bureau_request(a: HasActors, sharing_type: str) -> ShareRequest:
    w = a.world
    with db.get_sessionmaker()() as session:
        resource = _resource(session, w, w.city_a_market, sharing_type)
        system = add_client(session, w.province_bureau)
        data = ShareRequestCreate.model_validate(request_body(resource, system))
        request = service.create_request(
            session, principal=w.principal(w.platform_admin), data=data
        )
        session.commit()
    return request


def pending_request(a: HasActors) -> dict[str, Any]:
    """A pending request of the bureau to city A's market bureau."""
    return {"request_id": _bureau_request(a, "conditional").id}


def grant(a: HasActors) -> dict[str, Any]:
    """A grant of city A's market bureau to the bureau."""
    request = _bureau_request(a, "unconditional")
    with db.get_sessionmaker()() as session:
        made = service.grant_of(session, session.merge(request))
        assert made is not None
        return {"grant_id": made.id}


def request_body_for_caller(a: HasActors) -> dict[str, Any]:
    """A valid request by the calling actor's department, for city A's tax bureau's resource."""
    w = a.world
    account = a.by_name()[a.current]
    with db.get_sessionmaker()() as session:
        resource = _resource(session, w, w.city_a_tax, "conditional")
        department_id = account.department_id if account is not None else None
        department = session.get(Department, department_id) if department_id else None
        system = add_client(session, department or w.city_a_tax)
        body = request_body(resource, system)
        session.commit()
    return body
