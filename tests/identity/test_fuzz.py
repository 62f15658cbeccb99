"""Property-based fuzzing of the identity API from its OpenAPI document: never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlalchemy.orm import Session, sessionmaker

from govhub.api import create_app
from govhub.identity.models import Account
from tests.factories import World

# The app resolves its database session per request, so the module-level instance still runs
# inside each test's rolled-back transaction (the `session_factory` fixture patches it in).
schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app()).include(
    path_regex=r"^/api/v1/"
)


@pytest.fixture
def admin_headers(
    session_factory: sessionmaker[Session],
    world: World,
    login: Callable[[Account], dict[str, str]],
) -> dict[str, str]:
    return login(world.platform_admin)


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_identity_routes_never_fail_with_a_server_error(
    case: schemathesis.Case[Any], admin_headers: dict[str, str]
) -> None:
    response = case.call(headers=admin_headers)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/problem+json")
