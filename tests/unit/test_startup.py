"""An invalid hotel profile or setting stops the servers at start-up with a message naming the field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.stack import ROOT, free_port


def _broken_profile(tmp_path: Path) -> Path:
    path = tmp_path / "hotel.yml"
    path.write_text(
        (ROOT / "hotel.yml").read_text(encoding="utf-8").replace('checkin_from: "15:00"', 'checkin_from: "3pm"')
    )
    return path


def _env(**extra: str) -> dict[str, str]:
    secret = "startup-test-action-secret"
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CONSERJE_ACTION_SECRET": secret, **extra}


def test_action_server_refuses_to_start_without_the_action_secret() -> None:
    env = _env()
    del env["CONSERJE_ACTION_SECRET"]
    result = subprocess.run(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "CONSERJE_ACTION_SECRET is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_action_server_refuses_an_invalid_profile(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(free_port())],
        cwd=ROOT,
        env=_env(HOTEL_PROFILE=str(_broken_profile(tmp_path))),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "policies.checkin_from: '3pm' is not an HH:MM time" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HOTEL_PROFILE", "", "policies.checkin_from"),
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL: only sqlite and postgresql are supported"),
        ("CONSERJE_ADMIN_TOKEN", "changeme", "CONSERJE_ADMIN_TOKEN: is a placeholder"),
    ],
)
def test_run_refuses_to_start_both_servers(tmp_path: Path, variable: str, value: str, message: str) -> None:
    env = _env(HOTEL_PROFILE=str(_broken_profile(tmp_path)) if variable == "HOTEL_PROFILE" else "")
    env[variable] = value or env[variable]
    result = subprocess.run(
        [sys.executable, "-m", "scripts.run", "models/none.tar.gz"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
