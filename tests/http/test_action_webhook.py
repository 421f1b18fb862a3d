"""The action webhook answers only our Rasa server (shared secret from endpoints.yml); admin tokens are rate limited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from actions.server import ACTION_SECRET_HEADER
from scripts.stack import ROOT
from tests.http.conftest import ActionServer, running_action_server

CALL: dict[str, Any] = {
    "next_action": "action_greet",
    "sender_id": "webhook-guest",
    "tracker": {"sender_id": "webhook-guest", "slots": {"language": "en"}, "latest_message": {}, "events": []},
    "domain": {},
}


@pytest.mark.parametrize("header", [None, "", "not-the-secret"])
def test_a_call_without_the_secret_is_refused_and_runs_nothing(action_server: ActionServer, header: str | None) -> None:
    headers = {} if header is None else {ACTION_SECRET_HEADER: header}
    reply = requests.post(f"{action_server.url}/webhook", json=CALL, headers=headers, timeout=30)
    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == "unauthorized"
    assert "responses" not in reply.json()


def test_our_rasa_server_with_the_secret_runs_the_action(action_server: ActionServer) -> None:
    headers = {ACTION_SECRET_HEADER: action_server.action_secret}
    reply = requests.post(f"{action_server.url}/webhook", json=CALL, headers=headers, timeout=30)
    assert reply.status_code == 200
    assert reply.json()["responses"][0]["response"] == "utter_greet"


def test_endpoints_send_the_secret_from_the_environment() -> None:
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    assert endpoints["action_endpoint"]["headers"] == {ACTION_SECRET_HEADER: "${CONSERJE_ACTION_SECRET}"}


def test_an_admin_token_over_its_rate_limit_gets_429(tmp_path: Path) -> None:
    with running_action_server(tmp_path, admin_rate_limit=5) as server:
        statuses = [server.admin("GET", "/handoffs").status_code for _ in range(7)]
        assert statuses[:5] == [200] * 5
        assert statuses[5:] == [429, 429]
        refused = server.admin("GET", "/handoffs")
        assert refused.json()["error"]["code"] == "rate_limited"
        assert refused.headers["Cache-Control"] == "no-store"
        # A wrong token is refused before it counts: it cannot use up the real token's allowance.
        assert server.admin("GET", "/handoffs", token="wrong-token-0123456789").status_code == 401
