"""Builders for the e-license rows of the authorization matrix (tests/identity).

They write through the test session factory (bound to the test's rolled-back connection):
the license types, and fresh licenses issued by city A's market-regulation bureau.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from govhub.core import db
from govhub.identity import authn
from govhub.identity.models import Account
from govhub.licenses import service
from govhub.licenses.models import HolderKind, License
from tests.factories import World
from tests.licenses.helpers import BUSINESS, PLATFORM, RESIDENT, define_types


class HasHolders(Protocol):
    """The matrix's actors (their world, the citizen, the enterprise and the caller's name)."""

    world: World
    citizen: Account
    enterprise: Account
    current: str


def _issue(a: HasHolders, *, to_citizen: bool = False) -> License:
    with db.get_sessionmaker()() as session:
        define_types(session)
        admin = authn.principal_for(session.merge(a.world.city_a_admin))
        holder = (
            service.HolderRef(HolderKind.PERSON, a.citizen.id)
            if to_citizen
            else service.HolderRef(HolderKind.ENTERPRISE, a.enterprise.id)
        )
        row = service.issue(
            session,
            license_type=RESIDENT if to_citizen else BUSINESS,
            holder=holder,
            claims={"scope": "餐饮服务"},
            issuer_department_id=a.world.city_a_market.id,
            principal=admin,
        )
        session.commit()
    return row


def issue_body(a: HasHolders) -> dict[str, Any]:
    """A license the caller's own department may issue to the matrix enterprise."""
    with db.get_sessionmaker()() as session:
        define_types(session)
        session.commit()
    kind = PLATFORM if a.current == "platform_admin" else BUSINESS
    return {"license_type": kind, "holder_kind": "enterprise", "holder_id": str(a.enterprise.id)}


def city_a_license(a: HasHolders) -> dict[str, uuid.UUID]:
    """A fresh license issued by city A's market-regulation bureau."""
    return {"license_id": _issue(a).id}


def own_license(a: HasHolders) -> dict[str, uuid.UUID]:
    """A fresh license held by the caller (the citizen or the enterprise)."""
    return {"license_id": _issue(a, to_citizen=a.current == "citizen").id}


def token_body(a: HasHolders) -> dict[str, str]:
    """The token of a fresh license."""
    return {"token": _issue(a).token}


def issuer(a: HasHolders) -> dict[str, uuid.UUID]:
    """City A's market-regulation bureau, once it has issued a license."""
    _issue(a)
    return {"department_id": a.world.city_a_market.id}
