"""Lotteries: the committed seed, the draw, and anyone's recomputation of it."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.ledger.service import payload_digest
from govhub.reservations import service
from govhub.reservations.errors import AlreadyReserved, CampaignClosed, WrongMode
from govhub.reservations.lottery import rank, registrations_digest, verify_draw
from govhub.reservations.models import AllocationMode, Campaign, Claim, Reservation
from govhub.reservations.schemas import BookingCreate
from tests.factories import World
from tests.reservations.helpers import add_citizen, campaign_data, ledgered


def _lottery(session: Session, world: World, quota: int = 2) -> Campaign:
    return service.create_campaign(
        session,
        principal=world.principal(world.city_a_admin),
        data=campaign_data(
            mode=AllocationMode.LOTTERY, quota_per_slot=quota, period_key="lottery-period"
        ),
    )


def _register(session: Session, world: World, campaign: Campaign, slot_index: int) -> uuid.UUID:
    resident = world.principal(add_citizen(session, with_password=False))
    plan = service.plan_registration(
        session,
        principal=resident,
        campaign_id=campaign.id,
        data=BookingCreate(slot_id=campaign.slots[slot_index].id),
    )
    with session.begin_nested():
        return service.execute_registration(session, plan=plan).id


def _closed_draw(session: Session, world: World, campaign: Campaign) -> None:
    admin = world.principal(world.city_a_admin)
    service.close_campaign(session, principal=admin, campaign_id=campaign.id)
    service.draw(session, principal=admin, campaign_id=campaign.id, now=utcnow())


class TestVerifyDraw:
    def test_the_draw_is_a_function_of_seed_and_list(self) -> None:
        seed = bytes(range(32))
        entries = [(str(uuid.UUID(int=i)), "slot-a" if i % 3 else "slot-b") for i in range(40)]
        quota = {"slot-a": 5, "slot-b": 2}
        winners = verify_draw(seed, entries, quota)
        assert winners == verify_draw(seed, list(reversed(entries)), quota)
        slot_of = dict(entries)
        assert sum(slot_of[w] == "slot-a" for w in winners) == 5
        assert sum(slot_of[w] == "slot-b" for w in winners) == 2
        # winners come in HMAC rank order
        assert [rank(seed, w) for w in winners] == sorted(rank(seed, w) for w in winners)
        assert verify_draw(bytes(32), entries, quota) != winners

    def test_fewer_registrations_than_quota_all_win(self) -> None:
        entries = [("r1", "s"), ("r2", "s")]
        assert sorted(verify_draw(b"k" * 32, entries, {"s": 5})) == ["r1", "r2"]
        assert verify_draw(b"k" * 32, entries, {}) == []


class TestLottery:
    def test_the_seed_is_committed_and_ledgered_at_publication(
        self, session: Session, world: World
    ) -> None:
        campaign = _lottery(session, world)
        assert campaign.seed_commitment is not None
        entries = ledgered(session, f"campaign:{campaign.id}")
        assert [kind for kind, _ in entries] == [
            "reservation_campaign_published",
            "reservation_seed_committed",
        ]
        assert entries[1][1] == payload_digest(
            {"campaign": str(campaign.id), "commitment": campaign.seed_commitment}
        )
        view = service.draw_view(session, campaign_id=campaign.id)
        assert view.seed is None
        assert view.winners is None

    def test_a_draw_anyone_can_recompute(self, session: Session, world: World) -> None:
        campaign = _lottery(session, world, quota=2)
        for i in range(9):
            _register(session, world, campaign, slot_index=i % 2)
        _closed_draw(session, world, campaign)
        view = service.draw_view(session, campaign_id=campaign.id)
        assert view.seed is not None
        assert view.winners is not None
        seed = bytes.fromhex(view.seed)
        assert hashlib.sha256(seed).hexdigest() == view.seed_commitment == campaign.seed_commitment
        entries = [(str(e.registration_id), str(e.slot_id)) for e in view.registrations]
        recomputed = verify_draw(seed, entries, view.quota)
        assert sorted(recomputed) == sorted(str(w) for w in view.winners)
        assert len(view.winners) == 4  # two slots, two places each
        assert registrations_digest(entries) == view.registrations_digest
        # the ledger holds the reveal and the result, whose digests anyone can recompute
        entries_ledgered = ledgered(session, f"campaign:{campaign.id}")
        kinds = [kind for kind, _ in entries_ledgered]
        assert kinds[-2:] == ["reservation_seed_revealed", "reservation_draw_result"]
        assert entries_ledgered[-2][1] == payload_digest(
            {"campaign": str(campaign.id), "seed": view.seed}
        )
        assert entries_ledgered[-1][1] == payload_digest(
            {
                "campaign": str(campaign.id),
                "registrations_digest": view.registrations_digest,
                "winners": sorted(recomputed),
            }
        )
        # winners hold reservations; losers' claims are released
        reservations = session.scalar(
            select(func.count())
            .select_from(Reservation)
            .where(Reservation.campaign_id == campaign.id)
        )
        claims = session.scalar(
            select(func.count()).select_from(Claim).where(Claim.campaign_id == campaign.id)
        )
        assert reservations == claims == 4

    def test_a_tampered_list_does_not_reproduce_the_result(
        self, session: Session, world: World
    ) -> None:
        campaign = _lottery(session, world, quota=1)
        for i in range(8):
            _register(session, world, campaign, slot_index=i % 2)
        _closed_draw(session, world, campaign)
        view = service.draw_view(session, campaign_id=campaign.id)
        assert view.seed is not None
        assert view.winners is not None
        entries = [(str(e.registration_id), str(e.slot_id)) for e in view.registrations]
        published = sorted(str(w) for w in view.winners)
        # drop one winner from the list: the recomputation and the digest both change
        tampered = [e for e in entries if e[0] != published[0]]
        assert sorted(verify_draw(bytes.fromhex(view.seed), tampered, view.quota)) != published
        assert registrations_digest(tampered) != view.registrations_digest
        # a different seed does not reproduce it either (or fails the commitment)
        other = bytes(32)
        assert hashlib.sha256(other).hexdigest() != view.seed_commitment

    def test_registration_rules(self, session: Session, world: World) -> None:
        campaign = _lottery(session, world)
        resident = world.principal(add_citizen(session, with_password=False))
        data = BookingCreate(slot_id=campaign.slots[0].id)
        plan = service.plan_registration(
            session, principal=resident, campaign_id=campaign.id, data=data
        )
        service.execute_registration(session, plan=plan)
        with pytest.raises(AlreadyReserved), session.begin_nested():
            service.execute_registration(session, plan=plan)
        with pytest.raises(CampaignClosed):
            service.plan_registration(
                session,
                principal=resident,
                campaign_id=campaign.id,
                data=data,
                now=campaign.closes_at + timedelta(seconds=1),
            )

    def test_no_draw_while_open_and_only_once(self, session: Session, world: World) -> None:
        campaign = _lottery(session, world)
        admin = world.principal(world.city_a_admin)
        with pytest.raises(WrongMode, match="still open"):
            service.draw(session, principal=admin, campaign_id=campaign.id)
        _closed_draw(session, world, campaign)
        with pytest.raises(WrongMode, match="already"):
            service.draw(session, principal=admin, campaign_id=campaign.id)
