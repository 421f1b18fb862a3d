"""Train the model only when its inputs changed; print the model's path.

The model is named after a fingerprint of everything that shapes it (training data, domain, config, our NLU
components), so `make run`, `make test` and the conversation tests reuse one model until a trainer edits something.
"""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ["config.yml", "data", "domain", "nlu"]
KEEP = 3


def fingerprint() -> str:
    """SHA-256 over the contents and names of every input file."""
    digest = hashlib.sha256()
    for entry in INPUTS:
        path = ROOT / entry
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            if path.is_dir()
            else [path]
        )
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def model_path() -> Path:
    """Where the model for the current inputs lives (it may not exist yet)."""
    return ROOT / "models" / f"conserje-{fingerprint()}.tar.gz"


def ensure_model() -> Path:
    """Trains when no model matches the inputs; returns the model's path.

    A lock file serialises concurrent callers (a test run and `make run`), so one trains and the other reuses.
    """
    (ROOT / "models").mkdir(exist_ok=True)
    with (ROOT / "models" / ".train.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _train_if_missing()


def _train_if_missing() -> Path:
    target = model_path()
    if target.exists():
        return target
    command = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "--data",
        "data",
        "--domain",
        "domain",
        "--config",
        "config.yml",
        "--out",
        "models",
        "--fixed-model-name",
        target.name.removesuffix(".tar.gz"),
    ]
    subprocess.run(command, cwd=ROOT, check=True)
    old = sorted((ROOT / "models").glob("conserje-*.tar.gz"), key=lambda p: p.stat().st_mtime)[:-KEEP]
    for stale in old:
        stale.unlink()
    return target


if __name__ == "__main__":
    print(ensure_model())
