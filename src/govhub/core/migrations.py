"""Alembic glue: locate the migration scripts and run them against the configured database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config

from govhub.core.db import UTCDateTime, ensure_sqlite_directory
from govhub.core.settings import get_settings


def scripts_dir() -> Path:
    """Return the migrations directory (the repository's, or the copy inside a wheel)."""
    package_copy = Path(__file__).resolve().parents[1] / "migrations"
    if package_copy.is_dir():
        return package_copy
    return Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    """Return an Alembic config for `database_url` (default: the configured database)."""
    config = Config()
    config.set_main_option("script_location", str(scripts_dir()))
    url = database_url or get_settings().resolved_database_url
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(revision: str = "head", database_url: str | None = None) -> None:
    """Apply migrations up to `revision`."""
    config = alembic_config(database_url)
    ensure_sqlite_directory(config.get_main_option("sqlalchemy.url") or "")
    command.upgrade(config, revision)


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render GovHub's UTC timestamp type as the plain SQL type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
