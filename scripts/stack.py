"""The real stack (action server + Rasa server as subprocesses, talked to over HTTP) for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def migrate(database_url: str) -> None:
    """Applies the Alembic migrations to ``database_url`` exactly as `make migrate` does."""
    env = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen, seconds: float, check: Any = None) -> None:
    """Polls ``url`` until it answers 200 (and ``check(json)`` holds); fails if the process dies first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            reply = requests.get(url, timeout=2)
            if reply.status_code == 200 and (check is None or check(reply.json())):
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up within {seconds}s")


def stop(process: subprocess.Popen | None) -> None:
    """Stops a server like Ctrl-C would, then harder."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Stack:
    """Both servers with their environment; ``restart_actions(now)`` moves the action server's clock."""

    workdir: Path
    env: dict[str, str]
    model: Path
    credentials: Path = ROOT / "credentials.yml"
    action_port: int = field(default_factory=free_port)
    rasa_port: int = field(default_factory=free_port)
    actions: subprocess.Popen | None = None
    rasa: subprocess.Popen | None = None

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server."""
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        """Base URL of the action server."""
        return f"http://127.0.0.1:{self.action_port}"

    def start(self) -> None:
        """Starts the action server, then the Rasa server with the trained model, and waits for both."""
        self.env["PUBLIC_BASE_URL"] = self.action_url
        self.env["RASA_URL"] = self.rasa_url  # the action server tells guests staff decisions through Rasa
        endpoints = self.workdir / "endpoints.yml"
        endpoints.write_text(
            (ROOT / "endpoints.yml").read_text().replace("localhost:5055", f"127.0.0.1:{self.action_port}")
        )
        self.start_actions(self.env["CONSERJE_NOW"])
        log = (self.workdir / "rasa.log").open("ab")
        self.rasa = subprocess.Popen(
            [
                str(BIN / "rasa"),
                "run",
                "--enable-api",
                "--port",
                str(self.rasa_port),
                "--model",
                str(self.model),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(self.credentials),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(f"{self.rasa_url}/status", self.rasa, 240, check=lambda body: bool(body.get("model_file")))

    def start_actions(self, now: str, **extra_env: str) -> None:
        """(Re)starts the action server with its clock pinned at ``now`` (and extra environment, e.g. PMS_TYPE)."""
        stop(self.actions)
        env = {**self.env, "CONSERJE_NOW": now, **extra_env}
        log = (self.workdir / "actions.log").open("ab")
        self.actions = subprocess.Popen(
            [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(self.action_port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(f"{self.action_url}/health", self.actions, 60)

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Calls the action server's admin API with the stack's token."""
        headers = {"Authorization": f"Bearer {self.env['CONSERJE_ADMIN_TOKEN']}"}
        return requests.request(method, f"{self.action_url}/admin{path}", headers=headers, timeout=30, **kwargs)

    def close(self) -> None:
        """Stops both servers."""
        stop(self.rasa)
        stop(self.actions)

    def send(self, sender: str, message: str) -> list[dict[str, Any]]:
        """One guest message over REST; returns the bot messages."""
        reply = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=30
        )
        reply.raise_for_status()
        return list(reply.json())

    def tracker(self, sender: str) -> dict[str, Any]:
        """The conversation's tracker from Rasa's HTTP API."""
        reply = requests.get(f"{self.rasa_url}/conversations/{quote(sender, safe='')}/tracker", timeout=30)
        reply.raise_for_status()
        return dict(reply.json())

    def turn(self, sender: str, message: str) -> Turn:
        """Sends a message and collects what came back: messages, the responses used and the user's parse."""
        before = len(self.tracker(sender).get("events", []))
        messages = self.send(sender, message)
        tracker = self.tracker(sender)
        new = tracker["events"][before:]
        users = [event for event in new if event["event"] == "user"]
        return Turn(
            messages=messages,
            responses=[event.get("metadata", {}).get("utter_action") for event in new if event["event"] == "bot"],
            actions=[event["name"] for event in new if event["event"] == "action" and event["name"] != "action_listen"],
            parse=users[-1]["parse_data"] if users else {},
            slots=tracker["slots"],
        )


@dataclass
class Turn:
    """What one guest message produced."""

    messages: list[dict[str, Any]]
    responses: list[str | None]
    actions: list[str]
    parse: dict[str, Any]
    slots: dict[str, Any]

    @property
    def text(self) -> str:
        """All bot texts of the turn, joined."""
        return "\n".join(message.get("text", "") for message in self.messages)

    @property
    def intent(self) -> str:
        """The intent Rasa recognised."""
        return str(self.parse.get("intent", {}).get("name"))

    def entity(self, name: str, role: str | None = None) -> Any:
        """The value of the first entity ``name`` (with ``role`` when given)."""
        for entity in self.parse.get("entities", []):
            if entity["entity"] == name and (role is None or entity.get("role") == role):
                return entity["value"]
        return None


def stack_env(workdir: Path, now: str) -> dict[str, str]:
    """The environment both servers get: their own SQLite database, a pinned clock, a server clock in UTC."""
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'conserje.db'}",
        "CONSERJE_NOW": now,
        "TZ": "UTC",  # the hotel's hours must never depend on the server's time zone
        "CONSERJE_ADMIN_TOKEN": "stack-admin-token-" + os.urandom(8).hex(),
        "CONSERJE_ACTION_SECRET": "stack-action-secret-" + os.urandom(8).hex(),
        "CONSERJE_METRICS_TOKEN": "stack-metrics-token-" + os.urandom(8).hex(),
        # Tests and benchmarks send far faster than a guest; tests/conversations/test_rate_limit.py lowers it.
        "GUEST_RATE_LIMIT_PER_MINUTE": "100000",
        "ADMIN_RATE_LIMIT_PER_MINUTE": "100000",
        "CONSERJE_QR_SECRET": "stack-qr-secret-" + os.urandom(16).hex(),
        "QR_DIR": str(workdir / "qr"),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
