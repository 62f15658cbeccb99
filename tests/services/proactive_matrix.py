"""Builders for the proactive-service rows of the authorization matrix (tests/identity).

They write through the test session factory: a birth-certificate resource per calling
department, fresh rules of city A's market bureau (a market-regulation matter, as its
department type requires), and fresh pending invitations of the matrix citizen.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any, Protocol

from govhub.core import db
from govhub.identity import authn
from govhub.identity.models import Account
from govhub.services import service as services
from govhub.services.proactive import service
from govhub.services.proactive.models import Invitation, InvitationStatus
from govhub.services.proactive.schemas import RuleCreate
from tests.factories import World
from tests.services.proactive_helpers import birth, publish_births, subsidy_rule

_counter = itertools.count(1)
_resources: dict[tuple[uuid.UUID, str], str] = {}
_OWNERS = {"admin_b": ("city_b_admin", "330200"), "platform_admin": ("platform_admin", "330000")}


class HasActors(Protocol):
    """The matrix's actors (their world, the citizen and the caller's name)."""

    world: World
    citizen: Account
    current: str


def _resource(a: HasActors, owner: str = "admin_a") -> str:
    key = (a.world.city_a_admin.id, owner)
    if key not in _resources:
        attribute, division = _OWNERS.get(owner, ("city_a_admin", "330100"))
        with db.get_sessionmaker()() as session:
            services.load_standard(session)
            admin = session.merge(getattr(a.world, attribute))
            resource = publish_births(session, admin, [birth("R9000", "1", "2")], division)
            session.commit()
            _resources[key] = str(resource.id)
    return _resources[key]


def _market_rule(resource_id: str) -> dict[str, Any]:
    body = subsidy_rule(resource_id)
    body["matter_code"] = "SC-001"
    body["definition"]["prefill"] = {}
    return body


def rule_body(a: HasActors) -> dict[str, Any]:
    """A rule over a resource of the caller's own department."""
    return _market_rule(_resource(a, a.current))


def rule(a: HasActors) -> dict[str, Any]:
    """A fresh rule of city A's market bureau."""
    resource_id = _resource(a)
    with db.get_sessionmaker()() as session:
        admin = authn.principal_for(session.merge(a.world.city_a_admin))
        data = RuleCreate.model_validate(_market_rule(resource_id))
        created = service.create_rule(session, principal=admin, data=data)
        session.commit()
    return {"rule_id": created.id}


def invitation(a: HasActors) -> dict[str, Any]:
    """A fresh pending invitation of the matrix citizen to ask for invoices (SW-001)."""
    rule_id = rule(a)["rule_id"]
    with db.get_sessionmaker()() as session:
        row = Invitation(
            rule_id=rule_id,
            account_id=a.citizen.id,
            trigger_key=uuid.uuid4().hex,
            matter_code="SW-001",
            division_code="330100",
            form={"quantity": next(_counter)},
            source_version=1,
            status=InvitationStatus.PENDING,
        )
        session.add(row)
        session.commit()
    return {"invitation_id": row.id}


def accept_body(a: HasActors) -> dict[str, Any]:
    """Consent, and the fields the invitation leaves to fill."""
    return {"consent": True, "form": {"applicant_name": "张三", "phone": "13800138000"}}
