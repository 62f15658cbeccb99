"""The quality report in a browser: the grade, the radar and trend charts drawn by ECharts."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from govhub.core import db
from govhub.data.catalog.models import (
    DatasetVersion,
    OpeningType,
    Resource,
    SecurityClass,
    Sensitivity,
    SharingType,
    UpdateFrequency,
)
from govhub.data.quality.models import QualityAssessment
from govhub.identity.models import Department
from tests.e2e.conftest import Demo, LiveServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def report_url(live_server: LiveServer) -> str:
    """Commit a resource with two assessed dataset versions to the e2e server's database."""
    with db.get_sessionmaker()() as session:
        department = session.scalars(select(Department).where(Department.code == "HZ-SCJG")).one()
        # Built directly (not through the service) so the shared server keeps its head counts.
        resource = Resource(
            identifier=f"HZ-SCJG-Q{uuid.uuid4().hex[:6]}",
            department_id=department.id,
            title="企业登记信息",
            update_frequency=UpdateFrequency.DAILY,
            sharing_type=SharingType.UNCONDITIONAL,
            opening_type=OpeningType.NOT_OPEN,
            security_class=SecurityClass.GENERAL,
            sensitivity=Sensitivity.INTERNAL,
        )
        session.add(resource)
        session.flush()
        for version, grade, total in ((1, "C", 78.5), (2, "A", 97.25)):
            dataset = DatasetVersion(resource_id=resource.id, version=version,
                                     storage_key=f"datasets/{resource.id}/{version}.parquet",
                                     row_count=1000, schema=[], digest="sha256:0")  # fmt: skip
            session.add(dataset)
            session.flush()
            scores = {
                "normativity": total,
                "completeness": 99.0,
                "uniqueness": 100.0,
                "consistency": 90.0,
                "accessibility": 100.0,
                "timeliness": 100.0,
            }
            session.add(QualityAssessment(
                resource_id=resource.id, dataset_id=dataset.id, dataset_version=version,
                row_count=1000, scores=scores, total=total, grade=grade, rules_digest="sha256:0",
                seconds=0.1,
                checks=[{"name": "uscc.element", "dimension": "normativity", "failed": 3,
                         "evaluated": 1000, "columns": ["uscc"], "error": None,
                         "samples": [{"uscc": "91330100MA00000010"}]}],
            ))  # fmt: skip
        resource.quality_grade = "A"
        session.commit()
        return f"/catalog/resources/{resource.id}/quality"


def test_report_draws_the_radar_and_trend_charts(page: Page, demo: Demo, report_url: str) -> None:
    page.goto(report_url)
    page.get_by_label(re.compile("用户名|Username")).fill(demo.official_username)
    page.get_by_label(re.compile("密码|Password")).fill(demo.password)
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(report_url) + "$"))
    expect(page.get_by_test_id("grade")).to_have_text("A")
    expect(page.locator("html")).to_have_attribute("data-quality-charts", "ready")
    for chart in ("#quality-radar-chart", "#quality-trend-chart"):
        expect(page.locator(f"{chart} canvas")).to_have_count(1)
        box = page.locator(f"{chart} canvas").bounding_box()
        assert box is not None
        assert box["width"] > 100
        assert box["height"] > 100
    expect(page.get_by_test_id("checks")).to_contain_text("uscc.element")
    page.get_by_text("1 条样例").click()
    expect(page.get_by_test_id("checks")).to_contain_text("91330100MA00000010")
