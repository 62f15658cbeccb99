"""The ratings domain's tunables (`GOVHUB_RATINGS_*`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RatingSettings(BaseSettings):
    """How long an office has to rectify after a bad rating."""

    model_config = SettingsConfigDict(env_prefix="GOVHUB_RATINGS_", env_file=".env", extra="ignore")

    # Working days (Saturdays and Sundays skipped) from a bad rating to the rectification deadline.
    rectification_working_days: int = Field(default=5, ge=1, le=60)


@lru_cache
def get_rating_settings() -> RatingSettings:
    """Return the rating settings (cached)."""
    return RatingSettings()
