"""Real PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379). In CI (CI=true) a missing service fails."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
import redis

from tests.conftest import unavailable

PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _unavailable(service: str, error: Exception) -> None:
    unavailable(f"{service} is not reachable ({type(error).__name__}); start it (see README)")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"conserje_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg2.connect(PG_ADMIN, connect_timeout=3)
    except psycopg2.OperationalError as error:
        _unavailable("PostgreSQL", error)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Redis database 15, emptied before and after the test."""
    client = redis.Redis.from_url(REDIS, socket_timeout=3)
    try:
        client.flushdb()
    except redis.RedisError as error:
        _unavailable("Redis", error)
    yield REDIS
    client.flushdb()
