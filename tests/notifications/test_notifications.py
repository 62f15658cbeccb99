"""Notifications: applicants hear of every status change, the API and pages show only one's
own, marking read, and the header badge."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import NotFound
from govhub.identity import authn
from govhub.identity.models import Account
from govhub.licenses import service as licenses
from govhub.licenses.demo import DEMO_TYPES
from govhub.notifications import service as notifications
from govhub.notifications.models import Notification, NotificationKind
from govhub.payments import service as payments
from govhub.services import service
from govhub.services.models import Application, Task, TaskStatus
from govhub.services.schemas import Outcome, TaskComplete
from tests.browsing import SignIn, csrf_from
from tests.factories import World
from tests.licenses.helpers import enterprise
from tests.services.helpers import Catalog, build_catalog, resident, sc001

Login = Callable[[Account], dict[str, str]]
PROBLEM = "application/problem+json"
K = NotificationKind


@pytest.fixture
def catalog(session: Session, world: World) -> Catalog:
    built = build_catalog(session, world)
    for data in DEMO_TYPES:
        licenses.define_type(session, data=data)
    return built


@pytest.fixture
def citizen(session: Session) -> Account:
    return resident(session)


def _apply(session: Session, citizen: Account) -> Application:
    principal = authn.principal_for(citizen)
    application, _ = service.submit(session, principal=principal, data=sc001(session, principal))
    return application


def _decide(
    session: Session, official: Account, application: Application, outcome: Outcome, why: str = ""
) -> None:
    task = session.scalars(
        select(Task).where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
    ).one()
    service.complete(
        session,
        principal=authn.principal_for(official),
        task_id=task.id,
        data=TaskComplete(outcome=outcome, comment=why or None),
    )


def _kinds(session: Session, account: Account) -> list[NotificationKind]:
    return list(
        session.scalars(
            select(Notification.kind)
            .where(Notification.recipient_id == account.id)
            .order_by(Notification.created_at, Notification.id)
        )
    )


class TestApplicantNotices:
    def test_each_status_change_is_told(
        self, session: Session, world: World, catalog: Catalog, citizen: Account
    ) -> None:
        admin = world.city_a_admin
        application = _apply(session, citizen)
        assert _kinds(session, citizen) == []
        _decide(session, admin, application, Outcome.CORRECT, "请补充材料")
        row = session.scalars(
            select(Notification).where(Notification.recipient_id == citizen.id)
        ).one()
        assert row.kind is K.CORRECTION_REQUESTED
        assert row.params == {"matter": "SC-001", "reason": "请补充材料"}
        assert row.subject == f"application:{application.id}"

        applicant = enterprise(session)  # business licenses go to enterprises
        second = _apply(session, applicant)
        _decide(session, admin, second, Outcome.ACCEPT)
        _decide(session, admin, second, Outcome.APPROVE)
        _decide(session, admin, second, Outcome.APPROVE)
        assert _kinds(session, applicant) == [
            K.APPLICATION_ACCEPTED, K.APPLICATION_APPROVED, K.LICENSE_ISSUED,
        ]  # fmt: skip

        third = _apply(session, resident(session))
        _decide(session, admin, third, Outcome.REJECT, "经营范围不符")
        rejected = session.scalars(
            select(Notification).where(Notification.subject == f"application:{third.id}")
        ).one()
        assert (rejected.kind, rejected.params["reason"]) == (
            K.APPLICATION_REJECTED,
            "经营范围不符",
        )

    def test_a_fee_is_told_as_due(
        self, session: Session, world: World, catalog: Catalog, citizen: Account
    ) -> None:
        service.get_matter(session, "SC-001").fee_fen = 5000
        application = _apply(session, citizen)
        row = session.scalars(
            select(Notification).where(Notification.recipient_id == citizen.id)
        ).one()
        assert (row.kind, row.params) == (K.PAYMENT_DUE, {"matter": "SC-001", "amount": "50.00"})
        assert payments.order_for_subject(session, f"application:{application.id}") is not None


class TestService:
    def test_only_the_recipient_reads_and_marks(
        self, session: Session, world: World, citizen: Account
    ) -> None:
        (row,) = notifications.notify(
            session, [citizen.id, citizen.id], K.APPLICATION_ACCEPTED,
            subject="application:x", params={"matter": "SC-001"},
        )  # fmt: skip
        own = authn.principal_for(citizen)
        other = authn.principal_for(world.city_a_admin)
        assert notifications.unread_count(session, principal=own) == 1
        assert notifications.list_own(session, principal=other) == ([], 0)
        with pytest.raises(NotFound, match="no such notification"):
            notifications.mark_read(session, principal=other, notification_id=row.id)
        assert row.read_at is None
        first = notifications.mark_read(session, principal=own, notification_id=row.id).read_at
        assert first is not None
        assert (
            notifications.mark_read(session, principal=own, notification_id=row.id).read_at == first
        )
        assert notifications.unread_count(session, principal=own) == 0


class TestHttp:
    def test_api_lists_marks_and_hides_others(
        self, session: Session, world: World, citizen: Account, client: TestClient, login: Login
    ) -> None:
        rows = [
            notifications.notify(
                session, [citizen.id], K.APPLICATION_ACCEPTED,
                subject=f"application:{i}", params={"matter": "SC-001"},
            )[0]
            for i in range(3)
        ]  # fmt: skip
        headers = login(citizen)
        page = client.get("/api/v1/notifications", headers=headers).json()
        assert page["total"] == 3
        assert {i["id"] for i in page["items"]} == {str(r.id) for r in rows}

        read = client.post(f"/api/v1/notifications/{rows[0].id}/read", headers=headers)
        assert read.status_code == 200
        assert read.json()["read_at"] is not None
        unread = client.get("/api/v1/notifications?unread=true", headers=headers).json()
        assert unread["total"] == 2

        foreign = client.post(
            f"/api/v1/notifications/{rows[1].id}/read", headers=login(world.city_a_admin)
        )
        missing = client.post(f"/api/v1/notifications/{uuid.uuid4()}/read", headers=headers)
        assert foreign.status_code == missing.status_code == 404
        assert foreign.headers["content-type"].startswith(PROBLEM)
        bad = client.post("/api/v1/notifications/not-an-id/read", headers=headers)
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith(PROBLEM)
        assert client.get("/api/v1/notifications?limit=0", headers=headers).status_code == 422
        assert client.get("/api/v1/notifications").status_code == 401
        session.expire_all()
        assert session.get(Notification, rows[1].id).read_at is None  # type: ignore[union-attr]

        marked = client.post("/api/v1/notifications/read-all", headers=headers)
        assert marked.json() == {"marked": 2}
        assert client.get("/api/v1/notifications?unread=true", headers=headers).json()["total"] == 0

    def test_page_and_badge(
        self, session: Session, citizen: Account, sign_in: SignIn, browser: TestClient
    ) -> None:
        assert browser.get("/notifications/badge").text == ""
        anonymous = browser.get("/notifications", follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login?next=")
        (row,) = notifications.notify(
            session, [citizen.id], K.CORRECTION_REQUESTED, subject="application:x",
            params={"matter": "SC-001", "reason": "请补充材料"}, link="/services/mine",
        )  # fmt: skip
        signed = sign_in(citizen)
        home = signed.get("/")
        assert 'hx-get="/notifications/badge"' in home.text
        badge = signed.get("/notifications/badge")
        assert 'data-testid="unread">1<' in badge.text
        page = signed.get("/notifications")
        assert page.status_code == 200
        assert "您申请的 SC-001 需要补正：请补充材料" in page.text
        response = signed.post(
            f"/notifications/{row.id}/read",
            data={"csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/services/mine"
        assert 'data-testid="unread"' not in signed.get("/notifications/badge").text
        english = signed.get("/notifications", headers={"Accept-Language": "en"})
        assert "Your application for SC-001 needs a correction: 请补充材料" in english.text
