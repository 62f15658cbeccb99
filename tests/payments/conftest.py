"""Fixtures of the payment tests: a finance officer, two citizens and their principals."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from govhub.identity import authn
from govhub.identity.models import Account
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from tests.factories import World, add_official
from tests.payments.helpers import add_citizen


@dataclass
class Cast:
    """Who takes part: city A's cashier, city B's administrator and two payers."""

    finance_a: Account
    payer: Account
    other_payer: Account

    @property
    def collector(self) -> Principal:
        """City A market bureau's finance officer."""
        return authn.principal_for(self.finance_a)

    @property
    def citizen(self) -> Principal:
        """The payer."""
        return authn.principal_for(self.payer)


@pytest.fixture
def cast(session: Session, world: World) -> Cast:
    """City A's finance officer and two citizens."""
    finance = add_official(session, "finance-a", world.city_a_market, Role.FINANCE)
    return Cast(finance_a=finance, payer=add_citizen(session), other_payer=add_citizen(session))
