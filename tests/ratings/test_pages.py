"""The public ratings page in Chinese and English."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.identity import authn
from govhub.ratings import service as ratings
from govhub.ratings.schemas import RatingCreate
from tests.factories import World
from tests.ratings.helpers import body, completed
from tests.services.helpers import build_catalog, resident


class TestRatingsPage:
    def test_empty_page_is_public(self, browser: TestClient) -> None:
        response = browser.get("/ratings")
        assert response.status_code == 200
        assert "服务好差评" in response.text
        assert 'data-testid="no-ratings"' in response.text
        assert "echarts" not in response.text

    def test_statistics_table_and_chart(
        self, browser: TestClient, session: Session, world: World
    ) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        for n, level in enumerate((5, 2)):
            application = completed(session, citizen, world.city_a_admin, n=n)
            data = RatingCreate.model_validate(body(application, level))
            ratings.rate(session, principal=citizen, data=data)
        zh = browser.get("/ratings", params={"by": "department"})
        assert zh.status_code == 200
        assert world.city_a_market.name in zh.text
        assert '<strong data-testid="rate">50.0%</strong>' in zh.text
        assert 'id="ratings-data"' in zh.text
        assert "vendor/echarts.min.js" in zh.text
        en = browser.get("/ratings", headers={"Accept-Language": "en"})
        assert "Service ratings" in en.text
        assert "By matter" in en.text

    def test_unknown_grouping_is_refused(self, browser: TestClient) -> None:
        assert browser.get("/ratings", params={"by": "planet"}).status_code == 422
