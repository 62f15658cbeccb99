"""Limits of ingestion, from `GOVHUB_INGEST_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseSettings):
    """How large a file may be and how it is read."""

    model_config = SettingsConfigDict(env_prefix="GOVHUB_INGEST_", env_file=".env", extra="ignore")

    max_file_bytes: int = Field(default=4 * 1024**3, description="Largest source file")
    batch_rows: int = Field(default=65_536, ge=1, description="Rows per batch (xlsx, JSON)")
    row_group_rows: int = Field(
        default=131_072, ge=1, description="Rows buffered per Parquet row group"
    )
    csv_block_bytes: int = Field(default=1 << 20, ge=1024, description="CSV bytes per batch")
    xlsx_max_unpacked_bytes: int = Field(
        default=1024**3, description="Largest total declared size of an xlsx's zip members"
    )
    xlsx_max_ratio: float = Field(
        default=200.0, description="Largest declared/compressed size ratio of one zip member"
    )
    pull_dialects: list[str] = Field(
        default=["postgresql", "mysql", "mariadb"],
        description="Databases tables may be pulled from (SQLite is added in development and test)",
    )
    pull_connect_timeout_seconds: int = Field(default=5, ge=1, le=120)
    pull_statement_timeout_seconds: int = Field(default=600, ge=1)
    pull_batch_rows: int = Field(default=10_000, ge=1, description="Rows fetched per round trip")
    job_workers: int = Field(
        default=2, ge=0, description="Load jobs run at once (0: in the caller's thread)"
    )


def get_ingest_settings() -> IngestSettings:
    """Return the ingestion settings (read from the environment on each call)."""
    return IngestSettings()
