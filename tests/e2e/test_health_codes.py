"""Health codes in a browser: a resident's code with its countdown, and a checkpoint that
verifies it in the browser with the published public key."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Demo, LiveServer

pytestmark = pytest.mark.e2e


def _sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("密码|Password")).fill(password)
    page.locator("form.form button[type=submit]").click()


def test_a_checkpoint_verifies_a_residents_code_offline(
    page: Page, chromium: Browser, live_server: LiveServer, demo: Demo
) -> None:
    _sign_in(page, demo.citizen_username, demo.password)
    expect(page).to_have_url(re.compile(r"/account$"))
    page.goto("/health-code")
    card = page.locator("[data-health-code]")
    expect(card).to_have_attribute("data-color", "green")
    expect(page.locator("html")).to_have_attribute("data-health-countdown", "ready")
    expect(page.locator("[data-countdown]")).to_have_text(re.compile(r"^[45]:\d\d$"))
    expect(card.locator("svg")).to_be_visible()
    token = (page.locator("[data-token]").text_content() or "").strip()  # inside <details>
    assert token.startswith("GHHC1.")
    assert demo.citizen_id_number not in page.content()

    staff = chromium.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        checkpoint = staff.new_page()
        _sign_in(checkpoint, demo.official_username, demo.password)
        expect(checkpoint).to_have_url(re.compile(r"/workbench$"))
        checkpoint.goto("/health-code/checkpoint")
        form = checkpoint.locator("[data-checkpoint-form]")
        expect(form).to_have_attribute("data-offline", "ready")  # WebCrypto Ed25519 loaded
        posts: list[str] = []
        checkpoint.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        checkpoint.get_by_label("健康码", exact=True).fill(token)
        form.locator("button[type=submit]").click()
        verdict = checkpoint.locator("[data-verdict]")
        expect(verdict).to_have_attribute("data-verdict", "valid")
        expect(verdict).to_have_attribute("data-color", "green")
        assert posts == []  # checked in the browser, not by the server
        tampered = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
        checkpoint.get_by_label("健康码", exact=True).fill(tampered)
        form.locator("button[type=submit]").click()
        expect(checkpoint.locator("[data-verdict]")).to_have_attribute("data-verdict", "invalid")
        assert posts == []
    finally:
        staff.close()
