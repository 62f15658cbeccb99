"""Languages: negotiation, the switch, translated pages, and complete catalogs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from govhub.core.i18n import (
    CATALOG_DIR,
    LOCALE_COOKIE,
    get_translations,
    negotiate_locale,
    normalize_locale,
)
from tests.browsing import SignIn
from tests.factories import World

SRC = Path(__file__).resolve().parents[2] / "src" / "govhub"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


class TestNegotiation:
    @pytest.mark.parametrize(
        ("cookie", "header", "expected"),
        [
            (None, None, "zh_CN"),
            (None, "en-US,en;q=0.9", "en"),
            (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
            (None, "en;q=0.5, zh-Hans;q=0.9", "zh_CN"),
            (None, "fr-FR, de;q=0.8, en;q=0.3", "en"),
            (None, "fr-FR, de;q=0.8", "zh_CN"),
            (None, "en;q=0, zh;q=0.1", "zh_CN"),
            (None, "en;q=oops", "zh_CN"),
            ("en", "zh-CN", "en"),
            ("zh_CN", "en", "zh_CN"),
            ("klingon", "en", "en"),
        ],
    )
    def test_cookie_then_header_then_default(
        self, cookie: str | None, header: str | None, expected: str
    ) -> None:
        assert negotiate_locale(cookie, header) == expected

    @pytest.mark.parametrize(
        ("tag", "expected"),
        [("zh-TW", "zh_CN"), ("EN_us", "en"), ("", None), (None, None), ("de", None)],
    )
    def test_normalize(self, tag: str | None, expected: str | None) -> None:
        assert normalize_locale(tag) == expected

    def test_unknown_catalog_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unsupported locale"):
            get_translations("fr")


class TestSwitch:
    def test_default_is_chinese(self, browser: TestClient) -> None:
        response = browser.get("/")
        assert '<html lang="zh-CN">' in response.text
        assert "首页" in response.text
        assert response.headers["content-language"] == "zh-CN"

    def test_accept_language_gives_english(self, browser: TestClient) -> None:
        response = browser.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
        assert '<html lang="en">' in response.text
        assert "What GovHub offers" in response.text
        assert "GovHub 提供的服务" not in response.text

    def test_switch_sets_cookie_and_returns(self, browser: TestClient) -> None:
        response = browser.get("/lang/en", params={"next": "/login?next=%2Fworkbench"})
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Fworkbench"
        assert browser.cookies[LOCALE_COOKIE] == "en"
        page = browser.get("/login", headers={"Accept-Language": "zh-CN"})
        assert "Sign in to GovHub" in page.text  # the cookie beats the header
        browser.get("/lang/zh_CN")
        assert "登录 GovHub" in browser.get("/login").text

    def test_switch_links_point_back_to_the_page(self, browser: TestClient) -> None:
        html = browser.get("/services").text
        assert 'href="/lang/en?next=%2Fservices"' in html

    def test_switch_refuses_other_sites(self, browser: TestClient) -> None:
        response = browser.get("/lang/en", params={"next": "https://evil.example/"})
        assert response.headers["location"] == "/"

    def test_unknown_language_is_a_404_page(self, browser: TestClient) -> None:
        response = browser.get("/lang/fr")
        assert response.status_code == 404
        assert LOCALE_COOKIE not in browser.cookies
        assert "暂不支持该语言。" in response.text

    def test_signed_in_pages_follow_the_language(
        self, browser: TestClient, world: World, sign_in: SignIn
    ) -> None:
        sign_in(world.city_a_official)
        zh = browser.get("/workbench").text
        assert "待审批事项" in zh
        browser.get("/lang/en")
        en = browser.get("/workbench").text
        assert "Applications to review" in en
        assert "待审批事项" not in en


def _extracted_ids() -> set[str]:
    method_map = [("**.py", "python"), ("web/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(SRC), method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


class TestCatalogs:
    """Every string marked for translation is in both catalogs, and Chinese translates it."""

    def _catalog(self, locale: str) -> dict[str, str]:
        with (CATALOG_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        return {str(m.id): str(m.string) for m in catalog if m.id and not m.fuzzy}

    def test_chinese_translates_every_message(self) -> None:
        zh = self._catalog("zh_CN")
        missing = sorted(msgid for msgid in _extracted_ids() if not zh.get(msgid))
        assert missing == [], "untranslated; update the catalogs as govhub.core.i18n explains"

    def test_english_catalog_lists_every_message(self) -> None:
        en = self._catalog("en")
        assert sorted(_extracted_ids() - set(en)) == []

    def test_placeholders_survive_translation(self) -> None:
        for msgid, msgstr in self._catalog("zh_CN").items():
            assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(msgstr)), msgid

    def test_catalogs_load_from_po_files(self) -> None:
        assert get_translations("zh_CN").gettext("Sign in") == "登录"
        assert get_translations("en").gettext("Sign in") == "Sign in"
