"""Adapters under contract: the local PMS on SQLite and on PostgreSQL, and QloApps (a local fake of its webservice).

Every adapter starts empty for each test: a copy of a migrated SQLite template, a fresh PostgreSQL database
(``postgres_url`` from the integration suite, migrated with the project's Alembic migrations), or a new fake.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from actions.pms.local import LocalPMS
from actions.pms.port import PMS
from actions.pms.qloapps import QloAppsPMS
from actions.profile import load_profile
from actions.profile_models import HotelProfile
from actions.settings import Settings
from actions.store.db import Database
from scripts.stack import migrate
from tests.fakes.qloapps import QloAppsFake
from tests.integration.conftest import postgres_url  # noqa: F401 - re-exported fixture: a fresh PostgreSQL database

API_KEY = "CONTRACTTESTKEY0123456789ABCDEFG"

ADAPTERS = [
    pytest.param("local-sqlite", id="local-sqlite"),
    pytest.param("local-postgres", id="local-postgres", marks=pytest.mark.integration),
    pytest.param("qloapps", id="qloapps"),
]


@pytest.fixture(scope="session")
def profile() -> HotelProfile:
    """The embedded demo hotel: rooms, rates and policies every adapter is seeded from."""
    return load_profile()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once; each test works on its own copy."""
    path = tmp_path_factory.mktemp("contract") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> tuple[str, str | None]:
    """Which adapter, and the database URL of the local ones (migrated, empty)."""
    kind = str(request.param)
    if kind == "local-sqlite":
        copy = tmp_path / "pms.db"
        shutil.copy(sqlite_template, copy)
        return kind, f"sqlite:///{copy}"
    if kind == "local-postgres":
        url = str(request.getfixturevalue("postgres_url"))
        migrate(url)
        return kind, url
    return kind, None


@pytest.fixture
async def fake(profile: HotelProfile) -> AsyncIterator[QloAppsFake]:
    """A running QloApps fake seeded from the profile."""
    server = QloAppsFake(profile, API_KEY)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def pms(adapter: tuple[str, str | None], profile: HotelProfile) -> AsyncIterator[PMS]:
    """The adapter under test, ready (rooms seeded / fake started), closed afterwards."""
    kind, url = adapter
    if url is not None:
        db = Database(Settings(database_url=url))
        local = LocalPMS(db, profile)
        await local.seed_rooms()
        yield local
        await local.close()
        await db.close()
        return
    server = QloAppsFake(profile, API_KEY)
    await server.start()
    remote = QloAppsPMS(server.url, API_KEY, server.hotel_id, profile, timeout=10)
    yield remote
    await remote.close()
    await server.stop()
