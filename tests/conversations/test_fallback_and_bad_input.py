"""Fallback ladder, handoff records, and bad input: a polite reply or a 4xx, never a crash."""

from __future__ import annotations

import sqlite3

import pytest
import requests

from scripts.stack import Stack


def _handoffs(stack: Stack, sender: str) -> list[tuple[str, str, str]]:
    path = stack.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT reason, language, status FROM handoff_requests WHERE conversation_id = ?", (sender,)
        ).fetchall()
    return [tuple(row) for row in rows]


def test_rephrase_once_then_offer_a_person_then_record_the_handoff(stack: Stack) -> None:
    sender = "fallback-es"
    stack.turn(sender, "hola")
    first = stack.turn(sender, "blorf snark quibble zonk")
    assert first.intent == "nlu_fallback" and first.responses == ["utter_rephrase"]
    assert "¿Me lo podés decir de otra forma?" in first.text
    second = stack.turn(sender, "zzzq wubba flarp")
    assert second.responses == ["utter_offer_handoff"]
    assert [button["payload"] for button in second.messages[0]["buttons"]] == ["/human_handoff", "/deny"]
    accepted = stack.turn(sender, "sí")
    assert accepted.actions == ["action_handoff"] and accepted.responses == ["utter_handoff_ack"]
    assert "+54 11 4831 2200" in accepted.text
    assert _handoffs(stack, sender) == [("fallback", "es", "open")]


def test_declining_the_person_goes_on(stack: Stack) -> None:
    sender = "fallback-en"
    stack.turn(sender, "hello")
    stack.turn(sender, "blorf snark quibble zonk")
    assert stack.turn(sender, "zzzq wubba flarp").responses == ["utter_offer_handoff"]
    declined = stack.turn(sender, "no thanks")
    assert declined.responses == ["utter_anything_else"] and "anything else" in declined.text
    assert _handoffs(stack, sender) == []


def test_asking_for_a_person_is_recorded_with_the_conversation_id(stack: Stack) -> None:
    turn = stack.turn("handoff-en", "I want to talk to a real person please")
    assert turn.intent == "human_handoff" and turn.responses == ["utter_handoff_ack"]
    assert "request #" in turn.text
    assert _handoffs(stack, "handoff-en") == [("asked", "en", "open")]


def test_staff_see_the_handoff_queue_and_close_a_request(stack: Stack) -> None:
    stack.turn("handoff-staff", "quiero hablar con una persona de recepción")
    listed = stack.admin("GET", "/handoffs")
    assert listed.status_code == 200
    assert listed.headers["X-Content-Type-Options"] == "nosniff" and listed.headers["Cache-Control"] == "no-store"
    (mine,) = (item for item in listed.json()["handoffs"] if item["conversation_id"] == "handoff-staff")
    assert (mine["status"], mine["reason"], mine["language"]) == ("open", "asked", "es")
    assert mine["last_message"] == "quiero hablar con una persona de recepción"

    closed = stack.admin("POST", f"/handoffs/{mine['id']}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["closed_at"]
    again = stack.admin("POST", f"/handoffs/{mine['id']}/close")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_closed"
    assert _handoffs(stack, "handoff-staff") == [("asked", "es", "closed")]
    open_ids = [item["id"] for item in stack.admin("GET", "/handoffs").json()["handoffs"]]
    assert mine["id"] not in open_ids
    closed_ids = [item["id"] for item in stack.admin("GET", "/handoffs?status=closed").json()["handoffs"]]
    assert mine["id"] in closed_ids
    assert stack.admin("POST", "/handoffs/999999/close").status_code == 404
    assert stack.admin("GET", "/handoffs?status=maybe").json()["error"]["code"] == "invalid_status"
    assert stack.admin("POST", "/handoffs/abc/close").status_code == 404


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("😀😀🎉", "es"),
        ("/not_an_intent", "es"),
        ('/ask_hours{"facility": "casino"}', "es"),
        ('/ask_hours{"facility": ', "es"),
        ("hola " + "a" * 10_000, "es"),
        ("hello " + "where is the hotel " * 600, "en"),
    ],
)
def test_odd_messages_get_a_polite_reply(stack: Stack, message: str, language: str) -> None:
    sender = f"odd-{abs(hash(message))}"
    reply = requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
    )
    assert reply.status_code == 200
    bodies = reply.json()
    assert bodies, f"no reply to {message[:40]!r}"
    assert all("Traceback" not in body.get("text", "") for body in bodies)
    assert stack.tracker(sender)["slots"]["language"] == language


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"sender": "x"}',
        b'["a list"]',
        b"",
        b'{"sender": "x", "message": ""}',
        b'{"sender": "x", "message": "   "}',
        b'{"sender": "", "message": "hola"}',
        b'{"sender": "x", "message": 42}',
        b'{"sender": "x", "message": "hola", "metadata": "nope"}',
        b'{"sender": "x", "message": "' + b"a" * 20_001 + b'"}',
    ],
)
def test_malformed_rest_requests_get_a_4xx(stack: Stack, body: bytes) -> None:
    reply = requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert 400 <= reply.status_code < 500, (body[:60], reply.status_code, reply.text[:200])
    assert set(reply.json()["error"]) == {"code", "message"}
