"""Webhook parsing, number normalisation, and the mapping of bot messages to WhatsApp messages (pure functions)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.media import unsupported_payload
from connectors.whatsapp.inbound import parse
from connectors.whatsapp.output import interactive_messages, location_message, recipient, split_text

PHONE_ID = "106540352242922"


def body(*messages: dict[str, Any], statuses: list[dict[str, Any]] | None = None, phone_id: str = PHONE_ID) -> Any:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_id},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": "5491155550123"}],
        "messages": list(messages),
    }
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


def msg(kind: str, content: Any, sender: str = "5491155550123", ident: str = "wamid.A", ts: str = "1700000000") -> dict:
    return {"from": sender, "id": ident, "timestamp": ts, "type": kind, kind: content}


@pytest.mark.parametrize(
    ("message", "text", "extra"),
    [
        (msg("text", {"body": "hola"}), "hola", {}),
        (
            msg("interactive", {"type": "button_reply", "button_reply": {"id": "/ask_hours", "title": "Horarios"}}),
            "/ask_hours",
            {"reply_title": "Horarios"},
        ),
        (
            msg(
                "interactive",
                {"type": "list_reply", "list_reply": {"id": '/ask_hours{"facility": "pool"}', "title": "Piscina"}},
            ),
            '/ask_hours{"facility": "pool"}',
            {"reply_title": "Piscina"},
        ),
        (msg("button", {"payload": "/stop_messages", "text": "Stop"}), "/stop_messages", {}),
        (
            msg("location", {"latitude": -34.58, "longitude": -58.42, "name": "Plaza Serrano"}),
            "Plaza Serrano",
            {"location": {"latitude": -34.58, "longitude": -58.42, "name": "Plaza Serrano"}},
        ),
        (
            msg("location", {"latitude": -34.5, "longitude": -58.4}),
            "-34.5, -58.4",
            {"location": {"latitude": -34.5, "longitude": -58.4}},
        ),
        (
            msg("image", {"id": "m1", "mime_type": "image/jpeg", "caption": "mi reserva"}),
            "mi reserva",
            {"media": {"kind": "image", "id": "m1", "mime_type": "image/jpeg"}},
        ),
        (
            msg("audio", {"id": "m2", "mime_type": "audio/ogg", "voice": True}),
            None,
            {"media": {"kind": "audio", "id": "m2", "mime_type": "audio/ogg", "voice": True}},
        ),
        (msg("sticker", {"id": "m3", "mime_type": "image/webp"}), None, {}),
        (
            msg("reaction", {"message_id": "wamid.X", "emoji": "👍"}),
            None,
            {"reaction": {"emoji": "👍", "message_id": "wamid.X"}},
        ),
        (msg("contacts", [{"name": {"formatted_name": "Bob"}}]), None, {}),
        (msg("unsupported", {}), None, {}),
    ],
)
def test_each_message_type(message: dict[str, Any], text: str | None, extra: dict[str, Any]) -> None:
    (item,), receipts = parse(body(message), PHONE_ID)
    assert receipts == []
    assert item.text == text and item.sender == "5491155550123" and item.message_id == "wamid.A"
    assert item.metadata["profile_name"] == "Ana" and item.metadata["wa_id"] == "5491155550123"
    assert item.metadata["whatsapp_type"] == message["type"]
    for key, value in extra.items():
        assert item.metadata[key] == value
    assert item.media_id == (message[message["type"]]["id"] if message["type"] in ("image", "audio") else None)


def test_a_batch_keeps_every_message_and_orders_each_sender_by_time() -> None:
    payload = body(
        msg("text", {"body": "b2"}, sender="2", ident="4", ts="20"),
        msg("text", {"body": "a2"}, sender="1", ident="2", ts="11"),
        msg("text", {"body": "a1"}, sender="1", ident="1", ts="10"),
        msg("text", {"body": "b1"}, sender="2", ident="3", ts="15"),
    )
    payload["entry"].append(
        {
            "id": "2",
            "changes": [
                {
                    "field": "messages",
                    "value": body(msg("text", {"body": "c"}, sender="3", ident="5"))["entry"][0]["changes"][0]["value"],
                }
            ],
        }
    )
    messages, _ = parse(payload, PHONE_ID)
    assert [(item.sender, item.text) for item in messages] == [
        ("2", "b1"),
        ("2", "b2"),
        ("1", "a1"),
        ("1", "a2"),
        ("3", "c"),
    ]


def test_statuses_are_receipts_not_messages() -> None:
    statuses = [
        {"id": "wamid.O1", "status": "delivered", "recipient_id": "5491155550123"},
        {
            "id": "wamid.O2",
            "status": "failed",
            "timestamp": "1765717260",
            "recipient_id": "5491155550123",
            "errors": [{"code": 131026, "title": "Undeliverable"}],
        },
    ]
    messages, receipts = parse(body(statuses=statuses), PHONE_ID)
    assert messages == []
    assert [(r.message_id, r.status, r.error_codes, r.timestamp) for r in receipts] == [
        ("wamid.O1", "delivered", [], None),
        ("wamid.O2", "failed", [131026], 1765717260),
    ]


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account", "entry": [{"changes": [None, {"value": 3}]}]},
        body({"type": "text"}),
    ],
)
def test_odd_bodies_yield_nothing(payload: Any) -> None:
    assert parse(payload, PHONE_ID) == ([], [])


def test_changes_for_another_phone_number_are_ignored() -> None:
    assert parse(body(msg("text", {"body": "hola"}), phone_id="999"), PHONE_ID) == ([], [])


@pytest.mark.parametrize(
    ("wa_id", "to"),
    [
        ("5491155550123", "541155550123"),
        ("5493515550123", "543515550123"),
        ("541155550123", "541155550123"),
        ("+5491155550123", "541155550123"),
        ("5215512345678", "5215512345678"),
        ("34612345678", "34612345678"),
        ("549115555012", "549115555012"),
    ],
)
def test_argentine_mobiles_lose_the_nine(wa_id: str, to: str) -> None:
    assert recipient(wa_id) == to


def test_long_text_is_split_at_words_within_the_limit() -> None:
    text = ("palabra " * 1200).strip()
    parts = split_text(text)
    assert len(parts) == 3 and all(len(part) <= 4096 for part in parts)
    assert " ".join(parts) == text
    assert split_text("x" * 5000) == ["x" * 4096, "x" * 904]
    assert split_text("corto") == ["corto"]


def buttons(count: int, title: str = "Opción {}") -> list[dict[str, str]]:
    return [{"title": title.format(i), "payload": f'/ask_hours{{"facility": "f{i}"}}'} for i in range(1, count + 1)]


def test_up_to_three_buttons_are_reply_buttons_with_titles_of_twenty() -> None:
    messages, menu = interactive_messages("¿Qué querés?", buttons(3, "Una opción bastante larga {}"))
    assert menu == []
    (message,) = messages
    interactive = message["interactive"]
    assert interactive["type"] == "button" and interactive["body"] == {"text": "¿Qué querés?"}
    replies = [button["reply"] for button in interactive["action"]["buttons"]]
    assert [reply["id"] for reply in replies] == [b["payload"] for b in buttons(3)]
    assert all(len(reply["title"]) <= 20 and reply["title"].endswith("…") for reply in replies)


@pytest.mark.parametrize("count", [4, 7, 10])
def test_four_to_ten_options_are_a_list(count: int) -> None:
    (message,), menu = interactive_messages("Elegí", buttons(count, "Habitación superior con vista {}"))
    assert menu == []
    listing = message["interactive"]
    assert listing["type"] == "list" and 0 < len(listing["action"]["button"]) <= 20
    rows = listing["action"]["sections"][0]["rows"]
    assert len(rows) == count
    assert all(len(row["title"]) <= 24 and row["description"].startswith("Habitación superior") for row in rows)


def test_more_options_or_long_payloads_become_a_numbered_menu() -> None:
    messages, menu = interactive_messages("Elegí", buttons(11))
    assert [m["type"] for m in messages] == ["text"] and menu == [b["payload"] for b in buttons(11)]
    assert "\n1. Opción 1\n" in messages[0]["text"]["body"] and messages[0]["text"]["body"].endswith("11. Opción 11")
    long = [{"title": "A", "payload": "/inform" + "x" * 300}]
    messages, menu = interactive_messages("Elegí", long)
    assert messages[0]["type"] == "text" and menu == [long[0]["payload"]]


def test_long_text_before_buttons_is_sent_first() -> None:
    text = ("frase larga " * 150).strip()
    messages, _ = interactive_messages(text, buttons(2))
    assert [m["type"] for m in messages] == ["text", "interactive"]
    assert len(messages[1]["interactive"]["body"]["text"]) <= 1024


def test_location_pins() -> None:
    pin = location_message(
        {"type": "location", "latitude": "-34.58", "longitude": "-58.42", "name": "Hotel", "address": ""}
    )
    assert pin == {"type": "location", "location": {"latitude": -34.58, "longitude": -58.42, "name": "Hotel"}}
    assert location_message({"type": "location", "latitude": "north"}) is None


def test_a_number_answering_a_numbered_menu_becomes_its_payload() -> None:
    from connectors.whatsapp.config import WhatsAppConfig
    from connectors.whatsapp.inbound import Inbound
    from connectors.whatsapp.input import WhatsAppInput

    channel = WhatsAppInput(WhatsAppConfig("verify-0123456789", "secret-0123456789", "token-0123456789", PHONE_ID))
    channel.menus["549"] = ["/a", "/b", "/c"]
    item = Inbound("549", "wamid.1", "text", " 2 ", {})
    assert channel._text_for(item) == "/b" and item.metadata["menu_choice"] == 2
    assert channel._text_for(Inbound("549", "wamid.2", "text", "7", {})) == "7"
    assert channel._text_for(Inbound("550", "wamid.3", "text", "2", {})) == "2"
    assert channel._text_for(Inbound("549", "wamid.4", "sticker", None, {})) == unsupported_payload("sticker")
    assert unsupported_payload("sticker") == '/unsupported_message{"message_kind":"sticker"}'
    assert unsupported_payload("order") == '/unsupported_message{"message_kind":"other"}'


def test_a_removed_reaction_is_no_message() -> None:
    assert parse(body(msg("reaction", {"message_id": "wamid.X", "emoji": ""})), PHONE_ID) == ([], [])
