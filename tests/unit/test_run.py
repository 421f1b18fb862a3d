"""`make run`'s launcher stops both servers on Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests

from scripts.stack import ROOT, free_port, wait_for
from scripts.train import ensure_model


def test_sigterm_stops_both_servers(tmp_path: object) -> None:
    action_port, rasa_port = free_port(), free_port()
    env = {
        **os.environ,
        "ACTION_PORT": str(action_port),
        "RASA_PORT": str(rasa_port),
        "DATABASE_URL": f"sqlite:///{tmp_path}/run.db",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True)
    launcher = subprocess.Popen(
        [sys.executable, "-m", "scripts.run", str(ensure_model())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        wait_for(f"http://127.0.0.1:{rasa_port}/status", launcher, 240, check=lambda body: bool(body.get("model_file")))
        reply = requests.post(
            f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook", json={"sender": "run", "message": "hola"}, timeout=30
        )
        assert "Hotel Aurora Palermo" in reply.json()[0]["text"]
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=60) is not None
        time.sleep(1)
        for port in (action_port, rasa_port):
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=2)
                raise AssertionError(f"port {port} still answers")
            except requests.ConnectionError:
                pass
    finally:
        if launcher.poll() is None:
            launcher.kill()
