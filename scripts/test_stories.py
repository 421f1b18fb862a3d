"""`make test-stories`: rasa test core on tests/stories with --fail-on-prediction-errors."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile

from scripts.train import ROOT, ensure_model


def main() -> int:
    """Runs the dialogue test stories against the current model; non-zero on any wrong prediction."""
    with tempfile.TemporaryDirectory() as out:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "rasa",
                "test",
                "core",
                "--model",
                str(ensure_model()),
                "--stories",
                "tests/stories",
                "--fail-on-prediction-errors",
                "--out",
                out,
                "--endpoints",
                "endpoints.yml",
            ],
            cwd=ROOT,
            # endpoints.yml names the action secret; `rasa test core` predicts actions without calling them.
            env={"CONSERJE_ACTION_SECRET": secrets.token_urlsafe(32), **os.environ},
        )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
