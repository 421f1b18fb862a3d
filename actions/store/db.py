"""The action server's asyncio database engine: one per process, opened with the app and disposed with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

from actions.errors import StoreError
from actions.settings import Settings


class Database:
    """Async engine plus session factory; errors leave as StoreError so callers never see driver text."""

    def __init__(self, settings: Settings) -> None:
        """Creates the engine lazily-connecting (no I/O until the first query)."""
        url = settings.async_database_url()
        options: dict[str, object] = {"pool_pre_ping": True}
        if url.get_backend_name() == "sqlite":
            options = {"connect_args": {"timeout": 15}}
        self.engine: AsyncEngine = create_async_engine(url, **options)
        self._sessions = sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction, committed on success and rolled back on error.

        Raises:
            IntegrityError: a constraint refused the change (callers use it, e.g. a room-night already taken).
            StoreError: the database failed otherwise.
        """
        try:
            async with self._sessions() as session, session.begin():
                yield session
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {type(exc).__name__}") from exc

    async def close(self) -> None:
        """Releases every pooled connection."""
        await self.engine.dispose()


def utc(stamp: datetime) -> datetime:
    """A stored date-time as an aware one: SQLite keeps no offset, and we store every stamp in UTC."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
