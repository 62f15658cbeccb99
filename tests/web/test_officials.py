"""The officials directory of the workbench: scoped, searchable, paged, and closed to others."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.identity.models import Account
from govhub.identity.permissions import Role
from tests.browsing import SignIn
from tests.factories import World, add_official


def _usernames(html: str) -> set[str]:
    return set(re.findall(r'data-username="([^"]+)"', html))


class TestOfficialsDirectory:
    def test_lists_officials_of_the_subtree_only(self, sign_in: SignIn, world: World) -> None:
        page = sign_in(world.city_a_admin).get("/workbench/officials")
        assert page.status_code == 200
        assert _usernames(page.text) == {
            world.city_a_admin.username,
            world.city_a_official.username,
            world.county_a_official.username,
            world.city_a_leader.username,
        }
        assert world.city_b_admin.username not in page.text

    def test_search_narrows_the_list(self, sign_in: SignIn, world: World) -> None:
        browser = sign_in(world.city_a_admin)
        page = browser.get("/workbench/officials", params={"q": world.county_a_official.username})
        assert _usernames(page.text) == {world.county_a_official.username}
        empty = browser.get("/workbench/officials", params={"q": "nobody-like-this"})
        assert _usernames(empty.text) == set()
        assert "没有符合条件的工作人员。" in empty.text

    def test_pages_through_long_lists(
        self, sign_in: SignIn, world: World, session: Session
    ) -> None:
        for n in range(30):
            add_official(session, f"zz-clerk-{n:02d}", world.city_a_market, Role.APPROVER)
        browser = sign_in(world.city_a_admin)
        first = browser.get("/workbench/officials")
        second = browser.get("/workbench/officials", params={"page": 2})
        assert len(_usernames(first.text)) == 25
        assert len(_usernames(second.text)) == 34 - 25
        assert not _usernames(first.text) & _usernames(second.text)
        assert "第 2 页，共 2 页" in second.text

    def test_officials_without_accounts_read_are_refused(
        self, sign_in: SignIn, world: World
    ) -> None:
        page = sign_in(world.county_a_official).get("/workbench/officials")
        assert page.status_code == 403

    def test_citizens_are_refused_and_anonymous_sent_to_sign_in(
        self, sign_in: SignIn, browser: TestClient, citizen: Account
    ) -> None:
        anonymous = browser.get("/workbench/officials")
        assert anonymous.status_code in {302, 303, 307}
        assert anonymous.headers["location"].startswith("/login?next=")
        assert sign_in(citizen).get("/workbench/officials").status_code == 403

    def test_bad_page_number_is_a_clear_error(self, sign_in: SignIn, world: World) -> None:
        page = sign_in(world.city_a_admin).get("/workbench/officials", params={"page": 0})
        assert page.status_code == 422

    def test_workbench_card_links_here_for_admins(self, sign_in: SignIn, world: World) -> None:
        assert 'href="/workbench/officials"' in sign_in(world.city_a_admin).get("/workbench").text
