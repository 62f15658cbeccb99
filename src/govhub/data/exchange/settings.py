"""Limits of the exchange gateway, from `GOVHUB_EXCHANGE_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ExchangeSettings(BaseSettings):
    """Page sizes, export sizes and per-consumer rates."""

    model_config = SettingsConfigDict(
        env_prefix="GOVHUB_EXCHANGE_", env_file=".env", extra="ignore"
    )

    max_page_rows: int = Field(default=1000, ge=1, description="Largest page of a query")
    requests_per_minute: int = Field(default=600, ge=1, description="Calls per consumer")
    exports_per_hour: int = Field(default=30, ge=1, description="Bulk exports per consumer")
    export_batch_rows: int = Field(default=131_072, ge=1024, description="Rows per export batch")
    webhook_allow_private: bool = Field(
        default=False, description="Allow webhooks to plain HTTP and private addresses (dev)"
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description="Per delivery")
    webhook_max_attempts: int = Field(default=8, ge=1, description="Before a delivery fails")
    webhook_backoff_seconds: float = Field(
        default=30.0, gt=0, description="First retry delay; doubles per attempt, capped at 6 h"
    )
    webhook_interval_seconds: float = Field(
        default=5.0, description="How often the app sends due deliveries (<= 0: never)"
    )


def get_exchange_settings() -> ExchangeSettings:
    """Return the exchange settings (read from the environment on each call)."""
    return ExchangeSettings()
