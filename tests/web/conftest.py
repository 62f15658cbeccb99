"""Fixtures for page tests: a client that asks for HTML, and signing in through the form."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.identity import service
from govhub.identity.models import Account
from govhub.identity.schemas import CitizenRegister
from tests.factories import PASSWORD, make_id_number

HTML = {"Accept": "text/html,application/xhtml+xml"}
_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')

SignIn = Callable[[Account], TestClient]


def csrf_from(html: str) -> str:
    """Return the CSRF token of the first form in `html`."""
    match = _CSRF_INPUT.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A client that behaves like a browser: asks for HTML, keeps cookies, no auto-redirect."""
    with TestClient(app, headers=HTML, follow_redirects=False) as client:
        yield client


@pytest.fixture
def sign_in(browser: TestClient) -> SignIn:
    """Return a function that signs `account` in through the login form."""

    def do(account: Account) -> TestClient:
        token = csrf_from(browser.get("/login").text)
        response = browser.post(
            "/login",
            data={"username": account.username, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303, response.text
        return browser

    return do


ID_NUMBER = make_id_number("330102", "19850612", "047")


@pytest.fixture
def citizen(session: Session) -> Account:
    """A registered citizen with a resident ID number."""
    return service.register_citizen(
        session,
        data=CitizenRegister(
            username="lihua",
            password=PASSWORD,
            display_name="李华",
            id_number=ID_NUMBER,
        ),
    )
