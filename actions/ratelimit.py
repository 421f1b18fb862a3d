"""Fixed-window rate limits, shared by both processes: per guest (Rasa server) and per admin token (action server).

    RateLimiter             port: ``hit(key)`` counts one hit and returns the key's count in the current window
    ├── MemoryRateLimiter   one process (the embedded set-up)
    └── RedisRateLimiter    ``INCR`` + ``EXPIRE`` on REDIS_URL, so every process behind a balancer shares the count

A Redis failure lets the hit through (logged): losing the limit for a moment beats refusing every guest.
"""

from __future__ import annotations

import hashlib
import logging
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from typing import Any

logger = logging.getLogger(__name__)


class RateLimiter(ABC):
    """At most ``limit`` hits per key in each window of ``window`` seconds."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        """``limit`` hits per ``window`` seconds."""
        self.limit, self.window = limit, window

    def _slot(self) -> int:
        return int(time.time() // self.window)

    @abstractmethod
    async def hit(self, key: str) -> int:
        """Counts a hit for ``key``; its count in the current window (over ``limit``: refuse)."""


class MemoryRateLimiter(RateLimiter):
    """Counters in this process; the previous windows are dropped as time moves on."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        """Empty counters."""
        super().__init__(limit, window)
        self._slot_seen = self._slot()
        self._hits: defaultdict[str, int] = defaultdict(int)

    async def hit(self, key: str) -> int:
        """Counts in memory."""
        slot = self._slot()
        if slot != self._slot_seen:
            self._slot_seen, self._hits = slot, defaultdict(int)
        self._hits[key] += 1
        return self._hits[key]


class RedisRateLimiter(RateLimiter):
    """Counters as Redis keys that expire with their window."""

    def __init__(self, client: Any, limit: int, window: float = 60.0, prefix: str = "conserje:rate:") -> None:
        """``client``: a redis.asyncio client."""
        super().__init__(limit, window)
        self.client, self.prefix = client, prefix

    async def hit(self, key: str) -> int:
        """INCR the window's key (EXPIRE set with the first hit); the key is hashed: no phone number in Redis."""
        from redis.exceptions import RedisError

        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        name = f"{self.prefix}{digest}:{self._slot()}"
        try:
            count = await self.client.incr(name)
            if count == 1:
                await self.client.expire(name, int(self.window) + 1)
        except (RedisError, OSError) as exc:
            logger.warning("rate_limit_store_failed error=%s", type(exc).__name__)
            return 0
        return int(count)


def create_rate_limiter(redis_url: str | None, limit: int, prefix: str) -> RateLimiter:
    """Redis when REDIS_URL is set, this process's memory otherwise."""
    if redis_url:
        from redis import asyncio as redis_asyncio

        return RedisRateLimiter(redis_asyncio.from_url(redis_url, socket_timeout=2), limit, prefix=prefix)
    return MemoryRateLimiter(limit)
