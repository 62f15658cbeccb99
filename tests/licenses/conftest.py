"""Fixtures of the e-license tests: types, a citizen, an enterprise and one issued license."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from govhub.identity.models import Account
from govhub.licenses import service
from govhub.licenses.models import HolderKind, License
from tests.factories import World
from tests.licenses.helpers import BUSINESS, citizen, define_types, enterprise


@dataclass
class Licensing:
    """The e-license test world."""

    world: World
    citizen: Account
    enterprise: Account
    license: License  # a business license of the enterprise, issued by city A's market bureau

    @property
    def enterprise_holder(self) -> service.HolderRef:
        """The enterprise as a license holder."""
        return service.HolderRef(HolderKind.ENTERPRISE, self.enterprise.id)

    @property
    def citizen_holder(self) -> service.HolderRef:
        """The citizen as a license holder."""
        return service.HolderRef(HolderKind.PERSON, self.citizen.id)


@pytest.fixture
def lic(session: Session, world: World) -> Licensing:
    """Types, holders and one business license issued by city A's market-regulation admin."""
    define_types(session)
    person = citizen(session)
    company = enterprise(session)
    issued = service.issue(
        session,
        license_type=BUSINESS,
        holder=service.HolderRef(HolderKind.ENTERPRISE, company.id),
        claims={"scope": "餐饮服务", "registeredCapital": 500000},
        issuer_department_id=world.city_a_market.id,
        principal=world.principal(world.city_a_admin),
    )
    return Licensing(world=world, citizen=person, enterprise=company, license=issued)
