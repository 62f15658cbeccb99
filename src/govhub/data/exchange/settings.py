"""Limits of the exchange gateway, from `GOVHUB_EXCHANGE_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from govhub.core.settings import environment_cached


class ExchangeSettings(BaseSettings):
    """Page sizes, export sizes and per-consumer rates."""

    model_config = SettingsConfigDict(
        env_prefix="GOVHUB_EXCHANGE_", env_file=".env", extra="ignore"
    )

    max_page_rows: int = Field(default=1000, ge=1, description="Largest page of a query")
    requests_per_minute: int = Field(default=600, ge=1, description="Calls per consumer")
    exports_per_hour: int = Field(default=30, ge=1, description="Bulk exports per consumer")
    cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a grant read from the database is reused by this process "
        "(changes made here invalidate it at once; 0: never reuse)",
    )
    page_queries: int = Field(
        default=0,
        ge=0,
        description="Page queries run at once by this process (0: one per CPU); the rest wait",
    )
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


get_exchange_settings = environment_cached("GOVHUB_EXCHANGE_", ExchangeSettings)
"""Return the exchange settings, read again whenever a `GOVHUB_EXCHANGE_*` variable changed."""
