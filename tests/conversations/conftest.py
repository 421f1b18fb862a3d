"""Session fixture: trains (or reuses) the model and runs the real servers for every conversation test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.stack import Stack, migrate, stack_env
from scripts.train import ensure_model

BASE_NOW = "2026-12-10T10:00:00-03:00"  # a Thursday morning in summer, hotel time


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Action server + Rasa server with the trained model, clock pinned at BASE_NOW."""
    workdir = tmp_path_factory.mktemp("stack")
    env = stack_env(workdir, BASE_NOW)
    migrate(env["DATABASE_URL"])
    running = Stack(workdir=workdir, env=env, model=ensure_model())
    try:
        running.start()
        yield running
    finally:
        running.close()


@pytest.fixture
def at(stack: Stack) -> Iterator[object]:
    """``at(now)`` moves the action server's clock for one test, and puts it back afterwards."""
    yield stack.start_actions
    stack.start_actions(BASE_NOW)
