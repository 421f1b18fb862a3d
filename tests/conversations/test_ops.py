"""Health, readiness and Prometheus metrics of both processes, after real conversations."""

from __future__ import annotations

import re

import requests

from scripts.stack import Stack


def _metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (0 when absent)."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and all(f'{key}="{value}"' in match.group(1) for key, value in labels.items()):
            return float(match.group(2))
    return 0.0


def _scrape(url: str, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(url, headers=headers, timeout=30)


def test_both_processes_are_alive_and_ready(stack: Stack) -> None:
    assert requests.get(f"{stack.rasa_url}/webhooks/ops/health", timeout=10).json() == {"status": "ok"}
    assert requests.get(f"{stack.action_url}/health", timeout=10).status_code == 200
    rasa_ready = requests.get(f"{stack.rasa_url}/webhooks/ops/ready", timeout=10)
    assert rasa_ready.status_code == 200
    assert rasa_ready.json()["checks"] == {"database": "ok", "model": "ok"}
    actions_ready = requests.get(f"{stack.action_url}/ready", timeout=10)
    assert actions_ready.status_code == 200
    assert actions_ready.json()["checks"] == {"database": "ok", "pms": "ok"}


def test_metrics_need_the_token(stack: Stack) -> None:
    for url in (f"{stack.rasa_url}/webhooks/ops/metrics", f"{stack.action_url}/metrics"):
        assert _scrape(url, None).status_code == 401
        assert _scrape(url, "wrong-token-0123456789").status_code == 401


def test_conversations_show_up_in_the_metrics(stack: Stack) -> None:
    token = stack.env["CONSERJE_METRICS_TOKEN"]
    rasa_url, action_url = f"{stack.rasa_url}/webhooks/ops/metrics", f"{stack.action_url}/metrics"
    before_rasa, before_actions = _scrape(rasa_url, token).text, _scrape(action_url, token).text
    stack.turn("metrics-guest", "hola")
    stack.turn("metrics-guest", "blorf snark quibble zonk")
    stack.turn("metrics-guest", "/ask_hours")
    stack.turn("metrics-guest", "¿hay disponibilidad del 20 al 22 de diciembre para 2 personas?")
    after = _scrape(rasa_url, token)
    assert after.status_code == 200 and after.headers["Content-Type"].startswith("text/plain")
    rasa, actions = after.text, _scrape(action_url, token).text

    def grew(text: str, old: str, name: str, **labels: str) -> float:
        return _metric(text, name, **labels) - _metric(old, name, **labels)

    assert grew(rasa, before_rasa, "conserje_messages_total", direction="in", channel="rest", type="text") == 3
    assert grew(rasa, before_rasa, "conserje_messages_total", direction="in", channel="rest", type="payload") == 1
    assert grew(rasa, before_rasa, "conserje_messages_total", direction="out", channel="rest", type="buttons") >= 1
    assert grew(rasa, before_rasa, "conserje_fallbacks_total", channel="rest") == 1
    assert grew(rasa, before_rasa, "conserje_intent_confidence_count", intent="greet") == 1
    assert grew(actions, before_actions, "conserje_action_seconds_count", action="action_greet", outcome="ok") == 1
    assert grew(actions, before_actions, "conserje_pms_seconds_count", operation="availability", outcome="ok") >= 1
    assert "conserje_pms_breaker_state 0.0" in actions
