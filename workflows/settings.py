"""Application settings: one pydantic-settings model, read from ``GROUPGOV_*`` environment variables.

Build it with :func:`get_settings`; nothing reads the environment at import time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT_DIR = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET = "change-me-in-production"


class Settings(BaseSettings):
    """Every knob of groupgov. Environment variables are the field names upper-cased with ``GROUPGOV_``."""

    model_config = SettingsConfigDict(env_prefix="GROUPGOV_", extra="ignore")

    environment: str = Field("development", description="development, test or production; production refuses placeholder secrets")
    root_dir: Path = Field(ROOT_DIR, description="repository root: bpmn/, templates/ and var/ are found below it")
    var_dir: Path | None = Field(None, description="writable state folder (default: <root_dir>/var)")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default a SQLite file var/groupgov.sqlite3")
    secret_key: str = Field(PLACEHOLDER_SECRET, description="signs API tokens and session cookies")
    token_ttl_seconds: int = Field(12 * 3600, description="lifetime of an API bearer token")
    host: str = Field("127.0.0.1", description="address the web app listens on")
    port: int = Field(8000, description="port the web app listens on")
    timezone: str = Field("Asia/Shanghai", description="local time zone for working days and the dates on forms")
    duplicate_threshold: int = Field(80, description="similarity (0-100) above which a group name or function counts as a likely duplicate (art. 4)")
    temp_group_max_members: int = Field(50, description="art. 6: most members a temporary group may have without approval")
    temp_group_max_days: int = Field(90, description="art. 6: longest a temporary group may run without approval, in days")
    account_idle_days: int = Field(14, description="art. 10: days without an update after which an official account is deregistered")
    campaign_remind_days: int = Field(3, description="art. 7: days before a cleanup campaign's deadline when units that have not finished are reminded")
    expression_max_length: int = Field(500, description="longest condition or expression a diagram may carry, in characters")
    session_max_age_seconds: int = Field(8 * 3600, description="web app: lifetime of the signed session cookie of a signed-in user")
    session_cookie_secure: bool = Field(False, description="web app: send the session cookie over HTTPS only (set true behind TLS)")
    attachment_max_bytes: int = Field(10 * 1024 * 1024, description="web app: largest file attachment accepted on a task form, in bytes")
    urge_interval_seconds: int = Field(3600, description="催办: shortest time between two urges of the same task, in seconds")
    prefect_ui_url: str = Field("http://127.0.0.1:4200", description="dashboard: address of the Prefect UI (the scheduler's runs) that the administrators' dashboard links to")

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> "Settings":
        if self.environment == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError("GROUPGOV_SECRET_KEY must be set in production")
        return self

    @property
    def state_dir(self) -> Path:
        return self.var_dir or self.root_dir / "var"

    @property
    def bpmn_dir(self) -> Path:
        return self.root_dir / "bpmn"

    @property
    def templates_dir(self) -> Path:
        return self.root_dir / "templates"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.state_dir / 'groupgov.sqlite3'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
