"""Cross-region handling: routing an application to another division's competent department,
its notices and ledger entry, and every refusal changing nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.identity import authn
from govhub.identity.models import Account
from govhub.ledger.models import LedgerPending
from govhub.notifications.models import Notification, NotificationKind
from govhub.services import service
from govhub.services.models import Application, Task, TaskStatus
from govhub.services.schemas import Outcome, TaskComplete, TaskTransfer
from tests.browsing import SignIn, csrf_from
from tests.factories import World
from tests.services.helpers import Catalog, build_catalog, resident, restaurant_bundle, sc001

Login = Callable[[Account], dict[str, str]]
PROBLEM = "application/problem+json"


@pytest.fixture
def catalog(session: Session, world: World) -> Catalog:
    return build_catalog(session, world)


@pytest.fixture
def application(session: Session, catalog: Catalog) -> Application:
    citizen = authn.principal_for(resident(session))
    application, _ = service.submit(session, principal=citizen, data=sc001(session, citizen))
    return application


def _task(session: Session, application: Application) -> Task:
    return session.scalars(
        select(Task).where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
    ).one()


def _state(session: Session, application: Application) -> tuple[object, ...]:
    task = _task(session, application)
    notices = session.scalar(select(func.count()).select_from(Notification))
    entries = session.scalar(
        select(func.count())
        .select_from(LedgerPending)
        .where(LedgerPending.kind == "application_transferred")
    )
    return (application.division_code, application.department_id, task.department_id,
            task.division_code, notices, entries)  # fmt: skip


class TestTransfer:
    def test_moves_the_task_tells_everyone_and_is_ledgered(
        self, session: Session, world: World, application: Application
    ) -> None:
        admin_a = authn.principal_for(world.city_a_admin)
        task = _task(session, application)
        moved = service.transfer(
            session, principal=admin_a, task_id=task.id,
            data=TaskTransfer(division_code="330200", comment="经营场所在宁波"),
        )  # fmt: skip
        assert moved.department_id == world.city_b_market.id
        assert moved.division_code == "330200"
        assert (application.division_code, application.department_id) == (
            "330200",
            world.city_b_market.id,
        )
        applicant = session.scalars(
            select(Notification).where(Notification.recipient_id == application.applicant_id)
        ).all()
        transferred = [n for n in applicant if n.kind is NotificationKind.APPLICATION_TRANSFERRED]
        assert transferred[0].params == {"matter": "SC-001", "division": "330200"}
        receivers = session.scalars(
            select(Notification.recipient_id).where(
                Notification.kind == NotificationKind.TASK_TRANSFERRED
            )
        ).all()
        assert list(receivers) == [world.city_b_admin.id]
        entry = session.scalars(
            select(LedgerPending).where(LedgerPending.kind == "application_transferred")
        ).one()
        assert entry.subject == f"application:{application.id}"
        assert entry.department_id == world.city_a_market.id

        # The receiving department works it; the sending one no longer sees it.
        with pytest.raises(NotFound):
            service.get_task(session, principal=admin_a, task_id=task.id)
        admin_b = authn.principal_for(world.city_b_admin)
        inbox, _ = service.inbox(session, principal=admin_b)
        assert [t.id for t in inbox] == [task.id]
        service.complete(
            session, principal=admin_b, task_id=task.id, data=TaskComplete(outcome=Outcome.ACCEPT)
        )
        review = _task(session, application)
        assert (review.step, review.department_id) == ("review", world.city_b_market.id)

    @pytest.mark.parametrize(
        ("division", "error", "message"),
        [
            ("330100", InvalidInput, "already in division 330100"),
            ("330000", InvalidInput, "not offered in division 330000"),
            ("999999", InvalidInput, "no division 999999"),
        ],
    )
    def test_bad_targets_are_refused_and_change_nothing(
        self,
        session: Session,
        world: World,
        application: Application,
        division: str,
        error: type[Exception],
        message: str,
    ) -> None:
        before = _state(session, application)
        with pytest.raises(error, match=message):
            service.transfer(
                session, principal=authn.principal_for(world.city_a_admin),
                task_id=_task(session, application).id,
                data=TaskTransfer(division_code=division),
            )  # fmt: skip
        assert _state(session, application) == before

    def test_another_departments_task_does_not_exist(
        self, session: Session, world: World, application: Application
    ) -> None:
        before = _state(session, application)
        for account in (world.county_a_official, world.city_b_admin):
            with pytest.raises(NotFound):
                service.transfer(
                    session, principal=authn.principal_for(account),
                    task_id=_task(session, application).id,
                    data=TaskTransfer(division_code="330200"),
                )  # fmt: skip
        assert _state(session, application) == before

    def test_a_decided_application_is_not_transferred(
        self, session: Session, world: World, application: Application
    ) -> None:
        admin = authn.principal_for(world.city_a_admin)
        task = _task(session, application)
        service.complete(
            session, principal=admin, task_id=task.id,
            data=TaskComplete(outcome=Outcome.REJECT, comment="不符合条件"),
        )  # fmt: skip
        with pytest.raises(Conflict, match="already completed"):
            service.transfer(
                session, principal=admin, task_id=task.id,
                data=TaskTransfer(division_code="330200"),
            )  # fmt: skip
        assert application.division_code == "330100"

    def test_a_bundle_part_is_not_transferred(
        self, session: Session, world: World, catalog: Catalog
    ) -> None:
        citizen = authn.principal_for(resident(session))
        bundle, _ = service.submit(
            session, principal=citizen, data=restaurant_bundle(session, citizen)
        )
        task = session.scalars(
            select(Task).where(
                Task.application_id == bundle.id, Task.department_id == world.city_a_market.id
            )
        ).first()
        assert task is not None
        with pytest.raises(Conflict, match="bundle"):
            service.transfer(
                session, principal=authn.principal_for(world.city_a_admin), task_id=task.id,
                data=TaskTransfer(division_code="330200"),
            )  # fmt: skip
        session.refresh(task)
        assert task.department_id == world.city_a_market.id


class TestTransferHttp:
    def test_api_transfers_and_refuses_with_problems(
        self,
        session: Session,
        world: World,
        application: Application,
        client: TestClient,
        login: Login,
    ) -> None:
        task = _task(session, application)
        url = f"/api/v1/services/tasks/{task.id}/transfer"
        headers = login(world.city_a_admin)
        before = _state(session, application)
        for body, code in [
            ({"division_code": "33"}, 422),
            ({"division_code": "330000"}, 422),
            ({"division_code": "330100"}, 422),
            ({"division_code": "330200", "extra": 1}, 422),
        ]:
            response = client.post(url, headers=headers, json=body)
            assert response.status_code == code, response.text
            assert response.headers["content-type"].startswith(PROBLEM)
        other = client.post(
            url, headers=login(world.city_b_admin), json={"division_code": "330200"}
        )
        assert other.status_code == 404
        assert other.headers["content-type"].startswith(PROBLEM)
        session.expire_all()
        assert _state(session, application) == before

        response = client.post(url, headers=headers, json={"division_code": "330200"})
        assert response.status_code == 200, response.text
        assert response.json()["division_code"] == "330200"
        again = client.post(url, headers=headers, json={"division_code": "330102"})
        assert again.status_code == 404

    def test_inbox_page_offers_the_transfer(
        self, session: Session, world: World, application: Application, sign_in: SignIn
    ) -> None:
        browser = sign_in(world.city_a_admin)
        page = browser.get("/services/inbox")
        assert page.status_code == 200
        assert 'data-testid="transfer"' in page.text
        assert 'value="330200"' in page.text
        assert 'value="330100"' not in page.text.split('data-testid="transfer"')[1]
        task = _task(session, application)
        response = browser.post(
            f"/services/tasks/{task.id}/transfer",
            data={"division_code": "330200", "comment": "", "csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        session.expire_all()
        assert _task(session, application).department_id == world.city_b_market.id
