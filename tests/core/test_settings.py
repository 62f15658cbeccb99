"""Settings getters built once per environment."""

from __future__ import annotations

import pytest
from pydantic_settings import BaseSettings, SettingsConfigDict

from govhub.core.settings import environment_cached
from govhub.data.exchange.settings import get_exchange_settings
from govhub.data.opendata.settings import get_opendata_settings


class _Counted(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHUB_TESTCACHE_")

    a: int = 0


def test_built_once_until_one_of_its_variables_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    get = environment_cached("GOVHUB_TESTCACHE_", _Counted)
    monkeypatch.delenv("GOVHUB_TESTCACHE_A", raising=False)
    first = get()
    assert get() is first
    assert first.a == 0
    monkeypatch.setenv("GOVHUB_OTHER_B", "x")  # another prefix: nothing to rebuild
    monkeypatch.setenv("GOVHUB_TESTCACHE_UNKNOWN", "x")  # no such setting: nothing either
    assert get() is first
    monkeypatch.setenv("GOVHUB_TESTCACHE_A", "1")
    second = get()
    assert second is not first
    assert second.a == 1
    assert get() is second
    monkeypatch.delenv("GOVHUB_TESTCACHE_A")
    assert get().a == 0


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
