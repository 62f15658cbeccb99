"""Consents: given, listed and withdrawn by their person only; checked before reading; ledgered."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.identity import service as identity_service
from govhub.identity.models import Account
from govhub.identity.schemas import CitizenRegister
from govhub.ledger.models import LedgerPending
from govhub.privacy import service
from tests.data.helpers import make_resource
from tests.factories import PASSWORD, World, make_id_number

Login = Callable[[Account], dict[str, str]]
URL = "/api/v1/me/consents"


def _citizen(session: Session, name: str, seq: str) -> Account:
    return identity_service.register_citizen(
        session,
        data=CitizenRegister(
            username=name,
            password=PASSWORD,
            display_name="张三",
            id_number=make_id_number(seq=seq),
        ),
    )


@pytest.fixture
def citizen(session: Session) -> Account:
    return _citizen(session, "consent-citizen", "101")


class TestLifecycle:
    def test_give_check_withdraw(
        self,
        client: TestClient,
        session: Session,
        world: World,
        citizen: Account,
        login: Login,
    ) -> None:
        resource = make_resource(session, world)
        headers = login(citizen)
        body = {
            "department_id": str(world.city_b_market.id),
            "resource_ids": [str(resource.id)],
            "purpose": "办理企业开办，免于重复提交身份证明",
            "duration_days": 30,
        }
        given = client.post(URL, json=body, headers=headers)
        assert given.status_code == 201, given.text
        consent_id = uuid.UUID(given.json()["id"])
        assert given.json()["active"] is True
        assert given.json()["department_name"] == world.city_b_market.name

        found = service.consent_for(
            session,
            account_id=citizen.id,
            department_id=world.city_b_market.id,
            resource_id=resource.id,
        )
        assert found is not None
        assert found.id == consent_id
        for department, when in (
            (world.city_a_tax.id, None),
            (world.city_b_market.id, utcnow() + timedelta(days=31)),
        ):
            assert (
                service.consent_for(
                    session,
                    account_id=citizen.id,
                    department_id=department,
                    resource_id=resource.id,
                    now=when,
                )
                is None
            )

        withdrawn = client.post(f"{URL}/{consent_id}/withdrawal", headers=headers)
        assert withdrawn.json()["active"] is False
        session.expire_all()
        assert (
            service.consent_for(
                session,
                account_id=citizen.id,
                department_id=world.city_b_market.id,
                resource_id=resource.id,
            )
            is None
        )
        again = client.post(f"{URL}/{consent_id}/withdrawal", headers=headers)
        assert again.status_code == 409
        kinds = session.scalars(
            select(LedgerPending.kind).where(LedgerPending.subject == f"consent:{consent_id}")
        ).all()
        assert sorted(kinds) == ["consent_given", "consent_withdrawn"]


class TestBoundaries:
    def test_only_the_giver_sees_and_withdraws(
        self,
        client: TestClient,
        session: Session,
        world: World,
        citizen: Account,
        login: Login,
    ) -> None:
        resource = make_resource(session, world)
        body = {
            "department_id": str(world.city_b_market.id),
            "resource_ids": [str(resource.id)],
            "purpose": "办理企业开办",
        }
        made = client.post(URL, json=body, headers=login(citizen)).json()
        other = login(_citizen(session, "consent-other", "102"))
        assert client.get(URL, headers=other).json() == []
        stolen = client.post(f"{URL}/{made['id']}/withdrawal", headers=other)
        assert stolen.status_code == 404
        assert client.get(URL, headers=login(world.city_a_admin)).status_code == 403

    @pytest.mark.parametrize(
        "change",
        [
            {"department_id": "00000000-0000-4000-8000-000000000000"},
            {"resource_ids": ["00000000-0000-4000-8000-000000000000"]},
            {"resource_ids": []},
            {"purpose": "x"},
            {"duration_days": 0},
            {"duration_days": 4000},
            {"purpose": "办理\x00业务"},
        ],
    )
    def test_bad_input_changes_nothing(
        self,
        client: TestClient,
        session: Session,
        world: World,
        citizen: Account,
        login: Login,
        change: dict[str, object],
    ) -> None:
        resource = make_resource(session, world)
        body = {
            "department_id": str(world.city_b_market.id),
            "resource_ids": [str(resource.id)],
            "purpose": "办理企业开办",
        } | change
        headers = login(citizen)
        response = client.post(URL, json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert client.get(URL, headers=headers).json() == []
