"""The lookup page: the verdict, what stays hidden, and tampering shown as a failure."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from govhub.identity.models import Account
from govhub.ledger import service
from govhub.ledger.schemas import EntryKind
from tests.factories import World
from tests.ledger.helpers import record_many

HTML = {"Accept": "text/html", "Accept-Language": "en"}


@pytest.fixture
def grown(session: Session, world: World) -> World:
    """Three public entries and a private one of county A's market bureau."""
    record_many(session, 3)
    record_many(session, 1, kind=EntryKind.DATA_ACCESS, department_id=world.county_a_market.id)
    service.integrate(session)
    return world


def test_an_empty_ledger_says_so(client: TestClient) -> None:
    page = client.get("/ledger", headers=HTML)
    assert page.status_code == 200
    assert "No checkpoint has been signed yet." in page.text
    assert 'href="/ledger"' in page.text


def test_a_public_event_verifies_for_anyone(client: TestClient, grown: World) -> None:
    page = client.get("/ledger?index=1", headers=HTML)
    assert page.status_code == 200
    assert 'data-verdict="verified"' in page.text
    assert "dataset:1" in page.text
    assert service.origin() in page.text


def test_a_private_event_hides_its_details_but_proves_inclusion(
    client: TestClient, grown: World, login: Callable[[Account], dict[str, str]]
) -> None:
    anonymous = client.get("/ledger?index=3", headers=HTML)
    assert 'data-verdict="verified"' in anonymous.text
    assert "data-hidden" in anonymous.text
    assert "data_access" not in anonymous.text
    official = client.get("/ledger?index=3", headers={**HTML, **login(grown.city_a_official)})
    assert "data-entry" in official.text
    assert "data_access" in official.text


def test_a_tampered_event_is_not_verified(
    session: Session, client: TestClient, grown: World
) -> None:
    session.execute(text("UPDATE ledger_entries SET subject = 'forged' WHERE log_index = 2"))
    page = client.get("/ledger?index=2", headers=HTML)
    assert 'data-verdict="failed"' in page.text
    assert "do not hash to the proven leaf" in page.text


@pytest.mark.parametrize(("query", "status"), [("99", 404), ("-1", 422), ("abc", 422)])
def test_bad_or_missing_indices(client: TestClient, grown: World, query: str, status: int) -> None:
    page = client.get(f"/ledger?index={query}", headers=HTML)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")


def test_the_page_speaks_chinese(client: TestClient, grown: World) -> None:
    page = client.get("/ledger?index=0", headers={"Accept": "text/html"})
    assert "已验证" in page.text
