"""Settings getters built once per environment."""

from __future__ import annotations

import pytest

from govhub.core.settings import environment_cached
from govhub.data.exchange.settings import get_exchange_settings
from govhub.data.opendata.settings import get_opendata_settings


def test_built_once_until_a_prefixed_variable_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []

    def build() -> int:
        built.append(1)
        return len(built)

    get = environment_cached("GOVHUB_TESTCACHE_", build)
    monkeypatch.delenv("GOVHUB_TESTCACHE_A", raising=False)
    assert (get(), get()) == (1, 1)
    monkeypatch.setenv("GOVHUB_OTHER_B", "x")  # another prefix: nothing to rebuild
    assert get() == 1
    monkeypatch.setenv("GOVHUB_TESTCACHE_A", "1")
    assert (get(), get()) == (2, 2)
    monkeypatch.delenv("GOVHUB_TESTCACHE_A")
    assert get() == 3


def test_open_data_and_exchange_settings_follow_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = get_opendata_settings()
    assert get_opendata_settings() is first
    monkeypatch.setenv("GOVHUB_OPENDATA_ROWS_MAX", "7")
    assert get_opendata_settings().rows_max == 7
    monkeypatch.setenv("GOVHUB_EXCHANGE_MAX_PAGE_ROWS", "9")
    assert get_exchange_settings().max_page_rows == 9
    monkeypatch.delenv("GOVHUB_EXCHANGE_MAX_PAGE_ROWS")
    assert get_exchange_settings().max_page_rows == 1000
