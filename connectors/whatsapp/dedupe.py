"""Seen message ids, so Meta's retries (and retry storms) produce one reply per guest message.

    SeenMessages            port: ``first_time(message_id)`` is True exactly once per id
    ├── SqlSeenMessages     table whatsapp_seen_messages (migration 0003) on DATABASE_URL; used without REDIS_URL
    └── RedisSeenMessages   ``SET conserje:wa:seen:<id> 1 NX EX 8 days`` on REDIS_URL

Both are atomic across processes (primary key / SET NX), so several Rasa servers behind one webhook still answer
once. Meta retries a webhook for up to 7 days, hence the 8-day memory.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from actions import clock
from actions.errors import StoreError
from actions.settings import Settings
from connectors.stores import open_engine

logger = logging.getLogger(__name__)
RETENTION = timedelta(days=8)
PRUNE_EVERY = 500  # inserts between two clean-ups of expired rows

metadata = sa.MetaData()
seen_messages = sa.Table(
    "whatsapp_seen_messages",
    metadata,
    sa.Column("message_id", sa.String(255), primary_key=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
)


class SeenMessages(ABC):
    """Port: remembers message ids."""

    @abstractmethod
    async def first_time(self, message_id: str) -> bool:
        """Records ``message_id``; True if it was not seen before (the caller handles it), False for a repeat.

        Raises:
            StoreError: the store failed; the caller decides (conserje handles the message rather than lose it).
        """

    @abstractmethod
    async def close(self) -> None:
        """Releases connections."""


class SqlSeenMessages(SeenMessages):
    """Seen ids in our own database; the primary key makes the insert the atomic test.

    Synchronous statements in a worker thread, each a whole transaction: in the Rasa process the SQL tracker store
    writes the same SQLite file from the event loop, and a transaction spanning awaits (aiosqlite) would deadlock
    with it until SQLite gave up with "database is locked".
    """

    def __init__(self, settings: Settings) -> None:
        """Connects lazily to DATABASE_URL."""
        self.engine = open_engine(settings.sync_database_url())
        self._inserts = 0

    def _insert(self, message_id: str) -> bool:
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.insert(seen_messages).values(message_id=message_id, received_at=clock.now()))
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {type(exc).__name__}") from exc
        return True

    async def first_time(self, message_id: str) -> bool:
        """Inserts the id; a primary-key conflict means it was seen."""
        if not await asyncio.to_thread(self._insert, message_id):
            return False
        self._inserts += 1
        if self._inserts % PRUNE_EVERY == 1:
            await self.prune()
        return True

    def _delete_expired(self) -> int:
        try:
            with self.engine.begin() as connection:
                result = connection.execute(
                    sa.delete(seen_messages).where(seen_messages.c.received_at < clock.now() - RETENTION)
                )
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {type(exc).__name__}") from exc
        return int(result.rowcount or 0)

    async def prune(self) -> int:
        """Deletes ids older than the retention; returns how many."""
        return await asyncio.to_thread(self._delete_expired)

    async def close(self) -> None:
        """Releases pooled connections."""
        self.engine.dispose()


class RedisSeenMessages(SeenMessages):
    """Seen ids as Redis keys that expire by themselves."""

    def __init__(self, redis_url: str, prefix: str = "conserje:wa:seen:") -> None:
        """Creates the client (no connection until the first command)."""
        from redis import asyncio as redis_asyncio  # imported here: Redis is optional for the SQL set-up

        self.client: Any = redis_asyncio.from_url(redis_url)
        self.prefix = prefix

    async def first_time(self, message_id: str) -> bool:
        """SET NX: only the first writer of the key gets True."""
        from redis.exceptions import RedisError

        try:
            created = await self.client.set(self.prefix + message_id, b"1", nx=True, ex=int(RETENTION.total_seconds()))
        except RedisError as exc:
            raise StoreError(f"redis error: {type(exc).__name__}") from exc
        return bool(created)

    async def close(self) -> None:
        """Closes the connection pool."""
        await self.client.close()
        await self.client.connection_pool.disconnect()


def create_seen_messages(settings: Settings) -> SeenMessages:
    """Redis when REDIS_URL is set, our SQL database otherwise."""
    if settings.redis_url:
        return RedisSeenMessages(settings.redis_url)
    return SqlSeenMessages(settings)
