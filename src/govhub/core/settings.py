"""Platform settings, read from `GOVHUB_*` environment variables (and an optional `.env`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

S = TypeVar("S", bound=BaseSettings)
DEFAULT_VAR_DIR = Path("var")
DEV_SECRET = "govhub-development-secret-change-me"  # noqa: S105 - documented dev default


class Settings(BaseSettings):
    """Every tunable of the platform, with embedded defaults that work on a laptop."""

    model_config = SettingsConfigDict(env_prefix="GOVHUB_", env_file=".env", extra="ignore")

    env: str = Field(default="development", description="development, test or production")
    var_dir: Path = Field(default=DEFAULT_VAR_DIR, description="Where embedded state lives")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite under var/")
    storage_url: str = Field(default="", description="fsspec URL for files; empty = var/files")
    secret_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET),
        description="Master secret: derives the field-encryption, HMAC-index and CSRF keys",
    )
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public URL (OIDC issuer)")
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = Field(default=10 * 1024 * 1024, description="Largest request body")
    max_upload_bytes: int = Field(
        default=1024 * 1024 * 1024, description="Largest multipart file upload"
    )
    log_level: str = "INFO"
    log_json: bool = True
    access_token_ttl_seconds: int = 900
    session_ttl_seconds: int = 8 * 3600
    login_max_failures: int = Field(default=5, description="Failed logins before a lockout")
    login_lockout_seconds: int = 900
    login_rate_per_minute: int = Field(default=30, description="Login attempts per client IP")
    default_locale: str = "zh_CN"
    argon2_memory_kib: int = Field(default=65536, description="argon2id memory cost")
    argon2_time_cost: int = Field(default=3, description="argon2id iterations")

    @property
    def resolved_database_url(self) -> str:
        """Return the configured database URL, or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'govhub.db').resolve()}"

    @property
    def resolved_storage_url(self) -> str:
        """Return the configured storage URL, or the local files directory."""
        if self.storage_url:
            return self.storage_url
        return str((self.var_dir / "files").resolve())

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry `Secure` whenever the public URL is HTTPS."""
        return self.base_url.startswith("https://")


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests clear the cache to change them)."""
    return Settings()


def environment_cached(prefix: str, settings: type[S]) -> Callable[[], S]:
    """Return a getter of `settings()` that builds again only when one of its variables
    (`prefix` + a field's name in upper case) changed.

    Building pydantic settings reads the environment and `.env` (milliseconds); a hot path
    that asks for them on every call gets the same object until the environment changes.
    Only the settings' own variables are looked up, not the whole environment scanned.
    """
    names = tuple(prefix + name.upper() for name in settings.model_fields)
    cached: list[tuple[tuple[str | None, ...], S]] = []

    def get() -> S:
        environ = tuple(map(os.environ.get, names))
        if cached and cached[0][0] == environ:
            return cached[0][1]
        value = settings()
        cached[:] = [(environ, value)]
        return value

    return get
