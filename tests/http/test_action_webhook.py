"""The action webhook answers only callers with the shared secret (our Rasa server, through endpoints.yml)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import yaml

from actions.server import ACTION_SECRET_HEADER
from scripts.stack import ROOT
from tests.http.conftest import ActionServer

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
