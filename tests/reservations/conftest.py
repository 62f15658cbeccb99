"""Fixtures of the reservation tests: fresh rate limiters and admission gates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govhub.reservations import admission


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    admission.ip_limiter.reset()
    admission.identity_limiter.reset()
    admission.wait_estimator.reset()
    yield
    admission.ip_limiter.reset()
    admission.identity_limiter.reset()
    admission.wait_estimator.reset()
