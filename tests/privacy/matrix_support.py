"""Builders for the consent rows of the authorization matrix: a fresh consent of the citizen."""

from __future__ import annotations

from typing import Any, Protocol

from govhub.core import db
from govhub.identity import authn
from govhub.identity.models import Account
from govhub.privacy import service
from govhub.privacy.schemas import ConsentCreate
from tests.factories import World


class HasCitizen(Protocol):
    """The matrix's actors (their world, the citizen and the open resource)."""

    world: World
    citizen: Account
    resource_id: Any


def given(a: HasCitizen) -> dict[str, Any]:
    """The id of a consent the citizen gives city B's market bureau."""
    with db.get_sessionmaker()() as session:
        citizen = session.merge(a.citizen)
        consent = service.give(
            session,
            principal=authn.principal_for(citizen),
            data=ConsentCreate(
                department_id=a.world.city_b_market.id,
                resource_ids=[a.resource_id],
                purpose="办理企业开办",
            ),
        )
        session.commit()
        return {"consent_id": consent.id}
