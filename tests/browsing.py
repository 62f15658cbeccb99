"""Helpers for page tests: ask for HTML like a browser, and read a form's CSRF token."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from govhub.identity.models import Account

HTML = {"Accept": "text/html,application/xhtml+xml"}
_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')

SignIn = Callable[[Account], TestClient]


def csrf_from(html: str) -> str:
    """Return the CSRF token of the first form in `html`."""
    match = _CSRF_INPUT.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)
