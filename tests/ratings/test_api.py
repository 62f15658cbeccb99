"""HTTP tests of ratings: rating, the case inbox and its steps, appeals and public statistics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.identity import authn
from govhub.identity.models import Account
from govhub.identity.permissions import Role
from govhub.ratings.models import Rating, RectificationCase
from govhub.services import service as services
from tests.factories import World, add_official
from tests.ratings.helpers import body, completed
from tests.services.helpers import Catalog, build_catalog, resident, sc001

Login = Callable[[Account], dict[str, str]]
PROBLEM = "application/problem+json"


@pytest.fixture
def catalog(session: Session, world: World) -> Catalog:
    return build_catalog(session, world)


@pytest.fixture
def citizen(session: Session, catalog: Catalog) -> Account:
    return resident(session)


def _count(session: Session) -> tuple[int, int]:
    ratings = session.scalar(select(func.count()).select_from(Rating)) or 0
    cases = session.scalar(select(func.count()).select_from(RectificationCase)) or 0
    return ratings, cases


def _problem(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)


class TestRateApi:
    def test_rate_once(
        self, client: TestClient, login: Login, session: Session, world: World, citizen: Account
    ) -> None:
        application = completed(session, authn.principal_for(citizen), world.city_a_admin)
        headers = login(citizen)
        response = client.post("/api/v1/ratings", headers=headers, json=body(application, 5))
        assert response.status_code == 201, response.text
        assert response.json()["matter_code"] == "SC-001"
        assert response.json()["case_id"] is None
        again = client.post("/api/v1/ratings", headers=headers, json=body(application, 4))
        _problem(again, 409)
        mine = client.get("/api/v1/ratings/mine", headers=headers).json()
        assert [r["overall"] for r in mine] == [5]

    @pytest.mark.parametrize(
        ("overrides", "status"),
        [
            ({"overall": 6}, 422),
            ({"overall": 0}, 422),
            ({"usability": 9}, 422),
            ({"overall": 1, "reasons": [], "comment": ""}, 422),
            ({"reasons": ["nonsense"]}, 422),
            ({"reasons": ["other"], "comment": ""}, 422),
            ({"matter_code": "SC-003"}, 422),
            ({"surprise": True}, 422),
        ],
    )
    def test_bad_input_changes_nothing(
        self,
        client: TestClient,
        login: Login,
        session: Session,
        world: World,
        citizen: Account,
        overrides: dict[str, Any],
        status: int,
    ) -> None:
        application = completed(session, authn.principal_for(citizen), world.city_a_admin)
        values = {**body(application, 5), **overrides}
        _problem(client.post("/api/v1/ratings", headers=login(citizen), json=values), status)
        assert _count(session) == (0, 0)

    def test_unfinished_and_foreign_applications(
        self, client: TestClient, login: Login, session: Session, world: World, citizen: Account
    ) -> None:
        principal = authn.principal_for(citizen)
        pending, _ = services.submit(session, principal=principal, data=sc001(session, principal))
        headers = login(citizen)
        _problem(client.post("/api/v1/ratings", headers=headers, json=body(pending, 5)), 409)
        other = resident(session)
        done = completed(session, principal, world.city_a_admin, n=1)
        _problem(client.post("/api/v1/ratings", headers=login(other), json=body(done, 5)), 404)
        _problem(client.post("/api/v1/ratings", json=body(done, 5)), 401)
        _problem(
            client.post("/api/v1/ratings", headers=login(world.city_a_admin), json=body(done, 5)),
            403,
        )
        assert _count(session) == (0, 0)


class TestCasesApi:
    def test_bad_rating_to_closed_case_and_statistics(
        self, client: TestClient, login: Login, session: Session, world: World, citizen: Account
    ) -> None:
        application = completed(session, authn.principal_for(citizen), world.city_a_admin)
        rated = client.post("/api/v1/ratings", headers=login(citizen), json=body(application, 2))
        case_id = rated.json()["case_id"]
        assert case_id is not None
        admin = login(world.city_a_admin)
        inbox = client.get("/api/v1/ratings/cases", headers=admin).json()
        assert inbox["total"] == 1
        item = inbox["items"][0]
        assert (item["id"], item["status"], item["overdue"]) == (case_id, "open", False)
        assert item["reasons"] == ["slow"]
        assert (
            client.get("/api/v1/ratings/cases", headers=login(world.city_b_admin)).json()["total"]
            == 0
        )
        base = f"/api/v1/ratings/cases/{case_id}"
        measures = {"measures": "增设窗口，压缩时限"}
        _problem(client.post(f"{base}/close", headers=admin, json=measures), 409)
        _problem(client.post(f"{base}/return-visit", headers=admin, json={"notes": "x"}), 422)
        visit = {"contact_name": "王小明", "notes": "电话回访，已说明整改措施"}
        foreign = client.post(f"{base}/return-visit", headers=login(world.city_b_admin), json=visit)
        _problem(foreign, 404)
        visited = client.post(f"{base}/return-visit", headers=admin, json=visit)
        assert visited.json()["status"] == "visited"
        closed = client.post(f"{base}/close", headers=admin, json=measures).json()
        assert (closed["status"], closed["resolution"]) == ("closed", "rectified")
        stats = client.get("/api/v1/ratings/statistics", params={"by": "department"}).json()
        assert stats["total"] == 1
        assert stats["rows"][0]["dissatisfied"] == 1
        _problem(client.get("/api/v1/ratings/statistics", params={"by": "planet"}), 422)

    def test_appeal_upheld_removes_the_rating_from_statistics(
        self, client: TestClient, login: Login, session: Session, world: World, citizen: Account
    ) -> None:
        application = completed(session, authn.principal_for(citizen), world.city_a_admin)
        rated = client.post("/api/v1/ratings", headers=login(citizen), json=body(application, 1))
        base = f"/api/v1/ratings/cases/{rated.json()['case_id']}"
        approver = add_official(session, "ratings-api-approver", world.city_a_market, Role.APPROVER)
        _problem(client.post(f"{base}/appeal", headers=login(approver), json={}), 422)
        appealed = client.post(
            f"{base}/appeal", headers=login(approver), json={"reason": "申请人评价对象有误"}
        )
        assert appealed.json()["appeal_status"] == "pending"
        _problem(
            client.post(
                f"{base}/decision", headers=login(approver), json={"upheld": True, "reason": "x"}
            ),
            403,
        )
        admin = login(world.city_a_admin)
        assert len(client.get("/api/v1/ratings/appeals", headers=admin).json()) == 1
        decision = {"upheld": True, "reason": "核实属误评"}
        decided = client.post(f"{base}/decision", headers=admin, json=decision).json()
        assert (decided["appeal_status"], decided["resolution"]) == ("upheld", "excluded")
        _problem(client.post(f"{base}/decision", headers=admin, json=decision), 409)
        assert client.get("/api/v1/ratings/statistics").json()["total"] == 0
