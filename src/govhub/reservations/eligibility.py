"""Eligibility: who may reserve in a campaign, from the identity data of the citizen account.

Age and residence come from `identity.service.citizen_facts` (the birth date and the county
of registration that the ID number encodes); the number itself never leaves that service.
Residence rules therefore apply at county level or above.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from govhub.identity import service as identity_service
from govhub.identity.codes import in_subtree
from govhub.identity.models import AccountKind
from govhub.identity.principal import Principal
from govhub.reservations.errors import NotEligible
from govhub.reservations.models import age_on


class Rules(Protocol):
    """A campaign's eligibility rules (a campaign row, or a cached offer of one)."""

    @property
    def min_age(self) -> int | None:
        """The youngest age admitted."""

    @property
    def max_age(self) -> int | None:
        """The oldest age admitted."""

    @property
    def residence_division(self) -> str | None:
        """The division residents must be registered under."""


def check_eligible(
    session: Session, *, rules: Rules, principal: Principal, now: datetime
) -> uuid.UUID:
    """Refuse unless the principal is a resident who meets the rules; return their account id."""
    resident_id = principal.account_id
    if principal.kind is not AccountKind.CITIZEN or resident_id is None:
        raise NotEligible("only residents with a citizen account may reserve")
    if rules.min_age is None and rules.max_age is None and not rules.residence_division:
        return resident_id
    facts = identity_service.citizen_facts(session, resident_id)
    if facts is None:
        raise NotEligible("your account holds no resident identity to check the rules against")
    age = age_on(facts.birth_date, now.date())
    if rules.min_age is not None and age < rules.min_age:
        raise NotEligible(f"this campaign is for residents aged {rules.min_age} or over")
    if rules.max_age is not None and age > rules.max_age:
        raise NotEligible(f"this campaign is for residents aged {rules.max_age} or under")
    if rules.residence_division and not in_subtree(
        facts.registered_division, rules.residence_division
    ):
        raise NotEligible(
            f"this campaign is for residents registered in division {rules.residence_division}"
        )
    return resident_id
