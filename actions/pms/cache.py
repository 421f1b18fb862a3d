"""Caches for the PMS's availability answers: in-process (one action server) or Redis (shared by several).

Both are generational: ``lookup`` returns the current generation with the entry, ``store`` writes under the
generation the lookup saw, and ``invalidate`` starts a new generation. A reply computed before a booking but
stored after it therefore lands in a generation nobody reads any more, instead of hiding the booking for a TTL.

A cache is an optimisation, never a point of failure: when Redis is unreachable or holds something unreadable,
the lookup is a miss and the PMS answers (logged, not raised).
"""

from __future__ import annotations

import json
import logging
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from redis.exceptions import RedisError  # type: ignore[import-untyped]  # redis 4.6 ships no type hints

from actions.pms.models import Offer

logger = logging.getLogger(__name__)

REDIS_PREFIX = "conserje:avail:"
NO_GENERATION = -1  # the lookup failed: nothing should be stored either


def availability_key(check_in: date, check_out: date, guests: int, room_type: str | None) -> str:
    """The cache key of one availability question (every argument that changes the answer)."""
    return f"{check_in.isoformat()}:{check_out.isoformat()}:{guests}:{room_type or '*'}"


def encode_offers(offers: list[Offer]) -> str:
    """Offers as JSON: dates in ISO 8601, amounts as decimal strings (never floats: 95.10 must stay 95.10)."""
    return json.dumps(
        [
            {
                "room_type": offer.room_type,
                "check_in": offer.check_in.isoformat(),
                "check_out": offer.check_out.isoformat(),
                "guests": offer.guests,
                "nightly_rate": str(offer.nightly_rate),
                "total": str(offer.total),
                "currency": offer.currency,
                "rooms_left": offer.rooms_left,
            }
            for offer in offers
        ],
        separators=(",", ":"),
    )


def decode_offers(raw: str | bytes) -> list[Offer]:
    """The offers ``encode_offers`` wrote.

    Raises:
        ValueError: not what ``encode_offers`` writes (bad JSON, a missing field, a bad date or amount).
    """
    items = json.loads(raw)
    if not isinstance(items, list):
        raise ValueError("not a cached offer list: not a JSON array")
    try:
        return [
            Offer(
                room_type=str(item["room_type"]),
                check_in=date.fromisoformat(item["check_in"]),
                check_out=date.fromisoformat(item["check_out"]),
                guests=int(item["guests"]),
                nightly_rate=Decimal(item["nightly_rate"]),
                total=Decimal(item["total"]),
                currency=str(item["currency"]),
                rooms_left=int(item["rooms_left"]),
            )
            for item in items
        ]
    except (KeyError, TypeError, InvalidOperation) as exc:
        raise ValueError(f"not a cached offer list: {type(exc).__name__}") from exc


class AvailabilityCache(ABC):
    """Where CachedAvailabilityPMS keeps availability answers."""

    @abstractmethod
    async def lookup(self, key: str) -> tuple[int, list[Offer] | None]:
        """The current generation and the fresh entry for ``key`` in it (None on a miss)."""

    @abstractmethod
    async def store(self, generation: int, key: str, offers: list[Offer], ttl: float) -> None:
        """Keeps ``offers`` for ``ttl`` seconds in ``generation`` (the one ``lookup`` returned)."""

    @abstractmethod
    async def invalidate(self) -> None:
        """Forgets every entry (a booking, cancellation or check-out changed availability)."""


class InMemoryAvailabilityCache(AvailabilityCache):
    """A bounded dict with expiry, for one process; the least recently used entry goes first when full."""

    def __init__(self, max_entries: int = 1024, clock: Callable[[], float] = time.monotonic) -> None:
        """``clock`` gives seconds (monotonic); tests pass their own function to step time."""
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._clock = clock
        self._generation = 0
        self._entries: OrderedDict[str, tuple[float, tuple[Offer, ...]]] = OrderedDict()

    def __len__(self) -> int:
        """Number of entries held (fresh or not yet swept)."""
        return len(self._entries)

    async def lookup(self, key: str) -> tuple[int, list[Offer] | None]:
        """The entry if it has not expired; an expired one is dropped."""
        entry = self._entries.get(key)
        if entry is None:
            return self._generation, None
        expires, offers = entry
        if expires <= self._clock():
            del self._entries[key]
            return self._generation, None
        self._entries.move_to_end(key)
        return self._generation, list(offers)

    async def store(self, generation: int, key: str, offers: list[Offer], ttl: float) -> None:
        """Keeps the offers unless the cache was invalidated since the lookup."""
        if generation != self._generation or ttl <= 0:
            return
        self._entries[key] = (self._clock() + ttl, tuple(offers))
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def invalidate(self) -> None:
        """New generation, no entries."""
        self._generation += 1
        self._entries.clear()


class RedisAvailabilityCache(AvailabilityCache):
    """Availability shared by every action-server process through Redis.

    Keys: ``<prefix>version`` holds the generation (INCR on invalidation, so every process sees it at once);
    entries are ``<prefix><generation>:<key>`` with a millisecond TTL, so old generations expire by themselves.
    """

    def __init__(self, client: Any, prefix: str = REDIS_PREFIX) -> None:
        """``client`` is a ``redis.asyncio.Redis`` owned (and closed) by the caller."""
        self.client = client
        self.prefix = prefix
        self.version_key = f"{prefix}version"

    def _entry_key(self, generation: int, key: str) -> str:
        return f"{self.prefix}{generation}:{key}"

    async def lookup(self, key: str) -> tuple[int, list[Offer] | None]:
        """Reads the generation, then the entry under it; any Redis failure is a miss."""
        try:
            generation = int(await self.client.get(self.version_key) or 0)
            raw = await self.client.get(self._entry_key(generation, key))
        except (RedisError, OSError, ValueError) as exc:
            logger.warning("pms_cache_unavailable", extra={"operation": "lookup", "error": type(exc).__name__})
            return NO_GENERATION, None
        if raw is None:
            return generation, None
        try:
            return generation, decode_offers(raw)
        except ValueError as exc:
            logger.warning("pms_cache_unreadable", extra={"key": key, "error": str(exc)})
            return generation, None

    async def store(self, generation: int, key: str, offers: list[Offer], ttl: float) -> None:
        """SET with PX; skipped when the lookup failed or the TTL is not positive."""
        if generation == NO_GENERATION or ttl <= 0:
            return
        try:
            await self.client.set(self._entry_key(generation, key), encode_offers(offers), px=max(1, int(ttl * 1000)))
        except (RedisError, OSError) as exc:
            logger.warning("pms_cache_unavailable", extra={"operation": "store", "error": type(exc).__name__})

    async def invalidate(self) -> None:
        """INCR of the version key: every process reads the new generation on its next lookup."""
        try:
            await self.client.incr(self.version_key)
        except (RedisError, OSError) as exc:
            # Other processes may serve the old answer until it expires; a booking still checks for real.
            logger.warning("pms_cache_unavailable", extra={"operation": "invalidate", "error": type(exc).__name__})
