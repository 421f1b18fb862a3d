"""Builds the PMS from configuration: the adapter named by PMS_TYPE, wrapped in the resilience chain.

PMS_TYPE is ``local`` (our SQL tables), ``qloapps`` (QloApps webservice), or the dotted path of a PMS subclass,
the way rasa's ``_create_from_endpoint_config`` loads a custom lock store. A custom class is constructed with the
keyword arguments ``settings``, ``db`` and ``profile`` and ignores what it does not need.

Every adapter, the local one included, gets the same chain (see resilience.py for the order and why), so the
assistant behaves the same whatever PMS is behind it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from actions.errors import ConfigError
from actions.pms.cache import AvailabilityCache, InMemoryAvailabilityCache, RedisAvailabilityCache
from actions.pms.local import LocalPMS
from actions.pms.port import PMS
from actions.pms.resilience import CachedAvailabilityPMS, CircuitBreakerPMS, RetryingPMS, TimeoutPMS
from actions.profile_models import HotelProfile
from actions.settings import Settings
from actions.store.db import Database

BUILT_IN = ("local", "qloapps")


def create_pms(settings: Settings, db: Database, profile: HotelProfile, redis_client: Any = None) -> PMS:
    """The configured PMS adapter inside its resilience chain (nothing is connected yet).

    Args:
        settings: validated settings (PMS_TYPE, QLOAPPS_*, PMS_TIMEOUT_SECONDS ... PMS_CACHE_TTL_SECONDS).
        db: our database (the local adapter's storage; passed to custom adapters too).
        profile: the hotel profile.
        redis_client: a ``redis.asyncio.Redis`` to share the availability cache between processes; without
            it the cache is in-process. The caller owns and closes it.

    Raises:
        ConfigError: unknown PMS_TYPE, missing QloApps settings, or a dotted path that is not a usable PMS.
    """
    return wrap(create_adapter(settings, db, profile), settings, redis_client)


def create_adapter(settings: Settings, db: Database, profile: HotelProfile) -> PMS:
    """The bare adapter for PMS_TYPE, without resilience.

    Raises:
        ConfigError: as for ``create_pms``.
    """
    kind = settings.pms_type.strip()
    if kind == "local":
        return LocalPMS(db, profile)
    if kind == "qloapps":
        return _qloapps(settings, profile)
    if "." in kind:
        return _from_dotted_path(kind, settings, db, profile)
    raise ConfigError(
        f"PMS_TYPE: unknown PMS {kind!r}; use one of {', '.join(BUILT_IN)} or the dotted path of a PMS subclass"
    )


def wrap(adapter: PMS, settings: Settings, redis_client: Any = None) -> PMS:
    """``adapter`` inside Cached(CircuitBreaker(Retrying(Timeout(adapter)))); no cache layer when the TTL is 0."""
    chain: PMS = TimeoutPMS(adapter, settings.pms_timeout_seconds)
    chain = RetryingPMS(chain, settings.pms_read_retries)
    chain = CircuitBreakerPMS(chain, settings.pms_breaker_failures, settings.pms_breaker_cooldown_seconds)
    if settings.pms_cache_ttl_seconds > 0:
        cache: AvailabilityCache = (
            RedisAvailabilityCache(redis_client) if redis_client is not None else InMemoryAvailabilityCache()
        )
        chain = CachedAvailabilityPMS(chain, cache, settings.pms_cache_ttl_seconds)
    return chain


def _qloapps(settings: Settings, profile: HotelProfile) -> PMS:
    if not settings.qloapps_url:
        raise ConfigError("QLOAPPS_URL: is required when PMS_TYPE=qloapps (the shop's base URL)")
    if not settings.qloapps_api_key:
        raise ConfigError("QLOAPPS_API_KEY: is required when PMS_TYPE=qloapps")
    # Imported here: the QloApps adapter (and its HTTP client) is loaded only by hotels that use it.
    from actions.pms.qloapps import QloAppsPMS

    return QloAppsPMS(
        base_url=settings.qloapps_url,
        api_key=settings.qloapps_api_key,
        hotel_id=settings.qloapps_hotel_id,
        profile=profile,
        timeout=settings.pms_timeout_seconds,
        session=None,
    )


def _from_dotted_path(path: str, settings: Settings, db: Database, profile: HotelProfile) -> PMS:
    module_name, _, class_name = path.rpartition(".")
    try:
        candidate = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"PMS_TYPE: cannot import {path!r} ({type(exc).__name__}: {exc})") from None
    if not (inspect.isclass(candidate) and issubclass(candidate, PMS)):
        raise ConfigError(f"PMS_TYPE: {path!r} is not a subclass of actions.pms.port.PMS")
    if inspect.isabstract(candidate):
        raise ConfigError(f"PMS_TYPE: {path!r} does not implement every method of the PMS port")
    try:
        inspect.signature(candidate).bind(settings=settings, db=db, profile=profile)
    except TypeError:
        raise ConfigError(
            f"PMS_TYPE: {path!r} must accept the keyword arguments settings, db and profile (may ignore them)"
        ) from None
    custom: Callable[..., PMS] = candidate  # a concrete subclass whose constructor takes these keywords
    return custom(settings=settings, db=db, profile=profile)
