"""Reservation pages: campaigns, booking from the page, pickup codes, live figures, redemption."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.identity.models import Account
from govhub.reservations import service
from govhub.reservations.models import AllocationMode, Campaign, Registration, Reservation
from tests.browsing import HTML, SignIn, csrf_from
from tests.factories import PASSWORD, World
from tests.reservations.helpers import add_citizen, campaign_data

EN = {"Accept-Language": "en"}


@pytest.fixture
def sign_in(app: FastAPI) -> Iterator[SignIn]:
    """Return a function signing `account` in on a browser of its own."""
    browsers: list[TestClient] = []

    def do(account: Account) -> TestClient:
        browser = TestClient(app, headers={**HTML, **EN}, follow_redirects=False)
        browsers.append(browser)
        token = csrf_from(browser.get("/login").text)
        response = browser.post(
            "/login",
            data={"username": account.username, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303, response.text
        return browser

    yield do
    for browser in browsers:
        browser.close()


def _publish(session: Session, world: World, **overrides: object) -> Campaign:
    admin = world.principal(world.city_a_admin)
    return service.create_campaign(session, principal=admin, data=campaign_data(**overrides))


def _reservations(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Reservation)) or 0


def _book(browser: TestClient, found: Campaign, slot: int = 0, key: str | None = None) -> Any:
    url = f"/reservations/campaigns/{found.id}"
    page = browser.get(url)
    shown = re.search(r'name="key" value="([0-9a-f]+)"', page.text)
    form_key = key or (shown.group(1) if shown else uuid.uuid4().hex)  # a stale page's key
    return browser.post(
        f"{url}/bookings",
        data={
            "csrf_token": csrf_from(page.text),
            "slot_id": str(found.slots[slot].id),
            "key": form_key,
        },
    )


class TestResidentPages:
    def test_anyone_sees_campaigns_and_free_places(
        self, browser: TestClient, session: Session, world: World
    ) -> None:
        found = _publish(session, world)
        listing = browser.get("/reservations", headers=EN)
        assert listing.status_code == 200
        assert f"/reservations/campaigns/{found.id}" in listing.text
        page = browser.get(f"/reservations/campaigns/{found.id}", headers=EN)
        assert page.status_code == 200
        assert page.text.count("data-free>3<") == len(found.slots)
        assert "Sign in to reserve" in page.text
        assert 'data-action="book"' not in page.text

    def test_book_from_the_page_once_then_refusals(
        self, sign_in: SignIn, session: Session, world: World
    ) -> None:
        found = _publish(session, world)
        resident = sign_in(add_citizen(session))
        booked = _book(resident, found, key="k" * 16)
        assert booked.status_code == 201, booked.text
        assert "<svg" in booked.text
        assert "data-code>GHR1." in booked.text
        again = _book(resident, found, key="k" * 16)  # the same form sent twice
        assert again.status_code == 201
        assert _reservations(session) == 1
        other_slot = _book(resident, found, slot=1)
        assert other_slot.status_code == 409
        assert 'data-problem="reservation-already-reserved"' in other_slot.text
        assert _reservations(session) == 1
        mine = resident.get("/reservations/mine")
        assert mine.text.count('data-testid="ticket"') == 1
        assert 'href="/health-code"' in resident.get("/reservations").text
        page = resident.get(f"/reservations/campaigns/{found.id}")
        assert "data-free>2<" in page.text

    def test_sold_out_is_a_clear_refusal(
        self, sign_in: SignIn, session: Session, world: World
    ) -> None:
        found = _publish(session, world, quota_per_slot=1, points=campaign_data().points[:1])
        assert _book(sign_in(add_citizen(session)), found).status_code == 201
        late_resident = sign_in(add_citizen(session))
        page = late_resident.get(f"/reservations/campaigns/{found.id}")
        assert 'data-action="book"' not in page.text
        assert "Sold out" in page.text
        late = _book(late_resident, found)
        assert late.status_code == 409
        assert 'data-problem="reservation-sold-out"' in late.text
        assert _reservations(session) == 1

    def test_a_post_without_csrf_or_with_a_bad_slot_changes_nothing(
        self, sign_in: SignIn, session: Session, world: World
    ) -> None:
        found = _publish(session, world)
        resident = sign_in(add_citizen(session))
        url = f"/reservations/campaigns/{found.id}/bookings"
        slot = str(found.slots[0].id)
        assert resident.post(url, data={"slot_id": slot, "key": "k" * 16}).status_code == 403
        token = csrf_from(resident.get(f"/reservations/campaigns/{found.id}").text)
        for bad in (
            {"slot_id": "not-a-uuid", "key": "k" * 16},
            {"slot_id": slot, "key": "<script>"},
            {"slot_id": str(uuid.uuid4()), "key": "k" * 16},
        ):
            response = resident.post(url, data={"csrf_token": token, **bad})
            assert response.status_code == 422, bad
        unknown = resident.post(
            f"/reservations/campaigns/{uuid.uuid4()}/bookings",
            data={"csrf_token": token, "slot_id": slot, "key": "k" * 16},
        )
        assert unknown.status_code == 404
        assert _reservations(session) == 0

    def test_lottery_registration_from_the_page(
        self, sign_in: SignIn, session: Session, world: World
    ) -> None:
        found = _publish(session, world, mode=AllocationMode.LOTTERY)
        resident = sign_in(add_citizen(session))
        page = resident.get(f"/reservations/campaigns/{found.id}")
        assert found.seed_commitment is not None
        assert found.seed_commitment in page.text
        registered = _book(resident, found)
        assert registered.status_code == 201
        assert 'data-testid="registered"' in registered.text
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(Registration)) == 1
        assert "Not drawn yet" in resident.get("/reservations/mine").text


class TestOfficialPages:
    def test_live_figures_follow_bookings(
        self, sign_in: SignIn, session: Session, world: World
    ) -> None:
        found = _publish(session, world)
        _book(sign_in(add_citizen(session)), found)
        admin = sign_in(world.city_a_admin)
        assert f"/reservations/campaigns/{found.id}/live" in admin.get("/reservations/manage").text
        live = admin.get(f"/reservations/campaigns/{found.id}/live")
        assert live.status_code == 200
        assert 'hx-trigger="every 3s"' in live.text
        assert "reservations-live.js" in live.text
        figures = admin.get(f"/reservations/campaigns/{found.id}/live/figures")
        assert sorted(re.findall(r"data-booked>(\d+)<", figures.text)) == ["0", "1"]
        assert '"booked": [' in figures.text

    def test_who_may_see_what(self, sign_in: SignIn, session: Session, world: World) -> None:
        found = _publish(session, world)
        live = f"/reservations/campaigns/{found.id}/live"
        citizen = sign_in(add_citizen(session))
        for path in ("/reservations/manage", live, "/reservations/redeem"):
            assert citizen.get(path).status_code == 403, path
        other_city = sign_in(world.city_b_admin)
        assert other_city.get(live).status_code == 404
        assert other_city.get(f"{live}/figures").status_code == 404
        assert str(found.id) not in other_city.get("/reservations/manage").text
        official = sign_in(world.city_a_official)
        book = f"/reservations/campaigns/{found.id}/bookings"
        listing = official.get("/reservations").text
        assert 'href="/health-code"' not in listing  # a health code is a resident's own
        token = csrf_from(listing)
        refused = official.post(
            book, data={"csrf_token": token, "slot_id": str(found.slots[0].id), "key": "k" * 16}
        )
        assert refused.status_code == 403

    def test_anonymous_pages_send_to_login(self, browser: TestClient, world: World) -> None:
        for path in ("/reservations/mine", "/reservations/manage", "/reservations/redeem"):
            response = browser.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next=")

    def test_redeem_once_at_the_pickup_point(
        self, sign_in: SignIn, session: Session, world: World
    ) -> None:
        found = _publish(session, world)
        booked = _book(sign_in(add_citizen(session)), found)
        shown = re.search(r"data-code>([^<]+)<", booked.text)
        assert shown is not None
        code = shown.group(1)
        staff = sign_in(world.county_a_official)
        token = csrf_from(staff.get("/reservations/redeem").text)
        first = staff.post("/reservations/redeem", data={"csrf_token": token, "code": code})
        assert first.status_code == 200
        assert 'data-testid="redeemed"' in first.text
        again = staff.post("/reservations/redeem", data={"csrf_token": token, "code": code})
        assert again.status_code == 409
        assert 'data-problem="pickup-code-used"' in again.text
        for bad in ("GHR1.forged.code", "   ", "<script>alert(1)</script>"):
            response = staff.post("/reservations/redeem", data={"csrf_token": token, "code": bad})
            assert response.status_code == 422, bad
            assert "<script>alert(1)" not in response.text
        session.expire_all()
        redeemed = session.scalar(
            select(func.count()).select_from(Reservation).where(Reservation.redeemed_at.isnot(None))
        )
        assert redeemed == 1
