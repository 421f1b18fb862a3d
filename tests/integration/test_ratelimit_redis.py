"""Rate limits on real Redis: processes share the count; keys carry no phone number and expire with the window."""

from __future__ import annotations

import redis

from actions.ratelimit import MemoryRateLimiter, RedisRateLimiter, create_rate_limiter


async def test_two_processes_share_one_count_on_redis(redis_url: str) -> None:
    first = create_rate_limiter(redis_url, limit=3, prefix="test:guest:")
    second = create_rate_limiter(redis_url, limit=3, prefix="test:guest:")
    assert isinstance(first, RedisRateLimiter) and isinstance(second, RedisRateLimiter)
    counts = [await limiter.hit("whatsapp:5491145678901") for limiter in (first, second, first, second)]
    assert counts == [1, 2, 3, 4]
    assert await first.hit("whatsapp:5491100000000") == 1  # another guest has their own count
    keys = [key.decode() for key in redis.Redis.from_url(redis_url).keys("test:guest:*")]
    assert len(keys) == 2 and not any("5491145678901" in key for key in keys)
    assert all(0 < redis.Redis.from_url(redis_url).ttl(key) <= 61 for key in keys)
    await first.client.close()
    await second.client.close()


async def test_redis_down_lets_guests_through() -> None:
    limiter = create_rate_limiter("redis://127.0.0.1:1/0", limit=1, prefix="test:guest:")
    assert [await limiter.hit("rest:guest") for _ in range(3)] == [0, 0, 0]


async def test_memory_limiter_counts_per_key_and_window() -> None:
    limiter = MemoryRateLimiter(limit=2, window=3600)
    assert [await limiter.hit("a") for _ in range(3)] == [1, 2, 3]
    assert await limiter.hit("b") == 1
