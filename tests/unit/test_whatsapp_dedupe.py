"""Seen message ids: exactly one ``first_time`` per id, under concurrency, on real SQLite and real Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from actions import clock
from actions.settings import get_settings
from connectors.whatsapp.dedupe import (
    RedisSeenMessages,
    SeenMessages,
    SqlSeenMessages,
    create_seen_messages,
    seen_messages,
)
from tests.conftest import unavailable

REDIS_URL = os.environ.get("CONSERJE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def sql_store(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SqlSeenMessages]:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    store = create_seen_messages(get_settings())
    assert isinstance(store, SqlSeenMessages)
    yield store
    await store.close()


@pytest.fixture
async def redis_store(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RedisSeenMessages]:
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    store = create_seen_messages(get_settings())
    assert isinstance(store, RedisSeenMessages)
    store.prefix = f"test:{uuid.uuid4().hex}:"
    try:
        await store.client.ping()
    except Exception as exc:  # the suite's integration Redis; say so instead of failing obscurely
        unavailable(f"Redis at {REDIS_URL} is not reachable: {type(exc).__name__}")
    yield store
    keys = [key async for key in store.client.scan_iter(match=store.prefix + "*")]
    if keys:
        await store.client.delete(*keys)
    await store.close()


async def _storm(store: SeenMessages, message_id: str, times: int = 20) -> list[bool]:
    return list(await asyncio.gather(*(store.first_time(message_id) for _ in range(times))))


async def test_sql_store_answers_true_once(sql_store: SqlSeenMessages) -> None:
    message_id = f"wamid.{uuid.uuid4().hex}"
    assert await sql_store.first_time(message_id) is True
    assert await sql_store.first_time(message_id) is False
    results = await _storm(sql_store, f"wamid.{uuid.uuid4().hex}")
    assert results.count(True) == 1


async def test_sql_store_survives_a_new_instance_and_prunes_old_ids(
    sql_store: SqlSeenMessages, monkeypatch: pytest.MonkeyPatch
) -> None:
    message_id = f"wamid.{uuid.uuid4().hex}"
    assert await sql_store.first_time(message_id)
    other = SqlSeenMessages(get_settings())
    try:
        assert await other.first_time(message_id) is False  # persisted, not in memory
    finally:
        await other.close()
    later = (clock.now() + timedelta(days=9)).isoformat()
    monkeypatch.setenv("CONSERJE_NOW", later)
    assert await sql_store.prune() >= 1
    with sql_store.engine.connect() as connection:
        left = connection.scalar(
            sa.select(sa.func.count()).select_from(seen_messages).where(seen_messages.c.message_id == message_id)
        )
    assert left == 0


async def test_redis_store_answers_true_once_with_an_eight_day_ttl(redis_store: RedisSeenMessages) -> None:
    message_id = f"wamid.{uuid.uuid4().hex}"
    assert await redis_store.first_time(message_id) is True
    assert await redis_store.first_time(message_id) is False
    ttl = await redis_store.client.ttl(redis_store.prefix + message_id)
    assert 8 * 86400 - 60 < ttl <= 8 * 86400
    assert (await _storm(redis_store, f"wamid.{uuid.uuid4().hex}")).count(True) == 1
