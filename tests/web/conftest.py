"""Fixtures for the shell's page tests (the browser-like client lives in tests/conftest.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from govhub.identity import service
from govhub.identity.models import Account
from govhub.identity.schemas import CitizenRegister
from tests.factories import PASSWORD, make_id_number

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
