"""The ledger's tunables (`GOVHUB_LEDGER_*`) and the log's origin line."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from govhub.core.settings import get_settings


class LedgerSettings(BaseSettings):
    """Tunables of the ledger (`GOVHUB_LEDGER_*`)."""

    model_config = SettingsConfigDict(env_prefix="GOVHUB_LEDGER_", env_file=".env", extra="ignore")

    batch_interval_seconds: float = 1.0
    batch_size: int = 10_000
    origin: str = ""


@lru_cache
def get_ledger_settings() -> LedgerSettings:
    """Return the ledger settings (cached)."""
    return LedgerSettings()


def origin() -> str:
    """Return the log's origin line: `GOVHUB_LEDGER_ORIGIN`, or the public host + `/ledger`."""
    configured = get_ledger_settings().origin
    if configured:
        return configured
    host = get_settings().base_url.split("://", 1)[-1].rstrip("/")
    return f"{host}/ledger"
