"""Post-stay reviews end to end: the real Rasa and action servers, WhatsApp through the Graph API fake, the clock
pinned and moved (the action server is restarted at each hour the scenario needs).

Five guests check out on Saturday 12 December 2026 at 10:30 (hotel time). Their requests fall due 24 h later,
but the first dispatch runs on Monday at 07:30 (quiet hours: nothing goes out); at 09:00 the action server's own
scheduler sends the five templates. Ana rates 5 (links, click, stats, points), Bruno rates 2 (what went wrong?,
his answer stored as negative, a handoff for the manager), Carla never answers (two reminders 72 h apart, then no
more), Diego writes "baja" (confirmed; no reminder). Eva wrote in English during her stay from her Argentine
number, so hers is the English template, and she rates 4 in English.

Delivery: Meta's status webhooks for the templates' wamids (as the fake answered them) are posted to the channel:
Ana's delivered and read (twice: Meta retries), Bruno's read only, Carla's read before delivered, Diego's failed,
Eva's delivered; a failed reminder of Carla's changes nothing. Stats count four delivered, one failed.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from typing import Any

import requests

from scripts.stack import Stack
from tests.conversations import test_whatsapp as whatsapp
from tests.conversations.test_whatsapp import message, post, text, to, webhook
from tests.fakes.graph_api import GraphApiFake, status

graph = whatsapp.graph  # the WhatsApp tests' fixtures: a Graph API fake and a stack on it, this module's own
wa_stack = whatsapp.wa_stack

GUESTS = {  # name → (phone as booked, WhatsApp wa_id, number we send to)
    "Ana Pérez": ("+54 9 11 5555 0001", "5491155550001", "541155550001"),
    "Bruno Díaz": ("+54 9 11 5555 0002", "5491155550002", "541155550002"),
    "Carla Gómez": ("+54 9 11 5555 0003", "5491155550003", "541155550003"),
    "Diego Ruiz": ("+54 9 11 5555 0004", "5491155550004", "541155550004"),
}
EVA = ("Eva Torres", "+54 9 11 5555 0005", "5491155550005", "541155550005")  # name, phone, wa_id, number
CHECK_OUT = "2026-12-12T10:30:00-03:00"
QUIET = {"REVIEW_SCHEDULER_SECONDS": "0"}  # dispatch only when the test asks (the admin route)


def templates(graph: GraphApiFake, number: str) -> list[dict[str, Any]]:
    """Template messages the fake accepted for ``number``."""
    return [body["template"] for body in to(graph, number) if body["type"] == "template"]


def texts(graph: GraphApiFake, number: str) -> str:
    """Every text (plain or interactive body) sent to ``number``, joined."""
    parts = []
    for body in to(graph, number):
        if body["type"] == "text":
            parts.append(body["text"]["body"])
        elif body["type"] == "interactive":
            parts.append(body["interactive"]["body"]["text"])
    return "\n".join(parts)


def responses(stack: Stack, sender: str) -> list[str]:
    """The domain responses used in the conversation, in order (the templates, custom payloads, left out)."""
    events = stack.tracker(sender)["events"]
    named = [e.get("metadata", {}).get("utter_action") for e in events if e["event"] == "bot"]
    return [name for name in named if name]


def unix(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp).timestamp())


def template_ids(graph: GraphApiFake, number: str) -> list[str]:
    """The wamids the fake answered for the templates sent to ``number``, in order."""
    return graph.wamids(number, "template")


def replied(graph: GraphApiFake, stack: Stack, sender: str, *expected: str) -> None:
    """Waits until the conversation's latest responses are ``expected`` (the tracker is saved after the replies go)."""
    graph.wait_until(lambda _fake: responses(stack, sender)[-len(expected) :] == list(expected))


def query(stack: Stack, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Reads the stack's database."""
    with sqlite3.connect(stack.env["DATABASE_URL"].removeprefix("sqlite:///")) as db:
        return list(db.execute(sql, args))


def dispatch(stack: Stack) -> dict[str, int]:
    reply = stack.admin("POST", "/reviews/dispatch")
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_review_cycle(wa_stack: Stack, graph: GraphApiFake) -> None:
    stack = wa_stack
    for language in ("es_AR", "en_US"):  # the hotel's approved template (hotel.yml reviews.template)
        graph.approve_template("review_request", language, body_parameters=1, quick_replies=5)
    codes = {}
    for name, phone in [*((name, phone) for name, (phone, _, _) in GUESTS.items()), EVA[:2]]:
        booking = {"room_type": "double", "check_in": "2026-12-10", "check_out": "2026-12-12", "guests": 2}
        booking.update(guest_name=name, email=f"{name.split()[0].lower()}@example.com", phone=phone)
        reply = stack.admin("POST", "/reservations", json=booking)
        assert reply.status_code == 201, reply.text
        codes[name] = reply.json()["code"]

    stack.start_actions(CHECK_OUT, **QUIET)
    # Eva writes in English during her stay, from her Argentine number.
    _, _, eva, eva_to = EVA
    post(stack, webhook(text(eva, "Hi! What time is breakfast served tomorrow?")))
    graph.wait_until(lambda fake: bool(to(fake, eva_to)))
    assert stack.tracker(eva)["slots"]["guest_language"] == "en"
    graph.reset()
    for code in codes.values():
        reply = stack.admin("POST", f"/reservations/{code}/check-out")
        assert reply.status_code == 200, reply.text
        review = reply.json()["review_request"]
        assert (review["status"], review["segment"]) == ("scheduled", "leisure")
        assert review["due_at"] == "2026-12-13T13:30:00+00:00"  # 24 h later, 10:30 hotel time
    assert stack.admin("POST", "/reservations/NOPE99/check-out").status_code == 404
    assert dispatch(stack)["sent"] == 0  # not due yet

    # Monday 07:30: due since Sunday, but quiet hours.
    stack.start_actions("2026-12-14T07:30:00-03:00", **QUIET)
    assert dispatch(stack) == {"scheduled": 0, "sent": 0, "reminders": 0, "skipped_opted_out": 0, "failed": 0}
    assert graph.sent() == []

    # 09:00: the action server's own scheduler sends the five templates (no admin call).
    stack.start_actions("2026-12-14T09:00:00-03:00", REVIEW_SCHEDULER_SECONDS="1")
    graph.wait_until(lambda fake: sum(body["type"] == "template" for body in fake.sent()) == 5, seconds=60)
    for _, _, number in GUESTS.values():
        (sent,) = templates(graph, number)
        assert (sent["name"], sent["language"]) == ("review_request", {"code": "es_AR"})
        body, *buttons = sent["components"]
        assert body["parameters"][0]["text"] in {"Ana", "Bruno", "Carla", "Diego"}
        assert [b["parameters"][0]["payload"] for b in buttons] == [
            f'/give_rating{{"rating": {n}, "language": "es"}}' for n in range(1, 6)
        ]
    # Eva's in English, the language she wrote in (her number alone said Spanish); the request records it.
    (english,) = templates(graph, eva_to)
    assert english["language"] == {"code": "en_US"}
    assert english["components"][5]["parameters"][0]["payload"] == '/give_rating{"rating": 5, "language": "en"}'
    assert query(stack, "SELECT language FROM review_requests WHERE guest_key = ?", eva_to) == [("en",)]
    stack.start_actions("2026-12-14T09:05:00-03:00", **QUIET)
    assert dispatch(stack)["sent"] == 0  # nothing twice

    # Meta's receipts for the templates, in its webhook format; the channel acknowledges at once.
    ids = {name: template_ids(graph, number)[0] for name, (_, _, number) in GUESTS.items()}
    ids["Eva Torres"] = template_ids(graph, eva_to)[0]
    sent, delivered, seen = (unix(f"2026-12-14T09:0{m}:00-03:00") for m in (0, 1, 7))
    ana_to, bruno_to = GUESTS["Ana Pérez"][2], GUESTS["Bruno Díaz"][2]
    carla_to, diego_to = GUESTS["Carla Gómez"][2], GUESTS["Diego Ruiz"][2]
    failure = (131049, "This message was not delivered to maintain healthy ecosystem engagement.")
    receipts = [
        [status(ids["Ana Pérez"], "sent", ana_to, sent), status(ids["Ana Pérez"], "delivered", ana_to, delivered)],
        [status(ids["Ana Pérez"], "read", ana_to, seen)],
        [status(ids["Ana Pérez"], "delivered", ana_to, delivered)],  # Meta retries
        [status(ids["Bruno Díaz"], "read", bruno_to, seen)],  # read at once: no "delivered" comes
        [status(ids["Carla Gómez"], "read", carla_to, seen)],
        [status(ids["Carla Gómez"], "delivered", carla_to, delivered)],  # out of order
        [
            status(ids["Diego Ruiz"], "sent", diego_to, sent),
            status(ids["Diego Ruiz"], "failed", diego_to, seen, failure),
        ],
        [status(ids["Eva Torres"], "delivered", eva_to, delivered)],
    ]
    for statuses in receipts:
        assert post(stack, webhook(statuses=statuses)).status_code == 200
    graph.wait_until(
        lambda _fake: query(stack, "SELECT COUNT(delivered_at), COUNT(delivery_failed_at) FROM review_requests")
        == [(4, 1)],
        seconds=30,
    )
    assert query(stack, "SELECT delivered_at FROM review_requests WHERE guest_key = ?", carla_to)[0][0].startswith(
        "2026-12-14 12:01"  # the delivery's time (UTC), though its receipt came after the read
    )

    # Ana taps 5 on the template: thanks, the public links (TripAdvisor first for a leisure stay), 50 points.
    _, ana, ana_to = GUESTS["Ana Pérez"]
    tap = message(ana, "button", payload='/give_rating{"rating": 5, "language": "es"}', text="5")
    assert post(stack, webhook(tap)).status_code == 200
    replied(graph, stack, ana, "utter_review_thanks", "utter_review_links", "utter_points_earned")
    assert responses(stack, ana) == ["utter_review_thanks", "utter_review_links", "utter_points_earned"]
    links = re.findall(r"(\w[\w.]*): (http://\S+/r/(\S+))", texts(graph, ana_to))
    assert [platform for platform, _, _ in links] == ["Tripadvisor", "Google", "Booking.com"]
    redirect = requests.get(links[0][1], allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    assert redirect.headers["Location"] == "https://www.tripadvisor.com/Hotel_Review-aurora-palermo-example.html"
    assert requests.get(f"{stack.action_url}/r/not-a-token", allow_redirects=False, timeout=10).status_code == 404

    # Bruno taps 2: sorry, the links all the same, then "what went wrong?"; his answer is stored as negative.
    _, bruno, bruno_to = GUESTS["Bruno Díaz"]
    post(stack, webhook(message(bruno, "button", payload='/give_rating{"rating": 2, "language": "es"}', text="2")))
    low = ("utter_review_sorry", "utter_review_links", "utter_points_earned", "utter_ask_review_feedback")
    replied(graph, stack, bruno, *low)
    assert responses(stack, bruno) == list(low)
    assert "/r/" in texts(graph, bruno_to) and "¿Qué salió mal?" in texts(graph, bruno_to)
    post(stack, webhook(text(bruno, "La habitación estaba sucia y el aire no andaba, mucho ruido")))
    replied(graph, stack, bruno, "utter_review_feedback_thanks")
    assert query(stack, "SELECT rating, sentiment FROM review_requests WHERE guest_key = ?", bruno_to) == [
        (2, "negative")
    ]
    assert query(stack, "SELECT reason, status FROM handoff_requests") == [("low_rating", "open")]

    # Eva taps 4 on her English template: the English thanks and links.
    tap = message(eva, "button", payload='/give_rating{"rating": 4, "language": "en"}', text="4")
    post(stack, webhook(tap))
    replied(graph, stack, eva, "utter_review_thanks", "utter_review_links", "utter_points_earned")
    assert "Thank" in texts(graph, eva_to) and "/r/" in texts(graph, eva_to)

    # Diego opts out.
    _, diego, diego_to = GUESTS["Diego Ruiz"]
    post(stack, webhook(text(diego, "baja")))
    replied(graph, stack, diego, "utter_stop_messages_confirmed")
    assert responses(stack, diego) == ["utter_stop_messages_confirmed"]
    assert "no te vamos a enviar más mensajes" in texts(graph, diego_to)

    # Reminders: only Carla, 72 h apart, at most two.
    for now, expected in [
        ("2026-12-17T09:00:00-03:00", 1),
        ("2026-12-20T09:00:00-03:00", 1),
        ("2026-12-23T10:00:00-03:00", 0),
    ]:
        stack.start_actions(now, **QUIET)
        assert dispatch(stack)["reminders"] == expected
    counts = {name: len(templates(graph, number)) for name, (_, _, number) in GUESTS.items()}
    assert counts == {"Ana Pérez": 1, "Bruno Díaz": 1, "Carla Gómez": 3, "Diego Ruiz": 1}
    assert len(templates(graph, eva_to)) == 1
    # A reminder of Carla's fails: her request was delivered already, so it stays delivered and not failed.
    reminder = template_ids(graph, carla_to)[1]
    post(stack, webhook(statuses=[status(reminder, "failed", carla_to, unix("2026-12-17T09:01:00-03:00"), failure)]))
    graph.wait_until(
        lambda _fake: query(stack, "SELECT status FROM review_request_messages WHERE wamid = ?", reminder)
        == [("failed",)],
        seconds=30,
    )

    stats = stack.admin("GET", "/reviews/stats", params={"from": "2026-12-14", "to": "2026-12-14"}).json()
    assert (stats["sent"], stats["replied"], stats["opt_outs"], stats["reminders"]) == (5, 3, 1, 2)
    assert (stats["delivered"], stats["delivery_failed"]) == (4, 1)
    assert stats["ratings"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert stats["clicks"] == {"google": 0, "tripadvisor": 1, "booking": 0}
    assert stats["by_segment"]["leisure"]["sent"] == 5
    assert (stats["by_segment"]["leisure"]["delivered"], stats["by_segment"]["leisure"]["delivery_failed"]) == (4, 1)
    assert stack.admin("GET", "/reviews/stats", params={"from": "2026-12-15", "to": "2026-12-01"}).status_code == 400
    far = stack.admin("GET", "/reviews/stats", params={"to": "0001-01-01"})  # found by the schemathesis fuzz
    assert far.status_code == 400 and far.json()["error"]["code"] == "invalid_date"

    # 23 December: the awards of 12 and 14 December are out of the week, in the month.
    assert stack.admin("GET", "/gamification/leaderboard", params={"window": "week"}).json()["leaderboard"] == []
    board = stack.admin("GET", "/gamification/leaderboard", params={"window": "month"}).json()["leaderboard"]
    assert board[:2] == [{"rank": 1, "guest": "A*** P.", "points": 150}, {"rank": 2, "guest": "B*** D.", "points": 150}]
    assert "Pérez" not in str(board)
    assert stack.admin("GET", "/gamification/leaderboard", params={"window": "year"}).status_code == 400
    spec = stack.admin("GET", "/openapi.json").json()["paths"]
    assert {"/admin/reviews/dispatch", "/admin/reviews/stats", "/admin/gamification/leaderboard"} <= set(spec)
    assert requests.get(f"{stack.action_url}/admin/reviews/stats", timeout=10).status_code == 401


def test_points_on_whatsapp(wa_stack: Stack, graph: GraphApiFake) -> None:
    """After the cycle above: Ana (150 points: stay 100 + survey 50) asks for her points, then redeems."""
    _, ana, ana_to = GUESTS["Ana Pérez"]
    graph.reset()
    post(wa_stack, webhook(text(ana, "cuántos puntos tengo?")))
    replied(graph, wa_stack, ana, "utter_points_standing")
    assert "150 puntos" in texts(graph, ana_to)
    assert "Bronce" in texts(graph, ana_to) and "100 puntos para Plata" in texts(graph, ana_to)
    post(wa_stack, webhook(text(ana, "quiero canjear mis puntos")))
    replied(graph, wa_stack, ana, "utter_rewards_catalogue")
    (catalogue,) = (body["interactive"] for body in to(graph, ana_to) if body["type"] == "interactive")
    assert [button["reply"]["id"] for button in catalogue["action"]["buttons"]] == [
        '/redeem_points{"reward": "late_checkout_13"}',
        '/redeem_points{"reward": "welcome_drink"}',
    ]
    tap = message(
        ana,
        "interactive",
        type="button_reply",
        button_reply={"id": '/redeem_points{"reward": "welcome_drink"}', "title": "Trago"},
    )
    post(wa_stack, webhook(tap))
    replied(graph, wa_stack, ana, "utter_redeem_drink_done")
    assert "Te quedan 50 puntos" in texts(graph, ana_to)
