"""The Redis availability cache against the real Redis: hits, expiry, and invalidation seen by another process.

Each "process" is its own Redis connection and its own local PMS on the shared migrated SQLite, as two action
servers behind one Redis would be. Bookings use dates in 2032, away from the other tests' occupancy.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
import redis.asyncio

from actions.pms.cache import REDIS_PREFIX, RedisAvailabilityCache
from actions.pms.local import LocalPMS
from actions.pms.models import BookingRequest, Offer
from actions.pms.resilience import CachedAvailabilityPMS
from actions.profile import load_profile
from actions.settings import Settings
from actions.store.db import Database

pytestmark = pytest.mark.integration


def stay(month: int) -> tuple[date, date]:
    """Two nights in 2032 (one month per test)."""
    return date(2032, month, 10), date(2032, month, 12)


class CountingPMS(LocalPMS):
    """The local PMS, counting the availability questions that reach it."""

    availability_calls = 0

    async def availability(
        self, check_in: date, check_out: date, guests: int, room_type: str | None = None
    ) -> list[Offer]:
        self.availability_calls += 1
        return await super().availability(check_in, check_out, guests, room_type)


class Process:
    """One action server's view: its own Redis connection, cache and PMS."""

    def __init__(self, redis_url: str, db: Database, ttl: float) -> None:
        self.client: Any = redis.asyncio.from_url(redis_url, socket_timeout=3)
        self.pms = CountingPMS(db, load_profile())
        self.cached = CachedAvailabilityPMS(self.pms, RedisAvailabilityCache(self.client), ttl=ttl)


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=sqlite_url))
    await LocalPMS(database, load_profile()).seed_rooms()
    yield database
    await database.close()


@pytest.fixture
async def processes(redis_url: str, db: Database) -> AsyncIterator[tuple[Process, Process]]:
    pair = (Process(redis_url, db, ttl=30), Process(redis_url, db, ttl=30))
    yield pair
    for process in pair:
        await process.client.close()


async def test_a_hit_is_served_from_redis_with_exact_amounts(processes: tuple[Process, Process]) -> None:
    first, second = processes
    offers = await first.cached.availability(*stay(1), 2)
    assert offers
    assert await first.cached.availability(*stay(1), 2) == offers
    assert await second.cached.availability(*stay(1), 2) == offers  # shared: the other process asks nobody
    assert (first.pms.availability_calls, second.pms.availability_calls) == (1, 0)
    key = f"{REDIS_PREFIX}0:2032-01-10:2032-01-12:2:*"
    assert 0 < await first.client.pttl(key) <= 30_000
    stored = json.loads(await first.client.get(key))
    assert stored[0]["total"] == str(offers[0].total)  # decimal strings, not floats


async def test_an_entry_expires_after_the_ttl(redis_url: str, db: Database) -> None:
    process = Process(redis_url, db, ttl=0.2)
    try:
        await process.cached.availability(*stay(2), 2)
        await process.cached.availability(*stay(2), 2)
        assert process.pms.availability_calls == 1
        await asyncio.sleep(0.35)
        await process.cached.availability(*stay(2), 2)
        assert process.pms.availability_calls == 2
    finally:
        await process.client.close()


async def test_a_booking_in_one_process_invalidates_the_other(processes: tuple[Process, Process]) -> None:
    first, second = processes
    before = {offer.room_type: offer.rooms_left for offer in await first.cached.availability(*stay(3), 2)}
    request = BookingRequest("double", *stay(3), 2, "Grace Hopper", "grace@example.com")
    reservation = await second.cached.create_reservation(request)
    after = {offer.room_type: offer.rooms_left for offer in await first.cached.availability(*stay(3), 2)}
    assert after["double"] == before["double"] - 1
    assert first.pms.availability_calls == 2
    assert await first.client.get(f"{REDIS_PREFIX}version") == b"1"
    await second.cached.set_status(reservation.code, "cancelled")
    assert await first.client.get(f"{REDIS_PREFIX}version") == b"2"


async def test_an_answer_from_before_the_invalidation_is_never_served(processes: tuple[Process, Process]) -> None:
    first, second = processes
    cache = first.cached.cache
    generation, _ = await cache.lookup("late")
    await second.cached.cache.invalidate()  # another process books while this one asks the PMS
    await cache.store(generation, "late", [], 30)
    assert (await second.cached.cache.lookup("late"))[1] is None


async def test_an_unreadable_entry_is_a_miss_and_is_replaced(processes: tuple[Process, Process]) -> None:
    first, _ = processes
    key = f"{REDIS_PREFIX}0:2032-04-10:2032-04-12:2:*"
    await first.client.set(key, "not json", px=30_000)
    offers = await first.cached.availability(*stay(4), 2)
    assert offers and first.pms.availability_calls == 1
    assert await first.cached.availability(*stay(4), 2) == offers
    assert first.pms.availability_calls == 1
