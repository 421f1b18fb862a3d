"""Shared fixtures: a migrated database and the action server's services, all real (SQLite in tmp_path)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

# skops (loaded by Rasa's LogisticRegressionClassifier) scans every module in sys.modules at import time; imported
# first, before pytest and the test modules have loaded thousands of modules, it costs seconds instead of minutes.
import skops.io  # noqa: F401
import yaml

from actions import services as services_module
from actions.settings import get_settings
from scripts.stack import migrate

ROOT = Path(__file__).resolve().parent.parent


def unavailable(message: str) -> NoReturn:
    """A service or program the test needs is missing: skipped locally, a failure in CI (CI=true)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " - in CI this is a failure")
    pytest.skip(message + " - skipped outside CI")


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings are cached per process; each test reads its own environment."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database shared by the unit tests of this session."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'conserje.db'}"
    migrate(url)
    return url


@pytest.fixture
async def running(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[services_module.Services]:
    """The action server's services, started as its start-up listener does."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://hotel.test")
    started = services_module.start()
    yield started
    await services_module.stop()


@pytest.fixture(scope="session")
def domain_dict() -> dict[str, Any]:
    """The real domain, merged from domain/*.yml."""
    merged: dict[str, Any] = {"responses": {}, "intents": [], "actions": []}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        merged["responses"].update(data.get("responses", {}))
        merged["intents"] += data.get("intents", [])
        merged["actions"] += data.get("actions", [])
    return merged
