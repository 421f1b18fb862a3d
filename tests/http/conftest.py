"""The real action server (subprocess, migrated SQLite, admin token set) for HTTP tests of its routes."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from scripts.stack import ROOT, free_port, migrate, stack_env, stop, wait_for


@dataclass
class ActionServer:
    """Base URL and admin token of a running action server."""

    url: str
    token: str
    action_secret: str

    def admin(self, method: str, path: str, token: str | None = None, **kwargs: object) -> requests.Response:
        """Calls /admin{path} with the bearer token (or ``token``)."""
        headers = {"Authorization": f"Bearer {token if token is not None else self.token}"}
        return requests.request(method, f"{self.url}/admin{path}", headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


@contextmanager
def running_action_server(workdir: Path, admin_rate_limit: int = 100_000) -> Iterator[ActionServer]:
    """An action server on its own migrated SQLite database, admin token set, clock pinned (Thu 2026-12-10 10:00)."""
    env = stack_env(workdir, "2026-12-10T10:00:00-03:00")
    env["CONSERJE_ADMIN_TOKEN"] = secrets.token_urlsafe(24)
    env["ADMIN_RATE_LIMIT_PER_MINUTE"] = str(admin_rate_limit)
    migrate(env["DATABASE_URL"])
    port = free_port()
    log = (workdir / "actions.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/health", process, 90)
        yield ActionServer(f"http://127.0.0.1:{port}", env["CONSERJE_ADMIN_TOKEN"], env["CONSERJE_ACTION_SECRET"])
    finally:
        stop(process)


@pytest.fixture(scope="session")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    """The action server shared by the HTTP tests."""
    with running_action_server(tmp_path_factory.mktemp("actions")) as running:
        yield running
