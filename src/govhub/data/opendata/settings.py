"""Limits of the open data API, from `GOVHUB_OPENDATA_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from govhub.core.settings import environment_cached


class OpendataSettings(BaseSettings):
    """Page sizes, the SQL sandbox's limits, rate limits and how often usage is saved."""

    model_config = SettingsConfigDict(
        env_prefix="GOVHUB_OPENDATA_", env_file=".env", extra="ignore"
    )

    rows_max: int = Field(default=1000, ge=1, description="Largest package_search page")
    datastore_rows_max: int = Field(default=32000, ge=1, description="Largest datastore page")
    sql_rows_max: int = Field(default=32000, ge=1, description="Rows a SQL query returns")
    sql_timeout_seconds: float = Field(default=5.0, gt=0, description="SQL time limit")
    anonymous_per_minute: int = Field(default=300, ge=1, description="Calls per IP without key")
    key_per_minute: int = Field(default=3000, ge=1, description="Calls per API key")
    usage_flush_seconds: float = Field(
        default=10.0, ge=0, description="How often usage counts are saved (0: every request)"
    )
    requests_per_hour: int = Field(
        default=5, ge=1, description="Public requests one account or IP may submit per hour"
    )
    max_risk: float = Field(
        default=0.2, gt=0, le=1, description="Highest re-identification risk a release may carry"
    )


get_opendata_settings = environment_cached("GOVHUB_OPENDATA_", OpendataSettings)
"""Return the open data settings, read again whenever a `GOVHUB_OPENDATA_*` variable changed."""
