"""Session fixture: trains (or reuses) the model and runs the real servers for every conversation test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from scripts.stack import ROOT, Stack, migrate, stack_env
from scripts.train import ensure_model

BASE_NOW = "2026-12-10T10:00:00-03:00"  # a Thursday morning in summer, hotel time


@contextmanager
def running_stack(
    tmp_path_factory: pytest.TempPathFactory, name: str, credentials: Path | None = None, **env: str
) -> Iterator[Stack]:
    """Both servers on a migrated database of their own, clock at BASE_NOW, ``env`` on top of stack_env."""
    workdir = tmp_path_factory.mktemp(name)
    merged = {**stack_env(workdir, BASE_NOW), **env}
    migrate(merged["DATABASE_URL"])
    running = Stack(
        workdir=workdir, env=merged, model=ensure_model(), credentials=credentials or ROOT / "credentials.yml"
    )
    try:
        running.start()
        yield running
    finally:
        running.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Action server + Rasa server with the trained model, clock pinned at BASE_NOW."""
    with running_stack(tmp_path_factory, "stack") as running:
        yield running


@pytest.fixture
def at(stack: Stack) -> Iterator[object]:
    """``at(now)`` moves the action server's clock for one test, and puts it back afterwards."""
    yield stack.start_actions
    stack.start_actions(BASE_NOW)
