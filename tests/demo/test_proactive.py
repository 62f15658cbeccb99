"""The demo proactive service: birth certificates invite the parents to claim the subsidy."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.demo import load_demo
from govhub.demo.proactive import MATTER, build_births
from govhub.services.proactive.models import Invitation, InvitationStatus, ProactiveRule
from tests.demo.test_loader import small_plan


def test_the_births_name_demo_residents_as_parents() -> None:
    citizens = small_plan(citizens=20).citizens
    births = build_births(citizens, 2026)
    assert births == build_births(citizens, 2026)
    assert len(births) == 10
    assert births[0]["mqsfzh"] == citizens[0].id_number  # the demo login `citizen`
    assert {b["fqsfzh"] for b in births} <= {c.id_number for c in citizens}


def test_loading_invites_the_demo_citizen_once(session: Session) -> None:
    plan = small_plan(citizens=20, enterprises=5)
    load_demo(session, plan)
    [rule] = session.scalars(select(ProactiveRule)).all()
    assert rule.matter_code == MATTER
    assert rule.active
    invitations = session.scalars(select(Invitation)).all()
    assert len(invitations) == 20  # ten newborns, two registered parents each
    mine = [i for i in invitations if i.account_id == plan.citizens[0].id]
    assert len(mine) == 1
    assert mine[0].status is InvitationStatus.PENDING
    assert set(mine[0].form) == {"child_name", "birth_date", "birth_cert_no"}
    load_demo(session, plan)  # a second load adds nothing
    assert session.scalar(select(func.count()).select_from(Invitation)) == 20
