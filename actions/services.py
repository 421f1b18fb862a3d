"""The services the actions call, created once per action-server process with the app and closed with it.

Actions are instantiated by rasa-sdk without arguments, so they reach their services through ``services()``;
``start()`` and ``stop()`` are called by the action server's start-up and shutdown listeners (and by tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import sqlalchemy as sa
from redis.exceptions import RedisError

from actions.errors import ConfigError, StoreError
from actions.pms.factory import create_pms
from actions.pms.port import PMS
from actions.pms.resilience import CircuitBreakerPMS
from actions.profile import load_profile
from actions.profile_models import HotelProfile
from actions.settings import Settings, get_settings
from actions.store.db import Database


@dataclass
class Services:
    """Everything an action may need: configuration, the hotel profile, our database and the PMS."""

    settings: Settings
    profile: HotelProfile
    db: Database
    pms: PMS
    redis: Any = None  # redis.asyncio client when REDIS_URL is set

    def breaker_state(self) -> str:
        """The PMS circuit breaker's state ("closed", "half_open", "open"), found by walking the resilience chain."""
        layer: Any = self.pms
        while layer is not None:
            if isinstance(layer, CircuitBreakerPMS):
                return layer.state
            layer = getattr(layer, "inner", None)
        return "closed"

    async def readiness(self) -> dict[str, str]:
        """Each dependency as "ok" or the kind of failure: database, Redis (when configured), PMS breaker."""
        checks: dict[str, str] = {}
        try:
            async with self.db.session() as session:
                await session.execute(sa.text("SELECT 1"))
            checks["database"] = "ok"
        except StoreError:
            checks["database"] = "unavailable"
        if self.redis is not None:
            try:
                await self.redis.ping()
                checks["redis"] = "ok"
            except (RedisError, OSError):
                checks["redis"] = "unavailable"
        state = self.breaker_state()
        checks["pms"] = "ok" if state == "closed" else f"breaker_{state}"
        return checks

    def photo_url(self, name: str) -> str:
        """Public URL of a shipped photo, served by the action server under /media/photos/."""
        return f"{self.settings.public_base_url}/media/photos/{name}"


_current: Services | None = None


def start(settings: Settings | None = None, profile: HotelProfile | None = None) -> Services:
    """Validates configuration and the profile, and opens the services (no connection is made yet).

    Raises:
        ConfigError: invalid settings or hotel profile.
    """
    global _current
    settings = settings or get_settings()
    profile = profile or load_profile()
    db = Database(settings)
    redis = aioredis.from_url(settings.redis_url, socket_timeout=2) if settings.redis_url else None
    pms = create_pms(settings, db, profile, redis)
    _current = Services(settings=settings, profile=profile, db=db, pms=pms, redis=redis)
    return _current


async def stop() -> None:
    """Closes what ``start`` opened."""
    global _current
    if _current is not None:
        await _current.pms.close()
        if _current.redis is not None:
            await _current.redis.close()
        await _current.db.close()
        _current = None


def services() -> Services:
    """The running services.

    Raises:
        ConfigError: called before ``start()``.
    """
    if _current is None:
        raise ConfigError("services not started: the action server's start-up listener has not run")
    return _current
