"""Campaign publication and first-come-first-served booking at service level."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy import Table, event, func, select, update
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import InvalidInput, NotFound
from govhub.identity.principal import Principal
from govhub.ledger.service import payload_digest
from govhub.reservations import booking, service
from govhub.reservations.booking import BookingPlan
from govhub.reservations.errors import (
    AlreadyReserved,
    CampaignClosed,
    IdempotencyKeyReused,
    NotEligible,
    SoldOut,
    WrongMode,
)
from govhub.reservations.models import (
    AllocationMode,
    Campaign,
    Claim,
    QuotaShard,
    Reservation,
)
from govhub.reservations.schemas import BookingCreate
from tests.factories import World
from tests.reservations.helpers import add_citizen, campaign_data, ledgered


def _publish(session: Session, world: World, **overrides: object) -> Campaign:
    return service.create_campaign(
        session, principal=world.principal(world.city_a_admin), data=campaign_data(**overrides)
    )


def _book(
    session: Session,
    campaign: Campaign,
    principal: Principal,
    slot_index: int = 0,
    key: str | None = None,
) -> Reservation:
    plan = service.plan_booking(
        session,
        principal=principal,
        campaign_id=campaign.id,
        data=BookingCreate(slot_id=campaign.slots[slot_index].id),
        idempotency_key=key,
    )
    if isinstance(plan, Reservation):
        return plan
    with session.begin_nested():  # the write transaction: a refusal rolls all of it back
        return service.execute_booking(session, plan=plan)


def _citizen(session: Session, world: World, **kwargs: str) -> Principal:
    return world.principal(add_citizen(session, with_password=False, **kwargs))


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class TestPublication:
    def test_slots_and_shards_carry_the_quota(self, session: Session, world: World) -> None:
        campaign = _publish(session, world, quota_per_slot=7, shards=3)
        assert len(campaign.slots) == 2  # two points x one window
        for slot in campaign.slots:
            shards = session.scalars(select(QuotaShard).where(QuotaShard.slot_id == slot.id))
            assert sorted(s.remaining for s in shards) == [2, 2, 3]
        assert campaign.period_key == f"campaign:{campaign.id}"
        assert campaign.seed_commitment is None

    def test_publication_is_ledgered_without_personal_data(
        self, session: Session, world: World
    ) -> None:
        campaign = _publish(session, world)
        entries = ledgered(session, f"campaign:{campaign.id}")
        assert [kind for kind, _ in entries] == ["reservation_campaign_published"]
        slots = sorted([str(s.id), s.quota] for s in campaign.slots)
        assert entries[0][1] == payload_digest(
            {
                "mode": "fcfs",
                "opens_at": campaign.opens_at.isoformat(),
                "closes_at": campaign.closes_at.isoformat(),
                "slots": slots,
            }
        )

    def test_points_outside_scope_are_refused(self, session: Session, world: World) -> None:
        with pytest.raises(InvalidInput, match="outside your scope"):
            service.create_campaign(
                session,
                principal=world.principal(world.city_b_admin),
                data=campaign_data(),
            )
        assert _count(session, Campaign) == 0

    def test_a_campaign_already_over_is_refused(self, session: Session, world: World) -> None:
        past = utcnow() - timedelta(hours=1)
        with pytest.raises(InvalidInput, match="already be closed"):
            _publish(session, world, opens_at=past - timedelta(hours=1), closes_at=past)


def _sold_out(session: Session, world: World) -> tuple[Campaign, Principal]:
    """A campaign of one place, booked; return it and a resident it has just refused."""
    campaign = _publish(session, world, quota_per_slot=1, shards=1)
    first, late = _citizen(session, world), _citizen(session, world)
    session.commit()
    _book(session, campaign, first)
    with pytest.raises(SoldOut):
        _book(session, campaign, late)
    return campaign, late


class TestBooking:
    def test_a_resident_books_and_the_quota_drops(self, session: Session, world: World) -> None:
        campaign = _publish(session, world)
        reservation = _book(session, campaign, _citizen(session, world))
        assert reservation.slot_id == campaign.slots[0].id
        remaining = session.scalar(
            select(func.sum(QuotaShard.remaining)).where(QuotaShard.slot_id == campaign.slots[0].id)
        )
        assert remaining == 2

    def test_no_slot_is_sold_twice(self, session: Session, world: World) -> None:
        campaign = _publish(session, world, quota_per_slot=3, shards=2)
        for _ in range(3):
            _book(session, campaign, _citizen(session, world))
        late = _citizen(session, world)
        with pytest.raises(SoldOut):
            _book(session, campaign, late)
        assert _count(session, Reservation) == 3
        # the refusal changed nothing: the late resident holds no claim
        assert session.get(Claim, (campaign.period_key, late.account_id)) is None
        # another slot of the same campaign still has places
        assert _book(session, campaign, late, slot_index=1).slot_id == campaign.slots[1].id

    def test_a_sold_out_slot_refuses_without_writing(self, session: Session, world: World) -> None:
        campaign = _publish(session, world, quota_per_slot=1, shards=1)
        first, late, later = (_citizen(session, world) for _ in range(3))
        session.commit()
        booked = _book(session, campaign, first, key="k-first-1")
        with pytest.raises(SoldOut):
            _book(session, campaign, late)  # the database says so; this process remembers
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement.lstrip().split()[0].upper())

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            with pytest.raises(SoldOut):
                _book(session, campaign, later)
            retry = _book(session, campaign, first, key="k-first-1")
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert not {"INSERT", "UPDATE", "DELETE"} & set(statements)
        assert retry.id == booked.id  # a retry with its key still gets its first answer
        assert _count(session, Reservation) == 1
        assert session.get(Claim, (campaign.period_key, later.account_id)) is None

    def test_the_sold_out_marker_goes_when_the_quota_changes(
        self, session: Session, world: World
    ) -> None:
        campaign, late = _sold_out(session, world)
        shard = session.scalars(
            select(QuotaShard).where(QuotaShard.slot_id == campaign.slots[0].id)
        ).one()
        shard.remaining += 1  # this process changes the quota: the marker is dropped
        session.commit()
        assert _book(session, campaign, late).resident_id == late.account_id

    def test_the_sold_out_marker_expires(self, session: Session, world: World) -> None:
        campaign, late = _sold_out(session, world)
        # another process adds a place (a statement the ORM of this process does not see)
        shards = cast(Table, QuotaShard.__table__)
        session.connection().execute(
            update(shards).where(shards.c.slot_id == campaign.slots[0].id).values(remaining=1)
        )
        session.commit()
        with pytest.raises(SoldOut):  # the marker still answers, for its short time to live
            _book(session, campaign, late)
        time.sleep(booking.SOLD_OUT_SECONDS + 0.05)
        assert _book(session, campaign, late).resident_id == late.account_id

    def test_one_reservation_per_resident_and_period(self, session: Session, world: World) -> None:
        first = _publish(session, world, period_key="masks-2026-w48")
        second = _publish(session, world, period_key="masks-2026-w48")
        resident = _citizen(session, world)
        _book(session, first, resident)
        with pytest.raises(AlreadyReserved):
            _book(session, first, resident, slot_index=1)
        with pytest.raises(AlreadyReserved):
            _book(session, second, resident)
        assert _count(session, Reservation) == 1

    def test_an_idempotent_retry_returns_the_first_reservation(
        self, session: Session, world: World
    ) -> None:
        campaign = _publish(session, world)
        resident = _citizen(session, world)
        first = _book(session, campaign, resident, key="retry-key-1")
        again = _book(session, campaign, resident, key="retry-key-1")
        assert again.id == first.id
        with pytest.raises(IdempotencyKeyReused):
            _book(session, campaign, resident, slot_index=1, key="retry-key-1")
        assert _count(session, Reservation) == 1

    def test_a_key_used_in_another_period_changes_nothing(
        self, session: Session, world: World
    ) -> None:
        first = _publish(session, world, period_key="masks-w48")
        second = _publish(session, world, period_key="masks-w49", quota_per_slot=1, shards=1)
        resident = _citizen(session, world)
        session.commit()
        _book(session, first, resident, key="shared-key-1")
        with pytest.raises(IdempotencyKeyReused):
            _book(session, second, resident, key="shared-key-1")
        assert session.get(Claim, (second.period_key, resident.account_id)) is None
        assert _count(session, Reservation) == 1
        remaining = session.scalar(
            select(func.sum(QuotaShard.remaining)).where(QuotaShard.slot_id == second.slots[0].id)
        )
        assert remaining == 1

    def test_an_empty_own_shard_falls_through_to_another(
        self, session: Session, world: World
    ) -> None:
        campaign = _publish(session, world, quota_per_slot=4, shards=4)
        resident = _citizen(session, world)
        assert resident.account_id is not None
        own = int.from_bytes(hashlib.sha256(resident.account_id.bytes).digest()[:4], "big") % 4
        shards = cast(Table, QuotaShard.__table__)
        slot_id = campaign.slots[0].id
        session.connection().execute(
            update(shards)
            .where(shards.c.slot_id == slot_id, shards.c.shard == own)
            .values(remaining=0)
        )
        session.commit()
        reservation = _book(session, campaign, resident)
        assert reservation.shard != own
        assert session.get(Claim, (campaign.period_key, resident.account_id)) is not None
        remaining = session.scalar(
            select(func.sum(QuotaShard.remaining)).where(QuotaShard.slot_id == slot_id)
        )
        assert remaining == 4 - 1 - 1  # the emptied shard's place and the booked one

    def test_a_retry_racing_its_first_attempt_gets_the_first_answer(
        self, session: Session, world: World
    ) -> None:
        campaign = _publish(session, world)
        resident = _citizen(session, world)
        data = BookingCreate(slot_id=campaign.slots[0].id)
        plans = [
            service.plan_booking(
                session,
                principal=resident,
                campaign_id=campaign.id,
                data=data,
                idempotency_key="same-key-77",
            )
            for _ in range(2)
        ]  # both planned before either executed
        assert all(isinstance(p, BookingPlan) for p in plans)
        done = [
            service.execute_booking(session, plan=p) for p in plans if isinstance(p, BookingPlan)
        ]
        assert done[0].id == done[1].id
        assert _count(session, Reservation) == 1


class TestRefusals:
    def test_unknown_campaign(self, session: Session, world: World) -> None:
        with pytest.raises(NotFound):
            service.plan_booking(
                session,
                principal=_citizen(session, world),
                campaign_id=uuid.uuid4(),
                data=BookingCreate(slot_id=uuid.uuid4()),
            )

    def test_unknown_slot(self, session: Session, world: World) -> None:
        campaign = _publish(session, world)
        with pytest.raises(InvalidInput, match="no such slot"):
            service.plan_booking(
                session,
                principal=_citizen(session, world),
                campaign_id=campaign.id,
                data=BookingCreate(slot_id=uuid.uuid4()),
            )

    def test_not_yet_open_and_closed(self, session: Session, world: World) -> None:
        campaign = _publish(session, world)
        resident = _citizen(session, world)
        data = BookingCreate(slot_id=campaign.slots[0].id)
        with pytest.raises(CampaignClosed, match="not opened"):
            service.plan_booking(
                session,
                principal=resident,
                campaign_id=campaign.id,
                data=data,
                now=campaign.opens_at - timedelta(seconds=1),
            )
        service.close_campaign(
            session, principal=world.principal(world.city_a_admin), campaign_id=campaign.id
        )
        with pytest.raises(CampaignClosed, match="closed"):
            _book(session, campaign, resident)
        assert _count(session, Reservation) == 0

    def test_officials_are_not_residents(self, session: Session, world: World) -> None:
        campaign = _publish(session, world)
        with pytest.raises(NotEligible):
            _book(session, campaign, world.principal(world.city_a_official))

    @pytest.mark.parametrize(
        ("born", "division", "allowed"),
        [
            ("19900307", "330102", True),
            ("20150101", "330102", False),  # too young
            ("19400101", "330102", False),  # too old
            ("19900307", "330203", False),  # registered in another city
        ],
    )
    def test_age_and_residence_rules(
        self, session: Session, world: World, born: str, division: str, allowed: bool
    ) -> None:
        campaign = _publish(session, world, min_age=18, max_age=70, residence_division="330100")
        resident = _citizen(session, world, born=born, division=division)
        if allowed:
            assert _book(session, campaign, resident).resident_id == resident.account_id
        else:
            with pytest.raises(NotEligible):
                _book(session, campaign, resident)
            assert _count(session, Reservation) == 0

    def test_lottery_campaigns_are_not_booked(self, session: Session, world: World) -> None:
        campaign = _publish(session, world, mode=AllocationMode.LOTTERY)
        with pytest.raises(WrongMode):
            _book(session, campaign, _citizen(session, world))


class TestCounts:
    def test_live_counts_per_point(self, session: Session, world: World) -> None:
        campaign = _publish(session, world, quota_per_slot=4)
        for _ in range(3):
            _book(session, campaign, _citizen(session, world))
        counts = service.counts(
            session, principal=world.principal(world.city_a_admin), campaign_id=campaign.id
        )
        by_point = {p.point_id: p for p in counts.points}
        first = by_point[campaign.slots[0].point_id]
        assert (first.quota, first.remaining, first.booked, first.redeemed) == (4, 1, 3, 0)
        other = by_point[campaign.slots[1].point_id]
        assert (other.quota, other.remaining, other.booked) == (4, 4, 0)

    def test_counts_of_another_city_are_not_found(self, session: Session, world: World) -> None:
        campaign = _publish(session, world)
        with pytest.raises(NotFound):
            service.counts(
                session, principal=world.principal(world.city_b_admin), campaign_id=campaign.id
            )
