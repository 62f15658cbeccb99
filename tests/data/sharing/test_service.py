"""Sharing service: requesting, deciding, granting, revoking and reminding, all ledgered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.data.sharing import service
from govhub.data.sharing.models import RequestStatus
from govhub.data.sharing.schemas import Condition, Decision, ShareRequestCreate
from govhub.ledger.models import LedgerPending
from tests.data.sharing.helpers import add_client, make_request, request_body, shareable
from tests.factories import World


def _kinds(session: Session, subject_prefix: str) -> list[str]:
    rows = session.scalars(
        select(LedgerPending.kind).where(LedgerPending.subject.like(f"{subject_prefix}%"))
    )
    return sorted(rows)


class TestRequesting:
    def test_an_unconditional_resource_is_granted_at_once_with_personal_fields_masked(
        self, session: Session, world: World
    ) -> None:
        resource = shareable(session, world, "unconditional")
        request = make_request(session, world, world.city_b_admin, resource)
        assert request.status is RequestStatus.GRANTED
        grant = service.grant_of(session, request)
        assert grant is not None
        assert grant.field_policies == {
            "fddbr": {"treatment": "mask", "mask_style": "name"},
            "fddbr_sfzh": {"treatment": "mask", "mask_style": "id_number"},
        }
        assert grant.row_filter == [{"field": "szqh", "op": "within_division", "value": "330200"}]
        assert grant.expires_at - grant.granted_at == timedelta(days=180)
        assert _kinds(session, f"share-request:{request.id}") == ["share_requested"]
        assert _kinds(session, f"grant:{grant.id}") == ["share_granted"]

    def test_clear_text_of_a_personal_field_always_waits_for_the_owner(
        self, session: Session, world: World
    ) -> None:
        resource = shareable(session, world, "unconditional")
        clear = {"treatment": "clear", "legal_basis": "《行政许可法》第三十一条"}
        request = make_request(
            session, world, world.city_b_admin, resource, treatments={"fddbr_sfzh": clear}
        )
        assert request.status is RequestStatus.PENDING
        assert service.grant_of(session, request) is None

    def test_a_conditional_resource_waits_for_the_owner(
        self, session: Session, world: World
    ) -> None:
        request = make_request(session, world, world.city_b_admin, shareable(session, world))
        assert request.status is RequestStatus.PENDING
        incoming = service.list_requests(
            session, principal=world.principal(world.city_a_admin), incoming=True
        )
        assert [r.id for r in incoming] == [request.id]
        outgoing = service.list_requests(
            session, principal=world.principal(world.city_b_admin), incoming=False
        )
        assert [r.id for r in outgoing] == [request.id]

    def test_a_resource_that_is_not_shared_cannot_be_requested(
        self, session: Session, world: World
    ) -> None:
        resource = shareable(session, world, "not_shared")
        # The province's bureau sees it in its catalog: it is told why it cannot ask.
        with pytest.raises(Conflict, match="not shared"):
            make_request(session, world, world.platform_admin, resource)
        # City B does not see it at all.
        with pytest.raises(NotFound):
            make_request(session, world, world.city_b_admin, resource)

    def test_a_department_does_not_request_its_own_data(
        self, session: Session, world: World
    ) -> None:
        with pytest.raises(Conflict, match="own"):
            make_request(session, world, world.city_a_admin, shareable(session, world))

    def test_unknown_fields_conditions_and_treatments_are_named(
        self, session: Session, world: World
    ) -> None:
        resource = shareable(session, world)
        with pytest.raises(InvalidInput) as raised:
            make_request(
                session,
                world,
                world.city_b_admin,
                resource,
                fields=["qymc", "salary"],
                row_filter=[{"field": "city", "op": "eq", "value": "宁波"}],
                treatments={"fddbr": {"treatment": "mask", "mask_style": "name"}},
            )
        fields = {e["field"] for e in raised.value.extra["errors"]}
        assert fields == {"fields", "row_filter.0.field", "treatments.fddbr"}

    def test_the_consuming_system_must_be_an_active_one_of_the_department(
        self, session: Session, world: World
    ) -> None:
        resource = shareable(session, world)
        principal = world.principal(world.city_b_admin)
        for client in (
            add_client(session, world.city_a_tax),
            add_client(session, world.city_b_market, active=False),
        ):
            data = ShareRequestCreate.model_validate(request_body(resource, client))
            with pytest.raises(InvalidInput, match="client"):
                service.create_request(session, principal=principal, data=data)


class TestDeciding:
    def test_an_approval_narrows_fields_rows_and_duration(
        self, session: Session, world: World
    ) -> None:
        request = make_request(session, world, world.city_b_admin, shareable(session, world))
        decision = Decision.model_validate(
            {
                "outcome": "approve",
                "reason": "同意，仅限法定代表人姓名脱敏",
                "fields": ["tyshxydm", "fddbr"],
                "extra_conditions": [{"field": "qymc", "op": "prefix", "value": "宁波"}],
                "duration_days": 90,
                "treatments": {"fddbr": {"treatment": "mask", "mask_style": "full"}},
            }
        )
        owner = world.principal(world.city_a_admin)
        service.decide(session, principal=owner, request_id=request.id, decision=decision)
        grant = service.grant_of(session, request)
        assert grant is not None
        assert request.status is RequestStatus.GRANTED
        assert grant.fields == ["tyshxydm", "fddbr"]
        assert len(grant.row_filter) == 2
        assert grant.field_policies == {"fddbr": {"treatment": "mask", "mask_style": "full"}}
        assert grant.expires_at - grant.granted_at == timedelta(days=90)
        assert _kinds(session, f"grant:{grant.id}") == ["share_granted"]

    def test_an_approval_keeps_treatments_the_requester_asked_for(
        self, session: Session, world: World
    ) -> None:
        clear = {"treatment": "clear", "legal_basis": "《行政许可法》第三十一条"}
        request = make_request(
            session,
            world,
            world.city_b_admin,
            shareable(session, world),
            treatments={"fddbr_sfzh": clear},
        )
        service.decide(
            session,
            principal=world.principal(world.city_a_admin),
            request_id=request.id,
            decision=Decision(outcome="approve"),
        )
        grant = service.grant_of(session, request)
        assert grant is not None
        assert grant.field_policies["fddbr_sfzh"] == clear
        assert grant.field_policies["fddbr"] == {"treatment": "mask", "mask_style": "name"}

    def test_an_approval_cannot_widen(self, session: Session, world: World) -> None:
        request = make_request(session, world, world.city_b_admin, shareable(session, world))
        owner = world.principal(world.city_a_admin)
        for decision, field in (
            (Decision(outcome="approve", fields=["qymc", "szqh"]), "fields"),
            (Decision(outcome="approve", duration_days=365), "duration_days"),
        ):
            with pytest.raises(InvalidInput) as raised:
                service.decide(session, principal=owner, request_id=request.id, decision=decision)
            assert raised.value.extra["errors"][0]["field"] == field
        assert request.status is RequestStatus.PENDING

    def test_a_rejection_states_its_reason_and_is_final(
        self, session: Session, world: World
    ) -> None:
        with pytest.raises(ValidationError, match="reason"):
            Decision(outcome="reject")
        request = make_request(session, world, world.city_b_admin, shareable(session, world))
        owner = world.principal(world.city_a_admin)
        reject = Decision(outcome="reject", reason="用途与申请字段不符")
        service.decide(session, principal=owner, request_id=request.id, decision=reject)
        assert request.status is RequestStatus.REJECTED
        assert _kinds(session, f"share-request:{request.id}") == [
            "share_rejected",
            "share_requested",
        ]
        with pytest.raises(Conflict, match="rejected"):
            service.decide(session, principal=owner, request_id=request.id, decision=reject)

    def test_only_the_owner_decides(self, session: Session, world: World) -> None:
        request = make_request(session, world, world.city_b_admin, shareable(session, world))
        approve = Decision(outcome="approve")
        for account in (world.city_b_admin, world.platform_admin, world.city_a_leader):
            with pytest.raises(NotFound):
                service.decide(
                    session,
                    principal=world.principal(account),
                    request_id=request.id,
                    decision=approve,
                )


class TestGrants:
    def test_parties_see_a_grant_and_others_do_not(self, session: Session, world: World) -> None:
        request = make_request(
            session, world, world.city_b_admin, shareable(session, world, "unconditional")
        )
        grant = service.grant_of(session, request)
        assert grant is not None
        for account in (world.city_a_admin, world.city_b_admin):
            found = service.get_grant(
                session, principal=world.principal(account), grant_id=grant.id
            )
            assert found.id == grant.id
        with pytest.raises(NotFound):
            service.get_grant(
                session, principal=world.principal(world.city_a_leader), grant_id=grant.id
            )
        held = service.list_grants(
            session, principal=world.principal(world.city_b_admin), incoming=False, active_only=True
        )
        assert [g.id for g in held] == [grant.id]

    def test_the_owner_revokes_once_and_the_grant_stops(
        self, session: Session, world: World
    ) -> None:
        request = make_request(
            session, world, world.city_b_admin, shareable(session, world, "unconditional")
        )
        grant = service.grant_of(session, request)
        assert grant is not None
        with pytest.raises(NotFound):
            service.revoke(
                session,
                principal=world.principal(world.city_b_admin),
                grant_id=grant.id,
                reason="x",
            )
        owner = world.principal(world.city_a_admin)
        service.revoke(session, principal=owner, grant_id=grant.id, reason="发现超范围使用")
        assert not grant.is_active(utcnow())
        assert _kinds(session, f"grant:{grant.id}") == ["grant_revoked", "share_granted"]
        with pytest.raises(Conflict, match="already revoked"):
            service.revoke(session, principal=owner, grant_id=grant.id, reason="again")
        active = service.list_grants(
            session, principal=world.principal(world.city_b_admin), incoming=False, active_only=True
        )
        assert active == []

    def test_grants_near_expiry_are_reminded_once(self, session: Session, world: World) -> None:
        resource = shareable(session, world, "unconditional")
        soon = make_request(session, world, world.city_b_admin, resource, duration_days=10)
        make_request(session, world, world.city_b_admin, resource, duration_days=60)
        now = utcnow()
        due = service.due_for_renewal(session, now=now)
        assert [g.request_id for g in due] == [soon.id]
        assert service.due_for_renewal(session, now=now) == []
        assert service.due_for_renewal(session, now=now + timedelta(days=50)) != []


class TestConditions:
    @pytest.mark.parametrize(
        ("condition", "message"),
        [
            ({"field": "szqh", "op": "in", "value": "330200"}, "list"),
            ({"field": "szqh", "op": "eq", "value": ["330200"]}, "single value"),
            ({"field": "szqh", "op": "within_division", "value": "3302"}, "division code"),
            ({"field": "qymc", "op": "prefix", "value": ""}, "non-empty"),
            ({"field": "qymc; drop table x", "op": "eq", "value": "a"}, "pattern"),
            ({"field": "qymc", "op": "like", "value": "a"}, "op"),
        ],
    )
    def test_malformed_conditions_are_refused(
        self, condition: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValidationError, match=message):
            Condition.model_validate(condition)

    def test_well_formed_conditions(self) -> None:
        assert Condition.model_validate({"field": "zczb", "op": "ge", "value": 100}).value == 100
        within = Condition.model_validate(
            {"field": "szqh", "op": "in", "value": ["330200", "330100"]}
        )
        assert within.value == ["330200", "330100"]
