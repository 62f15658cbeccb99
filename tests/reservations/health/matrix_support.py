"""Builders for the health-code rows of the authorization matrix (tests/identity).

They write through the test session factory: a test-results resource per department (city
A's market bureau, and city B's and the province bureau's for rules their administrators
write), fresh rules of
city A, and fresh codes to verify.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from govhub.core import db
from govhub.identity import authn
from govhub.identity.models import Account
from govhub.reservations.health import rules, tokens
from govhub.reservations.health.models import HealthColor
from govhub.reservations.health.schemas import RuleCreate
from tests.factories import World
from tests.reservations.health.helpers import TEST_FIELDS, days_ago, positive_rule, publish

# Keyed by the world's (fresh, random) city A administrator: one resource per test and city.
_resources: dict[tuple[uuid.UUID, str], str] = {}


class HasWorld(Protocol):
    """The matrix's actors (their world and the caller's name)."""

    world: World
    current: str


_OWNERS = {"admin_b": ("city_b_admin", "330200"), "platform_admin": ("platform_admin", "330000")}


def _resource(a: HasWorld, owner: str = "admin_a") -> str:
    key = (a.world.city_a_admin.id, owner)
    if key not in _resources:
        attribute, division = _OWNERS.get(owner, ("city_a_admin", "330100"))
        admin: Account = getattr(a.world, attribute)
        with db.get_sessionmaker()() as session:
            resource = publish(
                session,
                session.merge(admin),
                fields=TEST_FIELDS,
                rows=[("330102199001011234", days_ago(1), "阴性")],
                division=division,
            )
            session.commit()
            _resources[key] = str(resource.id)
    return _resources[key]


def rule_body(a: HasWorld) -> dict[str, Any]:
    """A rule over a resource of the caller's own department."""
    return positive_rule(_resource(a, a.current))


def rule(a: HasWorld) -> dict[str, Any]:
    """A fresh rule of city A's market bureau."""
    resource_id = _resource(a)
    with db.get_sessionmaker()() as session:
        admin = authn.principal_for(session.merge(a.world.city_a_admin))
        data = RuleCreate.model_validate(positive_rule(resource_id))
        created = rules.create_rule(session, principal=admin, data=data)
        session.commit()
    return {"rule_id": created.id}


def token_body(a: HasWorld) -> dict[str, Any]:
    """A fresh green health code."""
    return {"token": tokens.issue("ab" * 16, HealthColor.GREEN)}
