"""Eligibility: who may reserve in a campaign, from the identity data of the citizen account.

Age and residence come from `identity.service.citizen_facts` (the birth date and the county
of registration that the ID number encodes); the number itself never leaves that service.
Residence rules therefore apply at county level or above.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from govhub.identity import service as identity_service
from govhub.identity.codes import in_subtree
from govhub.identity.models import AccountKind
from govhub.identity.principal import Principal
from govhub.reservations.errors import NotEligible
from govhub.reservations.models import Campaign, age_on


def check_eligible(
    session: Session, *, campaign: Campaign, principal: Principal, now: datetime
) -> uuid.UUID:
    """Refuse unless the principal is a resident who meets the rules; return their account id."""
    resident_id = principal.account_id
    if principal.kind is not AccountKind.CITIZEN or resident_id is None:
        raise NotEligible("only residents with a citizen account may reserve")
    if campaign.min_age is None and campaign.max_age is None and not campaign.residence_division:
        return resident_id
    facts = identity_service.citizen_facts(session, resident_id)
    if facts is None:
        raise NotEligible("your account holds no resident identity to check the rules against")
    age = age_on(facts.birth_date, now.date())
    if campaign.min_age is not None and age < campaign.min_age:
        raise NotEligible(f"this campaign is for residents aged {campaign.min_age} or over")
    if campaign.max_age is not None and age > campaign.max_age:
        raise NotEligible(f"this campaign is for residents aged {campaign.max_age} or under")
    if campaign.residence_division and not in_subtree(
        facts.registered_division, campaign.residence_division
    ):
        raise NotEligible(
            f"this campaign is for residents registered in division {campaign.residence_division}"
        )
    return resident_id
