"""The main pages in both languages, on desktop and phone widths: they load without browser
errors (a CSP violation or a missing asset shows up here), do not overflow sideways, and leave
full-page screenshots in tests/e2e/artifacts/ for a person to look at."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from tests.e2e.conftest import ARTIFACTS, Demo

pytestmark = pytest.mark.e2e

PAGES = {
    "home": ("/", None),
    "login": ("/login", None),
    "workbench": ("/workbench", "official"),
    "account": ("/account", "citizen"),
    "error": ("/no-such-page", None),
}
WIDTHS = {"desktop": 1280, "phone": 390}


def _sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("form.form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("name", PAGES)
def test_page_looks_finished(
    context: BrowserContext, page: Page, demo: Demo, name: str, lang: str, width: str
) -> None:
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "404" not in message.text:
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    path, who = PAGES[name]
    if who == "official":
        _sign_in(page, demo.official_username, demo.password)
    elif who == "citizen":
        _sign_in(page, demo.citizen_username, demo.password)
    page.goto(f"/lang/{lang}?next={path}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if lang == "zh_CN" else "en")
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"page-{name}-{lang}-{width}.png", full_page=True)
    page.screenshot(path=ARTIFACTS / f"page-{name}-{lang}-{width}-top.png")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width} width"
    assert errors == [], errors
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"
