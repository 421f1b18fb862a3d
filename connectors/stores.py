"""Rasa-server stores configured from the same environment as the action server (actions/settings.py).

endpoints.yml names these classes, so `rasa run`, `rasa shell` and `rasa interactive` all use the same database
and locks without extra flags: DATABASE_URL (SQLite under var/ by default, or PostgreSQL) and REDIS_URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from actions import logs
from actions.settings import get_settings
from connectors import speedups
from connectors.tracker_cache import TrackerCache


class DatabaseUrlTrackerStore(TrackerCache):
    """Rasa's SQL tracker store on DATABASE_URL (conversations survive a restart), with current trackers kept."""

    engine: Engine

    def __init__(self, domain: Domain | None = None, host: str | None = None, **kwargs: Any) -> None:
        """Connects Rasa's SQLTrackerStore to the configured database (``host`` from endpoints.yml is unused)."""
        speedups.install()
        logs.install()
        url = get_settings().sync_database_url()
        if url.get_backend_name() == "sqlite":
            Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
            super().__init__(domain=domain, dialect="sqlite", db=url.database, **kwargs)
            self.engine.dispose()
            self.engine = open_engine(url)
            self.sessionmaker = sessionmaker(bind=self.engine)
            return
        super().__init__(
            domain=domain,
            dialect="postgresql",
            host=url.host,
            port=url.port,
            db=url.database,
            username=url.username,
            password=url.password,
            **kwargs,
        )


def open_engine(url: URL) -> Engine:
    """A synchronous engine on ``url`` for the Rasa process, with pooled connections.

    SQLAlchemy 1.4 opens a new SQLite connection for every session of a file database (NullPool): connect, pragmas
    and close were ~12 % of the process under load, so a few connections stay open instead. WAL lets the action
    server write while Rasa reads, and makes each commit far cheaper.
    """
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False, "timeout": 15})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class RedisUrlLockStore(LockStore):
    """RedisLockStore when REDIS_URL is set, the in-memory lock store otherwise."""

    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        """Picks the backend from REDIS_URL (redis://[user:password@]host[:port][/db])."""
        redis_url = get_settings().redis_url
        self.backend: LockStore
        if redis_url:
            url = make_url(redis_url)
            self.backend = RedisLockStore(
                host=url.host or "localhost",
                port=url.port or 6379,
                db=int(url.database or 1),
                username=url.username,
                password=url.password,
                use_ssl=url.drivername == "rediss",
                key_prefix="conserje",
            )
        else:
            self.backend = InMemoryLockStore()

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """Delegates to the backend."""
        return self.backend.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        """Delegates to the backend."""
        self.backend.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        """Delegates to the backend."""
        self.backend.save_lock(lock)
