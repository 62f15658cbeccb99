"""Officials' pages for rectification cases: the department's list (open, overdue, closed), the
return visit, the rectification, the appeal and its decision, and who may see what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.identity import authn
from govhub.ratings.models import AppealStatus, CaseStatus, Rating, RectificationCase
from govhub.web.nav import NAV
from tests.browsing import SignIn, csrf_from
from tests.factories import World
from tests.ratings.helpers import bad_case, completed
from tests.services.helpers import Catalog, build_catalog, resident


@pytest.fixture
def catalog(session: Session, world: World) -> Catalog:
    return build_catalog(session, world)


@pytest.fixture
def case(session: Session, world: World, catalog: Catalog) -> RectificationCase:
    """An open case of city A's market bureau, from a rating of 1."""
    citizen = authn.principal_for(resident(session))
    return bad_case(session, citizen, completed(session, citizen, world.city_a_admin))


def _state(session: Session, record: RectificationCase) -> tuple[object, ...]:
    session.refresh(record)
    return (record.status, record.visited_at, record.measures, record.appeal_status)


def _post(browser: TestClient, record: RectificationCase, action: str, **data: str) -> Response:
    token = csrf_from(browser.get(f"/rating-cases/{record.id}").text)
    return browser.post(f"/rating-cases/{record.id}/{action}", data={**data, "csrf_token": token})


class TestCaseList:
    def test_the_handling_department_sees_its_cases(
        self, browser: TestClient, catalog: Catalog, case: RectificationCase, sign_in: SignIn
    ) -> None:
        sign_in(catalog.market_approver)
        page = browser.get("/rating-cases")
        assert page.status_code == 200
        assert 'href="/rating-cases"' in page.text  # in the navigation
        assert 'aria-current="page"' in page.text
        assert f'id="case-{case.id}" data-status="open" data-overdue="no"' in page.text
        assert 'data-testid="open-cases"' in page.text
        assert 'data-testid="overdue-cases"' not in page.text
        assert "5 个工作日" in page.text
        assert 'id="wb-rating-cases"' in browser.get("/workbench").text

    def test_overdue_cases_come_first(
        self, browser: TestClient, session: Session, catalog: Catalog, case: RectificationCase,
        sign_in: SignIn,
    ) -> None:  # fmt: skip
        case.due_at = utcnow() - timedelta(days=1)
        session.flush()
        sign_in(catalog.market_approver)
        html = browser.get("/rating-cases", headers={"Accept-Language": "en"}).text
        overdue = html.split('data-testid="overdue-cases"', 1)[1].split("</table>", 1)[0]
        assert f'id="case-{case.id}" data-status="open" data-overdue="yes"' in overdue
        assert "Overdue" in overdue

    def test_other_departments_see_none(
        self, browser: TestClient, world: World, case: RectificationCase, sign_in: SignIn
    ) -> None:
        sign_in(world.county_a_official)
        page = browser.get("/rating-cases")
        assert page.status_code == 200
        assert str(case.id) not in page.text
        assert browser.get(f"/rating-cases/{case.id}").status_code == 404

    def test_without_the_permission_it_is_forbidden_and_hidden(
        self, browser: TestClient, world: World, session: Session, sign_in: SignIn
    ) -> None:
        assert browser.get("/rating-cases").status_code == 303  # sign in first
        [item] = [i for i in NAV if i.href == "/rating-cases"]
        citizen = resident(session)
        assert not item.visible_to(authn.principal_for(citizen))
        assert not item.visible_to(authn.principal_for(world.city_a_official))
        assert item.visible_to(authn.principal_for(world.city_a_admin))
        sign_in(world.city_a_official)
        page = browser.get("/rating-cases")
        assert page.status_code == 403
        assert 'href="/rating-cases"' not in browser.get("/").text
        browser.cookies.clear()
        sign_in(citizen)
        assert browser.get("/rating-cases").status_code == 403


class TestCasePage:
    def test_visit_then_rectify_then_close(
        self, browser: TestClient, session: Session, catalog: Catalog, case: RectificationCase,
        sign_in: SignIn,
    ) -> None:  # fmt: skip
        sign_in(catalog.market_approver)
        page = browser.get(f"/rating-cases/{case.id}")
        assert page.status_code == 200
        assert 'data-testid="visit-form"' in page.text
        assert 'data-testid="close-form"' not in page.text
        assert "王小明 13800138000" in page.text  # whom to visit, from the application
        done = _post(browser, case, "return-visit", contact_name="王小明", notes="已电话回访")
        assert done.status_code == 303
        assert _state(session, case)[0] is CaseStatus.VISITED
        assert case.visit_contact == "王小明"
        page = browser.get(f"/rating-cases/{case.id}")
        assert 'data-testid="close-form"' in page.text
        assert 'data-testid="visit-form"' not in page.text
        assert "已电话回访" in page.text
        closed = _post(browser, case, "close", measures="优化了窗口排队流程")
        assert closed.status_code == 303
        assert _state(session, case)[0] is CaseStatus.CLOSED
        listing = browser.get("/rating-cases").text
        assert f'id="case-{case.id}" data-status="closed"' in listing

    @pytest.mark.parametrize(
        ("action", "data", "expected"),
        [
            ("return-visit", {"contact_name": "", "notes": "已回访"}, "contact_name"),
            ("return-visit", {"contact_name": "王" * 61, "notes": "已回访"}, "contact_name"),
            ("return-visit", {"contact_name": "王小明"}, "notes"),
            ("appeal", {"reason": "   "}, "reason"),
            ("close", {"measures": "已整改"}, "回访"),
        ],
    )
    def test_bad_input_is_explained_and_changes_nothing(
        self, browser: TestClient, session: Session, catalog: Catalog, case: RectificationCase,
        sign_in: SignIn, action: str, data: dict[str, str], expected: str,
    ) -> None:  # fmt: skip
        sign_in(catalog.market_approver)
        before = _state(session, case)
        bad = _post(browser, case, action, **data)
        assert bad.status_code in {409, 422}
        text = bad.text
        assert f'data-testid="errors" data-form="{action}"' in text
        assert expected in text
        assert _state(session, case) == before

    def test_another_departments_case_is_not_found(
        self, browser: TestClient, session: Session, world: World, case: RectificationCase,
        sign_in: SignIn,
    ) -> None:  # fmt: skip
        sign_in(world.county_a_official)
        token = csrf_from(browser.get("/rating-cases").text)
        before = _state(session, case)
        refused = browser.post(
            f"/rating-cases/{case.id}/return-visit",
            data={"contact_name": "张三", "notes": "已回访", "csrf_token": token},
        )
        assert refused.status_code == 404
        assert _state(session, case) == before


class TestAppeals:
    def test_appeal_then_an_administrator_upholds_it(
        self, browser: TestClient, session: Session, world: World, catalog: Catalog,
        case: RectificationCase, sign_in: SignIn,
    ) -> None:  # fmt: skip
        sign_in(catalog.market_approver)
        filed = _post(browser, case, "appeal", reason="申请人评价的是其他部门的事项")
        assert filed.status_code == 303
        assert _state(session, case)[3] is AppealStatus.PENDING
        page = browser.get(f"/rating-cases/{case.id}").text
        assert 'data-appeal="pending"' in page
        assert 'data-testid="decision-form"' not in page  # approvers do not decide
        assert 'data-testid="appeal-form"' not in page  # once per case
        token = csrf_from(page)
        refused = browser.post(
            f"/rating-cases/{case.id}/decision",
            data={"upheld": "true", "reason": "误评", "csrf_token": token},
        )
        assert refused.status_code == 403
        browser.cookies.clear()

        sign_in(world.city_a_admin)
        listing = browser.get("/rating-cases").text
        assert f'id="case-{case.id}"' in listing.split('data-testid="appeals"', 1)[1]
        bad = _post(browser, case, "decision", reason="误评")
        assert bad.status_code == 422
        assert "upheld" in bad.text
        assert _state(session, case)[3] is AppealStatus.PENDING
        done = _post(browser, case, "decision", upheld="true", reason="确属误评")
        assert done.status_code == 303
        assert _state(session, case)[:1] == (CaseStatus.CLOSED,)
        assert session.get_one(Rating, case.rating_id).excluded

    def test_an_administrator_elsewhere_cannot_decide(
        self, browser: TestClient, session: Session, world: World, catalog: Catalog,
        case: RectificationCase, sign_in: SignIn,
    ) -> None:  # fmt: skip
        sign_in(catalog.market_approver)
        _post(browser, case, "appeal", reason="误评")
        browser.cookies.clear()
        sign_in(world.city_b_admin)
        assert browser.get(f"/rating-cases/{case.id}").status_code == 404
        token = csrf_from(browser.get("/rating-cases").text)
        refused = browser.post(
            f"/rating-cases/{case.id}/decision",
            data={"upheld": "true", "reason": "误评", "csrf_token": token},
        )
        assert refused.status_code == 404
        assert _state(session, case)[3] is AppealStatus.PENDING
