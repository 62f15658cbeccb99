"""Fixtures shared by the privacy tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from govhub.privacy import vault

VAULT_VARIABLES = (
    "GOVHUB_VAULT_KEYS",
    "GOVHUB_VAULT_MODE",
    "GOVHUB_VAULT_CACHE_BYTES",
    "GOVHUB_VAULT_CACHE_CHECK_SECONDS",
)


@pytest.fixture
def own_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A keyring file of the test's own, default vault settings and an empty decrypted-data
    cache."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("GOVHUB_VAULT_KEYRING_FILE", str(path))
    for name in VAULT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    vault.forget()
    yield path
    vault.forget()
