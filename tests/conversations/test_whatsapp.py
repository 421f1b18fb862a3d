"""The WhatsApp channel through the real Rasa and action servers, with Meta's Graph API played by a local fake.

The stack here is its own (credentials.whatsapp.yml, with the WHATSAPP_* variables pointing the channel at the fake),
so the session stack of the other conversation tests is untouched. Webhook bodies are built as Meta sends them and
signed with the app secret; replies are read from what the fake received.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.whatsapp.signature import sign
from scripts.stack import ROOT, Stack
from tests.conversations.conftest import running_stack
from tests.conversations.domain_text import unsupported_reply
from tests.fakes.graph_api import GraphApiFake

APP_SECRET = "app-secret-" + "9f2c" * 4
ACCESS_TOKEN = "EAAG-fake-access-token-0123456789"
VERIFY_TOKEN = "verify-token-5b1e77"
PHONE_NUMBER_ID = "106540352242922"
_ids = count(1)
PHOTO = ROOT / "media" / "photos" / "facade.jpg"  # a real JPEG for the media paths


@pytest.fixture(scope="module")
def graph() -> Iterator[GraphApiFake]:
    """Meta's Graph API, served from a thread."""
    fake = GraphApiFake(ACCESS_TOKEN, PHONE_NUMBER_ID)
    fake.start_in_thread()
    yield fake
    fake.stop_thread()


def whatsapp_env(graph: GraphApiFake) -> dict[str, str]:
    """The WhatsApp channel's variables, pointed at the fake; SQL de-duplication (Redis has its own unit test)."""
    return {
        "REDIS_URL": "",
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_API_VERSION": "v19.0",
        "WHATSAPP_API_BASE_URL": graph.url,
    }


@pytest.fixture(scope="module")
def wa_stack(tmp_path_factory: pytest.TempPathFactory, graph: GraphApiFake) -> Iterator[Stack]:
    """Action server + Rasa server with the WhatsApp channel pointed at the fake."""
    with running_stack(
        tmp_path_factory, "wa-stack", ROOT / "credentials.whatsapp.yml", **whatsapp_env(graph)
    ) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(graph: GraphApiFake) -> None:
    graph.reset()


def message(sender: str, kind: str = "text", **content: Any) -> dict[str, Any]:
    """One inbound message as Meta writes it."""
    body: dict[str, Any] = {"from": sender, "id": f"wamid.IN{next(_ids):06d}{time.time_ns()}", "type": kind}
    body["timestamp"] = str(int(time.time()))
    body[kind] = content or {}
    return body


def text(sender: str, words: str) -> dict[str, Any]:
    """A text message."""
    return message(sender, "text", body=words)


def webhook(*messages: dict[str, Any], statuses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A webhook body: one entry, one change, with the senders' contacts."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5491150001234", "phone_number_id": PHONE_NUMBER_ID},
    }
    if messages:
        senders = dict.fromkeys(item["from"] for item in messages)
        value["contacts"] = [{"profile": {"name": f"Guest {s[-4:]}"}, "wa_id": s} for s in senders]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }


def post(stack: Stack, body: bytes | dict[str, Any], signature: str | None = "sign") -> requests.Response:
    """POSTs to the webhook, signed with the app secret unless told otherwise."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers["X-Hub-Signature-256"] = sign(APP_SECRET, raw)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return requests.post(f"{stack.rasa_url}/webhooks/whatsapp/webhook", data=raw, headers=headers, timeout=30)


def to(graph: GraphApiFake, number: str) -> list[dict[str, Any]]:
    """Messages the fake accepted for ``number``."""
    return [body for body in graph.sent() if body["to"] == number]


def test_subscription_check(wa_stack: Stack) -> None:
    url = f"{wa_stack.rasa_url}/webhooks/whatsapp/webhook"
    ok = requests.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    wrong = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"})
    assert wrong.status_code == 403


def test_hola_gets_the_spanish_greeting_with_reply_buttons_and_a_read_receipt(
    wa_stack: Stack, graph: GraphApiFake
) -> None:
    sender = "5215512345001"
    inbound = text(sender, "hola")
    assert post(wa_stack, webhook(inbound)).status_code == 200
    graph.wait_until(lambda fake: bool(to(fake, sender)))
    (reply,) = to(graph, sender)
    assert reply["type"] == "interactive" and reply["interactive"]["type"] == "button"
    assert "¿En qué te ayudo?" in reply["interactive"]["body"]["text"]
    buttons = reply["interactive"]["action"]["buttons"]
    assert [button["reply"]["id"] for button in buttons] == ["/ask_hours", "/ask_location", "/ask_room_photos"]
    assert [button["reply"]["title"] for button in buttons] == ["Horarios", "Cómo llegar", "Habitaciones"]
    graph.wait_until(lambda fake: inbound["id"] in fake.read_receipts())
    tracker = wa_stack.tracker(sender)
    user = [event for event in tracker["events"] if event["event"] == "user"][-1]
    assert user["input_channel"] == "whatsapp" and user["metadata"]["profile_name"] == "Guest 5001"
    assert user["metadata"]["wa_id"] == sender and user["message_id"] == inbound["id"]


def test_eight_options_become_a_list_and_a_tapped_row_sends_its_payload(wa_stack: Stack, graph: GraphApiFake) -> None:
    sender = "5215512345002"
    post(wa_stack, webhook(text(sender, "hola")))
    graph.wait_until(lambda fake: len(to(fake, sender)) == 1)
    tapped = {"id": "/ask_hours", "title": "Horarios"}
    post(wa_stack, webhook(message(sender, "interactive", type="button_reply", button_reply=tapped)))
    graph.wait_until(lambda fake: len(to(fake, sender)) == 2)
    listing = to(graph, sender)[1]["interactive"]
    assert listing["type"] == "list"
    rows = listing["action"]["sections"][0]["rows"]
    assert 4 <= len(rows) <= 10 and all(len(row["title"]) <= 24 for row in rows)
    pool = next(row for row in rows if "pool" in row["id"])
    assert json.loads(pool["id"].removeprefix("/ask_hours")) == {"facility": "pool"}
    reply = {"id": pool["id"], "title": pool["title"]}
    post(wa_stack, webhook(message(sender, "interactive", type="list_reply", list_reply=reply)))
    graph.wait_until(lambda fake: len(to(fake, sender)) >= 3)
    assert wa_stack.tracker(sender)["latest_message"]["entities"][0]["value"] == "pool"


def test_a_retry_storm_gets_one_reply(wa_stack: Stack, graph: GraphApiFake) -> None:
    sender = "5215512345003"
    body = json.dumps(webhook(text(sender, "hola"))).encode()
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: post(wa_stack, body).status_code, range(20)))
    assert statuses == [200] * 20
    graph.wait_until(lambda fake: len(to(fake, sender)) == 1)
    time.sleep(3)  # any duplicate would have been answered by now
    assert len(to(graph, sender)) == 1
    assert len([e for e in wa_stack.tracker(sender)["events"] if e["event"] == "user"]) == 1
    scraped = requests.get(
        f"{wa_stack.rasa_url}/webhooks/ops/metrics",
        headers={"Authorization": f"Bearer {wa_stack.env['CONSERJE_METRICS_TOKEN']}"},
        timeout=30,
    ).text
    assert 'conserje_webhook_duplicates_total{channel="whatsapp"}' in scraped
    duplicates = next(line for line in scraped.splitlines() if line.startswith("conserje_webhook_duplicates_total{"))
    assert float(duplicates.split()[-1]) >= 19


@pytest.mark.parametrize(
    ("body", "signature", "status", "code"),
    [
        (b'{"object": "whatsapp_business_account"}', "sha256=" + "0" * 64, 403, "signature_invalid"),
        (b'{"object": "whatsapp_business_account"}', None, 401, "signature_missing"),
        (b'{"object": "whatsapp_business_account", "entry": [', "sign", 400, "invalid_json"),
        (b'{"pad": "' + b"x" * (3 * 1024 * 1024) + b'"}', "sign", 413, "body_too_large"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_sent(
    wa_stack: Stack, graph: GraphApiFake, body: bytes, signature: str | None, status: int, code: str
) -> None:
    reply = post(wa_stack, body, signature)
    assert reply.status_code == status and reply.json()["error"]["code"] == code
    time.sleep(0.5)
    assert graph.calls == []


def test_a_forged_message_is_not_answered(wa_stack: Stack, graph: GraphApiFake) -> None:
    raw = json.dumps(webhook(text("5215512345004", "hola"))).encode()
    assert post(wa_stack, raw, sign("another-secret", raw)).status_code == 403
    time.sleep(2)
    assert graph.calls == []


def test_a_batch_of_five_senders_gets_five_replies(wa_stack: Stack, graph: GraphApiFake) -> None:
    senders = [f"52155123451{index}" for index in range(5)]
    started = time.monotonic()
    assert post(wa_stack, webhook(*[text(sender, "hola") for sender in senders])).status_code == 200
    assert time.monotonic() - started < 5, "the acknowledgement must not wait for Rasa"
    graph.wait_until(lambda fake: all(len(to(fake, sender)) == 1 for sender in senders))


def test_one_senders_messages_are_answered_in_order(wa_stack: Stack, graph: GraphApiFake) -> None:
    sender = "5215512345020"
    first = text(sender, '/ask_hours{"facility": "pool"}')
    second = text(sender, "/ask_location")
    third = text(sender, "/greet")
    for inbound in (first, second, third):
        assert post(wa_stack, webhook(inbound)).status_code == 200
    graph.wait_until(lambda fake: any(body["type"] == "interactive" for body in to(fake, sender)))
    kinds = [body["type"] for body in to(graph, sender)]
    location_at = kinds.index("location")
    assert kinds[0] == "text" and kinds[-1] == "interactive"  # pool hours first, greeting last
    assert 0 < location_at < len(kinds) - 1


def test_a_status_webhook_is_recorded_and_not_answered(wa_stack: Stack, graph: GraphApiFake) -> None:
    statuses = [
        {"id": "wamid.OUT1", "status": "delivered", "timestamp": "1700000000", "recipient_id": "5215512345030"},
        {
            "id": "wamid.OUT2",
            "status": "failed",
            "timestamp": "1700000001",
            "recipient_id": "5215512345030",
            "errors": [{"code": 131047, "title": "Re-engagement message"}],
        },
    ]
    assert post(wa_stack, webhook(statuses=statuses)).status_code == 200
    time.sleep(2)
    assert graph.calls == []
    receipts = requests.get(f"{wa_stack.rasa_url}/webhooks/whatsapp/", timeout=10).json()["receipts"]
    assert receipts["delivered"] >= 1 and receipts["failed"] >= 1
    assert not [event for event in wa_stack.tracker("5215512345030")["events"] if event["event"] == "user"]


def test_argentine_mobiles_are_answered_without_the_nine(wa_stack: Stack, graph: GraphApiFake) -> None:
    sender = "5491155550123"
    post(wa_stack, webhook(text(sender, "hola")))
    graph.wait_until(lambda fake: bool(to(fake, "541155550123")))
    assert to(graph, sender) == []
    assert wa_stack.tracker(sender)["slots"]["language"] == "es"  # the conversation keeps the wa_id


CONTACT_CARD = [
    {
        "name": {"formatted_name": "Ana Pérez", "first_name": "Ana"},
        "phones": [{"phone": "+54 9 11 5555 0100", "type": "CELL"}],
    }
]
UNKNOWN = {"code": 131051, "title": "Message type unknown", "message": "Message type unknown"}


@pytest.mark.parametrize(
    ("opening", "kind", "content", "language", "expected_kind"),
    [
        ("hello there", "sticker", {"id": "880001", "mime_type": "image/webp", "animated": False}, "en", "sticker"),
        (None, "sticker", {"id": "880002", "mime_type": "image/webp", "animated": True}, "es", "sticker"),
        ("hola, buenas tardes", "reaction", {"message_id": "wamid.OUT00001", "emoji": "\U0001f44d"}, "es", "reaction"),
        ("good morning, I have a question", "contacts", CONTACT_CARD, "en", "contacts"),
        ("buen día, tengo una consulta", "unsupported", {}, "es", "other"),
    ],
    ids=["sticker-en", "sticker-first-message-es", "reaction-es", "contacts-en", "unknown-type-es"],
)
def test_a_message_without_words_gets_a_reply_that_fits_it_in_the_guests_language(
    wa_stack: Stack,
    graph: GraphApiFake,
    opening: str | None,
    kind: str,
    content: Any,
    language: str,
    expected_kind: str,
) -> None:
    sender = f"52155123460{next(_ids) % 100:02d}"
    if opening:
        post(wa_stack, webhook(text(sender, opening)))
        graph.wait_until(lambda fake: len(to(fake, sender)) == 1)
    inbound = message(sender, kind)
    inbound[kind] = content
    if kind == "unsupported":
        inbound["errors"] = [UNKNOWN]
    before = len(to(graph, sender))
    post(wa_stack, webhook(inbound))
    graph.wait_until(lambda fake: len(to(fake, sender)) == before + 1)
    reply = to(graph, sender)[-1]
    assert reply["type"] == "text" and reply["text"]["body"] == unsupported_reply(language, expected_kind)
    tracker = wa_stack.tracker(sender)
    user = [event for event in tracker["events"] if event["event"] == "user"][-1]
    assert user["parse_data"]["intent"]["name"] == "unsupported_message"
    assert user["metadata"]["whatsapp_type"] == kind and tracker["slots"]["language"] == language
    bots = [event["metadata"].get("utter_action") for event in tracker["events"] if event["event"] == "bot"]
    assert bots[-1] == "utter_unsupported_message"


def test_a_removed_reaction_is_not_answered(wa_stack: Stack, graph: GraphApiFake) -> None:
    sender = "5215512345041"
    post(wa_stack, webhook(message(sender, "reaction", message_id="wamid.OUT00002", emoji="")))
    post(wa_stack, webhook(text(sender, "hola")))
    graph.wait_until(lambda fake: len(to(fake, sender)) == 1)
    time.sleep(2)
    assert len(to(graph, sender)) == 1
    assert [event["text"] for event in wa_stack.tracker(sender)["events"] if event["event"] == "user"] == ["hola"]


def test_a_photo_without_caption_is_stored_and_answered(wa_stack: Stack, graph: GraphApiFake) -> None:
    sender = "5215512345042"
    photo = PHOTO.read_bytes()
    graph.add_media("990001", photo, "image/jpeg")
    post(wa_stack, webhook(text(sender, "hello there")))
    graph.wait_until(lambda fake: len(to(fake, sender)) == 1)
    post(wa_stack, webhook(message(sender, "image", id="990001", mime_type="image/jpeg", sha256="x")))
    graph.wait_until(lambda fake: len(to(fake, sender)) == 2)
    assert to(graph, sender)[-1]["text"]["body"] == unsupported_reply("en", "image")
    user = [event for event in wa_stack.tracker(sender)["events"] if event["event"] == "user"][-1]
    media = user["metadata"]["media"]
    assert media["kind"] == "image" and media["mime_type"] == "image/jpeg" and media["size"] == len(photo)
    assert Path(media["path"]).read_bytes() == photo


def test_graph_api_failures_are_retried(wa_stack: Stack, graph: GraphApiFake) -> None:
    sender = "5215512345050"
    graph.fail_next("500")
    graph.fail_next("131056")
    post(wa_stack, webhook(text(sender, "hola")))
    graph.wait_until(lambda fake: len(to(fake, sender)) == 1)


def test_a_guest_writing_from_the_booking_phone_sees_it_without_a_code(wa_stack: Stack, graph: GraphApiFake) -> None:
    booked = wa_stack.admin(
        "POST",
        "/reservations",
        json={
            "room_type": "twin",
            "check_in": "2026-12-18",
            "check_out": "2026-12-20",
            "guests": 2,
            "guest_name": "Rocío Benítez",
            "email": "rocio@example.com",
            "phone": "+54 9 11 5555 0777",
        },
    )
    code = booked.json()["code"]
    sender = "5491155550777"  # the same phone, as WhatsApp writes it
    post(wa_stack, webhook(text(sender, "quiero ver mi reserva")))
    graph.wait_until(lambda fake: any(code in json.dumps(item) for item in to(fake, "541155550777")))
    stranger = "5491155550999"
    post(wa_stack, webhook(text(stranger, "quiero ver mi reserva")))
    graph.wait_until(lambda fake: bool(to(fake, "541155550999")))
    assert all(code not in json.dumps(item) for item in to(graph, "541155550999"))


def test_a_qr_code_is_uploaded_and_sent_by_media_id(wa_stack: Stack, graph: GraphApiFake) -> None:
    import io

    from PIL import Image
    from pyzbar.pyzbar import decode

    booked = wa_stack.admin(
        "POST",
        "/reservations",
        json={
            "room_type": "twin",
            "check_in": "2026-12-10",
            "check_out": "2026-12-12",
            "guests": 2,
            "guest_name": "Inés Paz",
            "email": "ines@example.com",
            "phone": "+54 9 11 5555 0888",
        },
    )
    code = booked.json()["code"]
    post(wa_stack, webhook(text("5491155550888", "mandame el qr de mi reserva")))
    graph.wait_until(lambda fake: any(item.get("type") == "image" for item in to(fake, "541155550888")))
    image = next(item for item in to(graph, "541155550888") if item.get("type") == "image")["image"]
    assert "link" not in image  # uploaded: the QR's URL need not be public
    data, mime_type = graph.uploaded(image["id"])
    assert mime_type == "image/png"
    (found,) = decode(Image.open(io.BytesIO(data)))
    verified = wa_stack.admin("POST", "/qr/verify", json={"token": found.data.decode()})
    assert verified.status_code == 200 and verified.json()["reservation"]["code"] == code
