"""Browser journey through the upload wizard: choose (or drop) a file, watch the upload, check
the preview and mapping, publish with the progress bar, and read the result or the report."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from govhub.core import db
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.schemas import ResourceCreate
from govhub.identity.authn import principal_for
from govhub.identity.models import Department
from govhub.identity.permissions import Role
from tests.data.ingest import files
from tests.e2e.conftest import LiveServer
from tests.factories import PASSWORD, add_official

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Steward:
    """A data owner of the demo department and an empty resource of theirs."""

    username: str
    resource_id: uuid.UUID


@pytest.fixture
def steward(live_server: LiveServer) -> Steward:
    with db.get_sessionmaker()() as session:
        department = session.scalars(select(Department).where(Department.code == "HZ-SCJG")).one()
        account = add_official(session, f"owner{uuid.uuid4().hex[:6]}", department, Role.DATA_OWNER)
        resource = catalog_service.create_resource(
            session,
            principal=principal_for(account),
            data=ResourceCreate(
                title=f"企业登记信息{uuid.uuid4().hex[:4]}",
                update_frequency="daily",
                sharing_type="unconditional",
                opening_type="not_open",
            ),
        )
        session.commit()
        return Steward(username=account.username, resource_id=resource.id)


def _sign_in(page: Page, steward: Steward) -> None:
    page.goto("/login")
    page.get_by_label(re.compile("用户名|Username")).fill(steward.username)
    page.get_by_label(re.compile("密码|Password")).fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/workbench$"))


def test_gbk_csv_through_every_step(page: Page, steward: Steward, tmp_path: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, steward)
    page.goto(f"/catalog/resources/{steward.resource_id}")
    page.locator("#upload-link").click()
    expect(page).to_have_url(re.compile(rf"/catalog/resources/{steward.resource_id}/upload$"))
    expect(page.locator('.wizard-steps li[data-step="1"]')).to_have_attribute("aria-current", "")

    path = files.write_csv(tmp_path / "企业登记.csv", files.enterprises(400), encoding="gbk")
    page.locator("#file-input").set_input_files(path)
    expect(page.locator("#upload-bar")).to_have_js_property("value", 100)
    expect(page.locator('[data-fact="encoding"]')).to_have_text("gb18030")
    expect(page.locator('[data-fact="delimiter"]')).to_have_text(",")
    expect(page.locator('.wizard-steps li[data-step="2"]')).to_have_attribute("aria-current", "")
    expect(page.locator('tr[data-column="tyshxydm"] select')).to_have_value("uscc")
    expect(page.locator('tr[data-column="zczb"] [data-type]')).to_have_text("integer")
    expect(page.locator("#preview-rows tbody tr")).to_have_count(10)
    page.locator('tr[data-column="clrq"] select').select_option("date")

    page.locator("#publish").click()
    assert errors == []
    result = page.locator("#load-result")
    expect(result.locator('[data-status="succeeded"]')).to_contain_text("400")
    expect(page.locator('.wizard-steps li[data-step="4"]')).to_have_attribute("aria-current", "")
    expect(result.get_by_role("link", name="质量报告")).to_have_attribute(
        "href", f"/catalog/resources/{steward.resource_id}/quality"
    )
    page.goto(f"/catalog/resources/{steward.resource_id}")
    fields = page.locator("table.data-table tbody")
    expect(fields).to_contain_text("uscc")
    expect(fields).to_contain_text("date")


def test_dropped_tab_separated_file_in_english(
    page: Page, steward: Steward, live_server: LiveServer
) -> None:
    page.context.add_cookies([{"name": "govhub_lang", "value": "en", "url": live_server.url}])
    _sign_in(page, steward)
    page.goto(f"/catalog/resources/{steward.resource_id}/upload")
    text = "qymc\tzczb\n" + "".join(f"公司{i}\t{i * 10}\n" for i in range(1, 31))
    transfer = page.evaluate_handle(
        """([name, text]) => {
            const data = new DataTransfer();
            data.items.add(new File([text], name, {type: "text/tab-separated-values"}));
            return data;
        }""",
        ["dropped.tsv", text],
    )
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": transfer})
    expect(page.locator('[data-fact="encoding"]')).to_have_text("utf-8")
    expect(page.locator('[data-fact="delimiter"]')).to_have_text("TAB")
    page.get_by_role("button", name="Publish as a new version").click()
    expect(page.locator('#load-result [data-status="succeeded"]')).to_contain_text("30 rows")


def test_ragged_file_lands_in_quarantine_with_its_report(
    page: Page, steward: Steward, tmp_path: Path
) -> None:
    _sign_in(page, steward)
    page.goto(f"/catalog/resources/{steward.resource_id}/upload")
    path = tmp_path / "ragged.csv"
    path.write_bytes(b"a,b,c\n1,2,3\n4,5\n")
    page.locator("#file-input").set_input_files(path)
    quarantined = page.locator('#load-result [data-status="quarantined"]')
    expect(quarantined).to_contain_text("已隔离")
    expect(quarantined.locator("[data-where]")).to_have_text("第 3 行")
    expect(page.get_by_role("link", name="下载报告")).to_be_visible()
    page.get_by_role("button", name="删除").click()
    expect(page.locator("#wizard")).to_contain_text("该次加载及其文件已删除。")
