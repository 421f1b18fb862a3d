"""Schemathesis fuzzes the admin API from its own /admin/openapi.json: no 5xx, every response as documented.

Schemathesis cannot share Rasa's virtualenv (it needs jsonschema >= 4.18 or anyio < 4), so `make install` gives it
its own, pinned by requirements-fuzz.lock (.venv-fuzz). It talks to a real action server over HTTP, on a database
of its own, since the fuzzer books, checks out and verifies at random.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from scripts.stack import ROOT
from tests.conftest import unavailable
from tests.http.conftest import running_action_server

SCHEMATHESIS = ROOT / ".venv-fuzz" / "bin" / "st"


def test_fuzzing_the_admin_api_finds_no_server_error_and_no_undocumented_response(tmp_path: Path) -> None:
    if not SCHEMATHESIS.exists():
        unavailable(f"{SCHEMATHESIS} is missing: run `make install`")
    with running_action_server(tmp_path) as server:
        result = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{server.url}/admin/openapi.json",
                "--header",
                f"Authorization: Bearer {server.token}",
                "--base-url",
                server.url,
                "--checks",
                "all",
                "--hypothesis-max-examples",
                "40",
                "--hypothesis-seed",
                "20261130",
                "--hypothesis-suppress-health-check",
                "all",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "not_a_server_error" in result.stdout and "FAILED" not in result.stdout
