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
    workflow_cache_size: int = Field(256, description="live workflows each process keeps between steps (skips deserializing a warm instance); 0 turns the cache off")
    expression_max_length: int = Field(500, description="longest condition or expression a diagram may carry, in characters")
    # scheduler (Prefect): embedded by default, scaled with an external API and a work pool
    prefect_api_url: str | None = Field(None, description="scheduler: URL of an external Prefect API (scaled mode, e.g. http://prefect:4200/api); empty: `groupgov serve` starts its own Prefect server on SQLite under var/prefect")
    prefect_port: int = Field(4200, description="scheduler: port of the embedded Prefect server (and its UI) on 127.0.0.1; taken or 0: any free port (logged)")
    prefect_work_pool: str = Field("groupgov", description="scheduler: Prefect work pool the deployments are registered on in scaled mode (`groupgov scheduler deploy`)")
    scheduler_enabled: bool = Field(True, description="scheduler: `groupgov serve` also runs the scheduler (embedded Prefect server and served flows, or the wake-up dispatcher in scaled mode); false on extra web nodes")
    scheduler_max_runs: int = Field(6, description="scheduler: most flow runs the embedded scheduler runs at once (each run is a process of about 170 MB)")
    sweep_interval_seconds: int = Field(60, description="scheduler: the safety sweep that fires every due timer runs this often, in seconds")
    wakeup_lead_seconds: float = Field(10.0, description="scheduler: a timer's wake-up flow run starts this long before the due time and waits inside, so process start-up never makes it late")
    wakeup_window_seconds: int = Field(10, description="scheduler: one wake-up run serves every timer due within a window of this many seconds (fewer processes); each still fires at its own due time")
    wakeup_horizon_seconds: int = Field(900, description="scheduler: wake-up runs are created in Prefect for due times at most this far ahead; later ones wait in the outbox for the sweep")
    wakeup_poll_seconds: float = Field(1.0, description="scheduler: how often the dispatcher looks for newly armed timers in the outbox, in seconds")
    document_render_poll_seconds: float = Field(2.0, description="scheduler: how often the scheduler process looks for forms recorded by a step but not rendered yet (they are rendered after the step commits; a download renders one at once if it comes first), in seconds; 0 turns this off")
    document_render_batch: int = Field(20, description="scheduler: most forms rendered per look (each stored in its own transaction)")
    daily_cron: str = Field("0 8 * * *", description="scheduler: cron (in GROUPGOV_TIMEZONE) of the daily starts: ended temporary groups, idle official accounts, campaign deadlines")
    # notification channels (in-app rows always exist; these deliver them further)
    public_url: str | None = Field(None, description="notifications: address of the web app used in links (default http://HOST:PORT)")
    smtp_host: str | None = Field(None, description="notifications: SMTP server for e-mail; empty: no e-mail is sent")
    smtp_port: int = Field(25, description="notifications: SMTP port (587 with starttls, 465 with ssl)")
    smtp_user: str | None = Field(None, description="notifications: SMTP login user (empty: no login)")
    smtp_password: str | None = Field(None, description="notifications: SMTP login password")
    smtp_from: str = Field("groupgov@localhost", description="notifications: sender address of e-mails")
    smtp_tls: str = Field("none", description="notifications: SMTP transport security: none, starttls or ssl")
    smtp_timeout_seconds: float = Field(15.0, description="notifications: SMTP connect and send timeout, in seconds")
    webhook_url: str | None = Field(None, description="notifications: group robot webhook (WeCom or DingTalk) that receives a JSON POST per notification; empty: none")
    webhook_kind: str = Field("wecom", description="notifications: webhook message format: wecom or dingtalk")
    webhook_timeout_seconds: float = Field(10.0, description="notifications: webhook request timeout, in seconds")
    notify_max_attempts: int = Field(5, description="notifications: attempts per channel before a delivery is marked failed (visible to administrators)")
    notify_retry_seconds: int = Field(60, description="notifications: wait before the first retry of a failed send; doubles after each attempt")
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
