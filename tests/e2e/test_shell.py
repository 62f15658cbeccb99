"""Browser journeys through the web shell: sign in, workbench, account, language, sign out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, Demo

pytestmark = pytest.mark.e2e


def _sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("密码|Password")).fill(password)
    page.locator("form.form button[type=submit]").click()


def test_official_signs_in_and_sees_the_workbench(page: Page, demo: Demo) -> None:
    page.goto("/workbench")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fworkbench$"))
    _sign_in(page, demo.official_username, demo.password)
    expect(page).to_have_url(re.compile(r"/workbench$"))
    expect(page.locator("h1")).to_have_text(f"欢迎，{demo.official_name}")
    expect(page.locator('[data-field="department"]')).to_have_text(demo.department_name)
    expect(page.locator("#wb-applications")).to_be_visible()
    expect(page.locator(".mainnav a.active")).to_have_text("工作台")


def test_citizen_sees_the_masked_id_number(page: Page, demo: Demo) -> None:
    page.goto("/login")
    _sign_in(page, demo.citizen_username, demo.password)
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator('[data-field="id-number"]')).to_have_text(demo.masked_id_number)
    assert demo.citizen_id_number not in page.content()
    expect(page.locator(".mainnav")).not_to_contain_text("工作台")


def test_wrong_password_shows_an_error_in_the_form(page: Page, demo: Demo) -> None:
    page.goto("/login")
    _sign_in(page, demo.citizen_username, "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("用户名或密码不正确。")
    expect(page.get_by_label("用户名")).to_have_value(demo.citizen_username)


def test_language_switch_changes_the_text_and_sticks(page: Page, demo: Demo) -> None:
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator(".brand-sub")).to_have_text("数字政府一体化平台")
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".brand-sub")).to_have_text("Digital Government Platform")
    page.goto("/login")
    expect(page.locator("h1")).to_have_text("Sign in to GovHub")
    page.get_by_role("link", name="中文").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("h1")).to_have_text("登录 GovHub")


def test_sign_out_from_the_user_menu(page: Page, demo: Demo) -> None:
    page.goto("/login")
    _sign_in(page, demo.official_username, demo.password)
    expect(page).to_have_url(re.compile(r"/workbench$"))
    page.locator(".usermenu summary").click()
    expect(page.locator(".usermenu-panel")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "usermenu-open.png")
    page.get_by_role("menuitem", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".account-area")).to_contain_text("登录")
    page.goto("/workbench")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_htmx_requests_carry_the_csrf_token(page: Page, demo: Demo) -> None:
    page.goto("/")
    token = page.locator("body").get_attribute("hx-headers:inherited")
    assert token is not None
    assert "X-CSRF-Token" in token
    with page.expect_request("**/fragments/home-stats") as caught:
        page.evaluate(
            "htmx.ajax('GET', '/fragments/home-stats',"
            " {source: '#home-stats', target: '#home-stats', swap: 'outerHTML'})"
        )
    headers = caught.value.all_headers()
    assert headers.get("hx-request") == "true"
    assert headers.get("x-csrf-token")
    assert headers["x-csrf-token"] in token
    expect(page.locator('#home-stats [data-stat="officials"]')).to_have_text("1")
