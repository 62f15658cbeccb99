"""The reservations domain's tunables (`GOVHUB_RESERVATIONS_*`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ReservationSettings(BaseSettings):
    """Admission control and rate limits of the booking endpoints."""

    model_config = SettingsConfigDict(
        env_prefix="GOVHUB_RESERVATIONS_", env_file=".env", extra="ignore"
    )

    # Bookings served at once by one process; more answer 429 at once, never queue. Keep it
    # below the database pool size (10 + 20 overflow) so admitted requests never wait for one.
    # One process books on one core (the GIL): a few requests in flight cover the database
    # round trips, and more only lengthen every admitted request's time (in-flight divided
    # by throughput) and the event loop's wait for the GIL, which delays the refusals too.
    max_concurrent_bookings: int = 4
    per_identity_per_minute: int = 30
    per_ip_per_minute: int = 600


@lru_cache
def get_reservation_settings() -> ReservationSettings:
    """Return the reservation settings (cached)."""
    return ReservationSettings()
