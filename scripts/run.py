"""Start the action server and the Rasa server together; Ctrl-C stops both.

Validates the configuration and the hotel profile first, so an invalid profile stops everything with one message
naming the field. Ports: ACTION_PORT (5055) and RASA_PORT (5005). RASA_AUTH_TOKEN, when set, protects Rasa's API.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from actions.errors import ConfigError
from actions.profile import load_profile
from actions.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _wait(url: str, process: subprocess.Popen, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(0.5)
    return False


def _endpoints(action_port: str) -> Path:
    """endpoints.yml, with the action server's URL on ACTION_PORT when that is not the default."""
    source = ROOT / "endpoints.yml"
    if action_port == "5055":
        return source
    target = ROOT / "var" / "endpoints.run.yml"
    target.parent.mkdir(exist_ok=True)
    target.write_text(source.read_text().replace("localhost:5055", f"localhost:{action_port}"))
    return target


def local_action_secret() -> str:
    """This machine's action secret (var/action-secret, created once, owner-only) for `make run` and `make shell`."""
    path = ROOT / "var" / "action-secret"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(model: str) -> int:
    """Runs both servers until Ctrl-C (or SIGTERM) or until one of them exits."""
    # Explicit handlers: a shell may start us with SIGINT ignored (background jobs), and services stop us with SIGTERM.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    # Both servers share the action secret (endpoints.yml sends it): the operator's, or this machine's own.
    os.environ.setdefault("CONSERJE_ACTION_SECRET", local_action_secret())
    try:
        get_settings()
        profile = load_profile()
    except ConfigError as exc:
        print(f"conserje: cannot start: {exc}", file=sys.stderr)
        return 2
    action_port = os.environ.get("ACTION_PORT", "5055")
    rasa_port = os.environ.get("RASA_PORT", "5005")
    rasa_url = os.environ.get("RASA_URL", f"http://localhost:{rasa_port}")  # staff decisions reach guests via Rasa
    actions = subprocess.Popen(
        [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", action_port],
        cwd=ROOT,
        env={**os.environ, "RASA_URL": rasa_url},
    )
    rasa_command = [
        str(BIN / "rasa"),
        "run",
        "--enable-api",
        "--port",
        rasa_port,
        "--model",
        model,
        "--endpoints",
        str(_endpoints(action_port)),
        "--credentials",
        "credentials.whatsapp.yml" if os.environ.get("WHATSAPP_ACCESS_TOKEN") else "credentials.yml",
    ]
    # CORS only for the origins the operator lists (the widget page is served by Rasa itself: same origin).
    origins = os.environ.get("CORS_ORIGINS", "").split()
    if origins:
        rasa_command += ["--cors", *origins]
    if os.environ.get("RASA_AUTH_TOKEN"):
        rasa_command += ["--auth-token", os.environ["RASA_AUTH_TOKEN"]]
    rasa = subprocess.Popen(rasa_command, cwd=ROOT)
    processes = [actions, rasa]
    try:
        if _wait(f"http://localhost:{action_port}/health", actions, 60) and _wait(
            f"http://localhost:{rasa_port}/", rasa, 180
        ):
            print(
                f"\n{profile.hotel.name} assistant is running:\n"
                f"  REST      POST http://localhost:{rasa_port}/webhooks/rest/webhook\n"
                '            with {"sender": "me", "message": "hola"}\n'
                f"  Web chat  socket.io on http://localhost:{rasa_port}\n"
                f"  Actions   http://localhost:{action_port} (photos under /media/photos/)\n"
                "Ctrl-C stops both.\n",
                flush=True,
            )
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return max((process.returncode or 0) for process in processes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
