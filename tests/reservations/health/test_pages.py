"""Health-code pages: the resident's code, and the checkpoint's server-side check."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.reservations.health import tokens
from govhub.reservations.health.models import HealthColor
from tests.browsing import SignIn, csrf_from
from tests.factories import World
from tests.reservations.helpers import add_citizen

PAGE = "/health-code/checkpoint"


class TestCodePage:
    def test_a_resident_sees_a_green_code_with_qr_and_countdown(
        self, session: Session, sign_in: SignIn
    ) -> None:
        browser = sign_in(add_citizen(session))
        response = browser.get("/health-code")
        assert response.status_code == 200, response.text
        html = response.text
        assert 'data-color="green"' in html
        assert "<svg" in html
        assert "data-countdown" in html
        assert "js/health-code.js" in html
        token = html.split("data-token>", 1)[1].split("<", 1)[0]
        assert tokens.platform_verifier().verify(token).color is HealthColor.GREEN

    def test_anonymous_visitors_are_sent_to_sign_in(self, browser: TestClient) -> None:
        response = browser.get("/health-code")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")

    def test_officials_have_no_code(self, world: World, sign_in: SignIn) -> None:
        assert sign_in(world.city_a_official).get("/health-code").status_code == 403


class TestCheckpointPage:
    def test_staff_verify_a_code_on_the_server(self, world: World, sign_in: SignIn) -> None:
        browser = sign_in(world.county_a_official)
        form = browser.get(PAGE)
        assert form.status_code == 200
        assert "js/health-checkpoint.js" in form.text
        token = tokens.issue("cd" * 16, HealthColor.YELLOW)
        response = browser.post(PAGE, data={"token": token, "csrf_token": csrf_from(form.text)})
        assert response.status_code == 200
        assert 'data-verdict="valid"' in response.text
        assert 'data-color="yellow"' in response.text

    def test_a_forged_code_is_refused_clearly(self, world: World, sign_in: SignIn) -> None:
        browser = sign_in(world.county_a_official)
        csrf = csrf_from(browser.get(PAGE).text)
        expired = tokens.issue("cd" * 16, HealthColor.GREEN, now=1_000_000)
        for token, problem in (("nonsense", "health-code-invalid"),
                               (expired, "health-code-expired")):  # fmt: skip
            response = browser.post(PAGE, data={"token": token, "csrf_token": csrf})
            assert response.status_code == 422
            assert f'data-problem="{problem}"' in response.text

    def test_without_a_csrf_token_nothing_is_checked(self, world: World, sign_in: SignIn) -> None:
        browser = sign_in(world.county_a_official)
        response = browser.post(PAGE, data={"token": "x"})
        assert response.status_code == 403

    def test_officials_without_the_role_are_refused(self, world: World, sign_in: SignIn) -> None:
        assert sign_in(world.city_a_official).get(PAGE).status_code == 403

    def test_residents_are_refused(self, session: Session, sign_in: SignIn) -> None:
        assert sign_in(add_citizen(session)).get(PAGE).status_code == 403
