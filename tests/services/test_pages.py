"""Pages of online services: search, a matter's guide and form, my applications, the inbox."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.services.models import Application, ApplicationStatus, Task
from tests.browsing import SignIn, csrf_from
from tests.factories import World
from tests.services.helpers import PDF, build_catalog, resident, restaurant_form


class TestPages:
    def test_search_and_guide_are_public(
        self, browser: TestClient, session: Session, world: World
    ) -> None:
        build_catalog(session, world)
        page = browser.get("/services", params={"q": "开饭店 食品"})
        assert page.status_code == 200
        assert "/services/matters/SC-003" in page.text
        guide = browser.get("/services/matters/SC-003")
        assert "食品安全法" in guide.text
        assert "/apply" not in guide.text  # anonymous: no form

    def test_apply_then_official_decides(
        self, browser: TestClient, session: Session, world: World, sign_in: SignIn
    ) -> None:
        build_catalog(session, world)
        citizen = resident(session)
        sign_in(citizen)
        form = browser.get("/services/matters/SC-001")
        token = csrf_from(form.text)
        fields = {**restaurant_form(), "division_code": "330100", "csrf_token": token}
        bad = browser.post(
            "/services/matters/SC-001/apply",
            data={**fields, "phone": "x"},
            files={"material_premises": ("p.pdf", PDF, "application/pdf")},
        )
        assert bad.status_code == 422
        assert "form.phone" in bad.text
        assert session.scalar(select(Application.id)) is None
        done = browser.post(
            "/services/matters/SC-001/apply",
            data=fields,
            files={"material_premises": ("p.pdf", PDF, "application/pdf")},
        )
        assert done.status_code == 303
        assert "in_review" in browser.get("/services/mine").text
        browser.cookies.clear()
        sign_in(world.city_a_admin)
        inbox = browser.get("/services/inbox")
        assert inbox.status_code == 200
        task = session.scalars(select(Task)).one()
        assert f"task-{task.id}" in inbox.text
        decided = browser.post(
            f"/services/tasks/{task.id}/complete",
            data={"outcome": "reject", "comment": "材料不全", "csrf_token": csrf_from(inbox.text)},
        )
        assert decided.status_code == 303
        application = session.scalars(select(Application)).one()
        session.refresh(application)
        assert application.status is ApplicationStatus.REJECTED

    def test_inbox_needs_approval_right(
        self, browser: TestClient, session: Session, world: World, sign_in: SignIn
    ) -> None:
        sign_in(world.city_a_official)
        assert browser.get("/services/inbox").status_code == 403
