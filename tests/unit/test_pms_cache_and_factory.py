"""The availability cache (in process) and the factory, on real adapters (doubles in tests/unit/pms_doubles.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import redis.asyncio

from actions.errors import ConfigError
from actions.pms.cache import InMemoryAvailabilityCache, RedisAvailabilityCache, decode_offers, encode_offers
from actions.pms.factory import create_pms
from actions.pms.local import LocalPMS
from actions.pms.models import Offer
from actions.pms.port import InvalidStay, PMSError
from actions.pms.resilience import CachedAvailabilityPMS, CircuitBreakerPMS, RetryingPMS, TimeoutPMS, find_layer
from actions.profile_models import HotelProfile
from actions.settings import Settings
from actions.store.db import Database
from scripts.stack import free_port
from tests.unit.pms_doubles import NOW, GatewayPMS, ScriptedServer, SteppedClock, booking, stay

pytest_plugins = ["tests.unit.pms_doubles"]  # the fixtures: db, local, server, remote ...


class DottedPMS(LocalPMS):
    """A custom adapter loaded by PMS_TYPE=tests.unit.test_pms_cache_and_factory.DottedPMS."""

    def __init__(self, settings: Settings, db: Database, profile: HotelProfile) -> None:
        super().__init__(db, profile)
        self.settings = settings


# --- availability cache ----------------------------------------------------------------------------------------


async def test_cache_hit_avoids_the_pms_and_expires_after_the_ttl(remote: GatewayPMS) -> None:
    clock = SteppedClock()
    cached = CachedAvailabilityPMS(remote, InMemoryAvailabilityCache(clock=clock), ttl=30)
    first = await cached.availability(*stay(7), 2)
    assert await cached.availability(*stay(7), 2) == first
    assert remote.calls["availability"] == 1
    await cached.availability(*stay(7), 3)  # another question
    await cached.availability(*stay(7), 2, "double")
    assert remote.calls["availability"] == 3
    clock.advance(29.9)
    await cached.availability(*stay(7), 2)
    assert remote.calls["availability"] == 3
    clock.advance(0.1)
    assert await cached.availability(*stay(7), 2) == first
    assert remote.calls["availability"] == 4


async def test_a_booking_invalidates_the_cache(remote: GatewayPMS) -> None:
    cached = CachedAvailabilityPMS(remote, InMemoryAvailabilityCache(), ttl=30)
    before = {offer.room_type: offer.rooms_left for offer in await cached.availability(*stay(8), 2)}
    reservation = await cached.create_reservation(booking(8))
    after = {offer.room_type: offer.rooms_left for offer in await cached.availability(*stay(8), 2)}
    assert after["double"] == before["double"] - 1
    assert remote.calls["availability"] == 2
    await cached.cancel_reservation(reservation.code, NOW)
    assert {o.room_type: o.rooms_left for o in await cached.availability(*stay(8), 2)} == before


async def test_a_failed_booking_still_invalidates_and_errors_are_not_cached(
    remote: GatewayPMS, server: ScriptedServer
) -> None:
    cached = CachedAvailabilityPMS(remote, InMemoryAvailabilityCache(), ttl=30)
    await cached.availability(*stay(9), 2)
    server.script["create_reservation"] = ["slow"]
    with pytest.raises(PMSError):  # timed out: the booking may have happened
        await CachedAvailabilityPMS(TimeoutPMS(remote, 0.05), cached.cache, ttl=30).create_reservation(booking(9))
    await cached.availability(*stay(9), 2)
    assert remote.calls["availability"] == 2
    check_in, _ = stay(9)
    for _ in range(2):
        with pytest.raises(InvalidStay):
            await cached.availability(check_in, check_in, 2)
    assert remote.calls["availability"] == 4


async def test_memory_cache_is_bounded_and_drops_stale_generations() -> None:
    cache = InMemoryAvailabilityCache(max_entries=2)
    for key in ("a", "b", "c"):
        generation, _ = await cache.lookup(key)
        await cache.store(generation, key, [], 30)
    assert len(cache) == 2
    assert (await cache.lookup("a"))[1] is None
    assert (await cache.lookup("c"))[1] == []
    generation, _ = await cache.lookup("d")
    await cache.invalidate()  # a booking lands while "d" is being computed
    await cache.store(generation, "d", [], 30)
    assert (await cache.lookup("d"))[1] is None


def test_offers_survive_json_with_exact_dates_and_amounts() -> None:
    offers = [Offer("double", date(2031, 2, 1), date(2031, 2, 3), 2, Decimal("95.10"), Decimal("190.20"), "USD", 3)]
    decoded = decode_offers(encode_offers(offers))
    assert decoded == offers
    assert str(decoded[0].total) == "190.20"
    for garbage in ("not json", "{}", '[{"room_type": "double"}]', '[{"nightly_rate": "x"}]'):
        with pytest.raises(ValueError):
            decode_offers(garbage)


async def test_an_unreachable_redis_is_a_miss_not_an_error(local: LocalPMS) -> None:
    client = redis.asyncio.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
    try:
        cached = CachedAvailabilityPMS(local, RedisAvailabilityCache(client), ttl=30)
        assert await cached.availability(*stay(10), 2) == await local.availability(*stay(10), 2)
        await cached.create_reservation(booking(10))
    finally:
        await client.close()


# --- the chain and the factory ---------------------------------------------------------------------------------


def _settings(sqlite_url: str, **values: Any) -> Settings:
    return Settings(database_url=sqlite_url, **values)


async def test_factory_builds_the_local_pms_inside_the_chain(
    sqlite_url: str, db: Database, profile: HotelProfile
) -> None:
    pms = create_pms(_settings(sqlite_url), db, profile)
    assert isinstance(pms, CachedAvailabilityPMS)
    assert isinstance(pms.cache, InMemoryAvailabilityCache)
    assert isinstance(find_layer(pms, LocalPMS), LocalPMS)
    for layer in (CircuitBreakerPMS, RetryingPMS, TimeoutPMS):
        assert find_layer(pms, layer) is not None
    await pms.start()
    assert await pms.availability(*stay(12), 2)
    await pms.close()


async def test_factory_options(sqlite_url: str, db: Database, profile: HotelProfile) -> None:
    uncached = create_pms(_settings(sqlite_url, pms_cache_ttl_seconds=0), db, profile)
    assert find_layer(uncached, CachedAvailabilityPMS) is None
    assert isinstance(uncached, CircuitBreakerPMS)
    client = redis.asyncio.Redis(host="127.0.0.1", port=free_port())
    shared = create_pms(_settings(sqlite_url), db, profile, redis_client=client)
    assert isinstance(shared, CachedAvailabilityPMS)
    assert isinstance(shared.cache, RedisAvailabilityCache)
    await client.close()


async def test_factory_loads_a_pms_class_by_dotted_path(sqlite_url: str, db: Database, profile: HotelProfile) -> None:
    settings = _settings(sqlite_url, pms_type="tests.unit.test_pms_cache_and_factory.DottedPMS")
    custom = find_layer(create_pms(settings, db, profile), DottedPMS)
    assert custom is not None
    assert custom.settings is settings


@pytest.mark.parametrize(
    ("pms_type", "message"),
    [
        ("tests.unit.no_such_module.SomePMS", "cannot import"),
        ("tests.unit.test_pms_cache_and_factory.NoSuchPMS", "cannot import"),
        ("tests.unit.pms_doubles.ScriptedServer", "not a subclass"),
        ("actions.pms.port.PMS", "does not implement"),
        ("actions.pms.local.LocalPMS", "keyword arguments settings, db and profile"),
        ("opera", "unknown PMS 'opera'"),
    ],
)
async def test_factory_rejects_what_it_cannot_build(
    sqlite_url: str, db: Database, profile: HotelProfile, pms_type: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        create_pms(_settings(sqlite_url, pms_type=pms_type), db, profile)


async def test_factory_needs_the_qloapps_url(sqlite_url: str, db: Database, profile: HotelProfile) -> None:
    settings = _settings(sqlite_url, pms_type="qloapps", qloapps_api_key="K" * 32)
    with pytest.raises(ConfigError, match="QLOAPPS_URL"):
        create_pms(settings, db, profile)
