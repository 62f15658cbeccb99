"""Fixtures for the data center's page tests: a browser-like client and signing in."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from govhub.identity.models import Account
from tests.factories import PASSWORD
from tests.web.conftest import HTML, csrf_from

SignIn = Callable[[Account], TestClient]


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A client that asks for HTML, keeps cookies and does not follow redirects."""
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
