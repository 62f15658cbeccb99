"""The quality report page: grade, charts' data, checks with samples, the assess button."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy.orm import Session

from tests.browsing import SignIn, csrf_from
from tests.data.helpers import make_resource
from tests.data.quality.test_service import assessments, fields, publish, register_csv
from tests.factories import World


class TestReportPage:
    def test_report_shows_grade_chart_data_and_checks(
        self, session: Session, world: World, sign_in: SignIn, tmp_path: Path
    ) -> None:
        resource = make_resource(session, world, fields=fields())
        publish(session, world, resource, register_csv(tmp_path / "r.csv"))
        [row] = assessments(session, resource)
        browser = sign_in(world.city_a_official)
        page = browser.get(f"/catalog/resources/{resource.id}/quality")
        assert page.status_code == 200
        assert f'data-testid="grade">{row.grade}<' in page.text
        match = re.search(
            r'<script type="application/json" id="quality-data">(.*?)</script>', page.text, re.S
        )
        assert match is not None
        data = json.loads(match.group(1))
        assert data["scores"] == row.scores
        assert [t["version"] for t in data["trend"]] == [1]
        assert "tyshxydm.element" in page.text
        assert "echarts.min.js" in page.text
        assert "立即评估" not in page.text
        linked = browser.get(f"/catalog/resources/{resource.id}")
        assert f'href="/catalog/resources/{resource.id}/quality"' in linked.text

    def test_assess_now_adds_a_version_to_the_trend(
        self, session: Session, world: World, sign_in: SignIn, tmp_path: Path
    ) -> None:
        resource = make_resource(session, world, fields=fields())
        publish(session, world, resource, register_csv(tmp_path / "r.csv"))
        browser = sign_in(world.city_a_admin)
        url = f"/catalog/resources/{resource.id}/quality"
        page = browser.get(url)
        posted = browser.post(
            url, data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
        )
        assert posted.status_code == 303
        assert len(assessments(session, resource)) == 2
        refused = browser.post(url, data={}, follow_redirects=False)
        assert refused.status_code == 403

    def test_no_assessment_yet(self, session: Session, world: World, sign_in: SignIn) -> None:
        resource = make_resource(session, world, fields=fields())
        page = sign_in(world.city_a_official).get(f"/catalog/resources/{resource.id}/quality")
        assert 'data-testid="no-assessment"' in page.text

    def test_out_of_scope_is_not_found(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        resource = make_resource(session, world, fields=fields())
        foreign = sign_in(world.city_b_admin).get(f"/catalog/resources/{resource.id}/quality")
        assert foreign.status_code == 404
