"""Typed configuration of both processes, read from the environment in this one module.

Read on first use (``get_settings()``), never at import time, and validated then: a bad value stops start-up with
a message naming the variable. Secrets have no default; a known placeholder secret is refused.
"""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import BaseSettings, Field, ValidationError, validator
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL

from actions.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "dummy", "token", "admin", "test", "password"}


class Settings(BaseSettings):
    """Environment variables (names in upper case) with their defaults: the embedded, single-machine set-up."""

    database_url: str = Field(f"sqlite:///{ROOT / 'var' / 'conserje.db'}", env="DATABASE_URL")
    redis_url: str | None = Field(None, env="REDIS_URL")
    public_base_url: str = Field("http://localhost:5055", env="PUBLIC_BASE_URL")
    admin_token: str | None = Field(None, env="CONSERJE_ADMIN_TOKEN")
    # Shared with the Rasa server (endpoints.yml sends it as the X-Conserje-Action-Secret header): the action webhook
    # answers only the Rasa server. Required by the action server; `make run` generates one when unset.
    action_secret: str | None = Field(None, env="CONSERJE_ACTION_SECRET")
    # Bearer token of both processes' Prometheus endpoints (unset: they answer 404).
    metrics_token: str | None = Field(None, env="CONSERJE_METRICS_TOKEN")
    # Rate limits per minute: each guest conversation (over it: one polite reply, then silence until the minute
    # ends) and each admin token (429). In Redis with REDIS_URL, so every process shares them.
    guest_rate_limit_per_minute: int = Field(20, ge=1, env="GUEST_RATE_LIMIT_PER_MINUTE")
    admin_rate_limit_per_minute: int = Field(120, ge=1, env="ADMIN_RATE_LIMIT_PER_MINUTE")
    # The PMS: `local` (embedded SQL), `qloapps`, or a dotted path to a PMS subclass built with the keywords
    # settings, db and profile (actions/pms/factory.py).
    pms_type: str = Field("local", env="PMS_TYPE")
    qloapps_url: str | None = Field(None, env="QLOAPPS_URL")
    qloapps_api_key: str | None = Field(None, env="QLOAPPS_API_KEY")
    qloapps_hotel_id: int = Field(1, env="QLOAPPS_HOTEL_ID")
    pms_timeout_seconds: float = Field(5.0, gt=0, env="PMS_TIMEOUT_SECONDS")
    pms_read_retries: int = Field(2, ge=0, le=5, env="PMS_READ_RETRIES")
    pms_breaker_failures: int = Field(5, ge=1, env="PMS_BREAKER_FAILURES")
    pms_breaker_cooldown_seconds: float = Field(30.0, gt=0, env="PMS_BREAKER_COOLDOWN_SECONDS")
    pms_cache_ttl_seconds: float = Field(30.0, ge=0, env="PMS_CACHE_TTL_SECONDS")
    # Late checkout / early check-in: how long an offer stands; where the action server reaches Rasa's HTTP API
    # to tell a guest the outcome of a staff decision (trigger_intent), with Rasa's token when it has one.
    stay_offer_minutes: float = Field(10.0, gt=0, env="STAY_OFFER_MINUTES")
    rasa_url: str = Field("http://localhost:5005", env="RASA_URL")
    # A staff decision the guest could not be told (Rasa unreachable) is retried this often for a day (0: never).
    stay_notify_retry_seconds: float = Field(60.0, ge=0, env="STAY_NOTIFY_RETRY_SECONDS")
    rasa_auth_token: str | None = Field(None, env="RASA_AUTH_TOKEN")
    # QR confirmations: the HMAC key of the tokens (unset: no QR codes are issued) and where their PNGs are kept.
    qr_secret: str | None = Field(None, env="CONSERJE_QR_SECRET")
    qr_dir: Path = Field(ROOT / "var" / "qr", env="QR_DIR")
    # Post-stay review requests: how often the action server's scheduler sends what is due (0: never, only
    # POST /admin/reviews/dispatch).
    review_scheduler_seconds: float = Field(300.0, ge=0, env="REVIEW_SCHEDULER_SECONDS")

    class Config:
        env_file = None

    @validator("database_url")
    def _supported_database(cls, value: str) -> str:  # noqa: N805 - pydantic validators take the class
        try:
            url = make_url(value)
        except Exception:
            raise ValueError("is not a database URL (e.g. postgresql://user@host:5432/db)") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("only sqlite and postgresql are supported")
        return value

    @validator("redis_url")
    def _redis(cls, value: str | None) -> str | None:  # noqa: N805
        if value and not value.startswith(("redis://", "rediss://")):
            raise ValueError("must start with redis:// or rediss://")
        return value or None

    @validator("qloapps_api_key", always=True)
    def _qloapps_needs_key(cls, value: str | None, values: dict) -> str | None:  # noqa: N805
        if values.get("pms_type") == "qloapps" and (not value or value.lower() in PLACEHOLDER_SECRETS):
            raise ValueError("is required (and must not be a placeholder) when PMS_TYPE=qloapps")
        return value

    @validator("public_base_url", "rasa_url")
    def _base(cls, value: str) -> str:  # noqa: N805
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @validator("qr_secret")
    def _strong_qr_secret(cls, value: str | None) -> str | None:  # noqa: N805
        if not value:
            return None
        if value.lower() in PLACEHOLDER_SECRETS or len(value) < 32:
            raise ValueError("is a placeholder or shorter than 32 characters; use a long random secret")
        return value

    @validator("admin_token", "action_secret", "metrics_token")
    def _no_placeholder(cls, value: str | None) -> str | None:  # noqa: N805
        if value is not None and (value.lower() in PLACEHOLDER_SECRETS or len(value) < 16):
            raise ValueError("is a placeholder or shorter than 16 characters; use a long random token")
        return value or None

    def sync_database_url(self) -> URL:
        """The URL for synchronous drivers (Alembic migrations, Rasa's SQL tracker store)."""
        url = make_url(self.database_url)
        return url.set(drivername="postgresql+psycopg2" if url.get_backend_name() == "postgresql" else "sqlite")

    def async_database_url(self) -> URL:
        """The URL for the action server's asyncio engine (asyncpg or aiosqlite)."""
        url = make_url(self.database_url)
        return url.set(
            drivername="postgresql+asyncpg" if url.get_backend_name() == "postgresql" else "sqlite+aiosqlite"
        )


def _variable(field: str) -> str:
    """The environment variable behind a settings field, as the operator knows it."""
    model_field = Settings.__fields__.get(field)
    return str(model_field.field_info.extra.get("env", field.upper())) if model_field else field.upper()


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, validated once per process.

    Raises:
        ConfigError: a variable holds an invalid value; the message names it.
    """
    try:
        return Settings()  # type: ignore[call-arg]  # every field comes from the environment or its default
    except ValidationError as exc:
        problems = "; ".join(f"{_variable(str(item['loc'][0]))}: {item['msg']}" for item in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from None
