"""Hotel information through the real servers, in Spanish and English, with the clock pinned."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from scripts.stack import Stack


def test_greeting_in_each_language_with_buttons(stack: Stack) -> None:
    spanish = stack.turn("greet-es", "hola, buen día")
    assert spanish.responses == ["utter_greet"]
    assert spanish.slots["language"] == "es"
    assert "Hotel Aurora Palermo" in spanish.text and "¿En qué te ayudo?" in spanish.text
    assert [button["payload"] for button in spanish.messages[0]["buttons"]] == [
        "/ask_hours",
        "/ask_location",
        "/ask_room_photos",
    ]
    english = stack.turn("greet-en", "hello there")
    assert english.responses == ["utter_greet"]
    assert english.slots["language"] == "en"
    assert "Hotel Aurora Palermo" in english.text and "How can I help?" in english.text


def test_short_messages_keep_the_language_and_explicit_requests_switch_it(stack: Stack) -> None:
    sender = "lang-switch"
    assert stack.turn(sender, "hi, good morning").slots["language"] == "en"
    ok = stack.turn(sender, "ok")
    assert ok.slots["language"] == "en" and ok.responses == ["utter_anything_else"]
    switched = stack.turn(sender, "hablame en español por favor")
    assert switched.slots["language"] == "es"
    assert switched.responses == ["utter_help"] and "Puedo ayudarte" in switched.text
    assert stack.turn(sender, "wifi?").slots["language"] == "es"
    back = stack.turn(sender, "can you speak english?")
    assert back.slots["language"] == "en" and "I can help" in back.text


@pytest.mark.parametrize(
    ("message", "language", "words"),
    [
        ("¿dónde queda el hotel?", "es", ["Gorriti 4521", "Ezeiza (EZE), 45–60 min en taxi", "Plaza Italia"]),
        (
            "how do I get to the hotel from the airport?",
            "en",
            ["Gorriti 4521", "Aeroparque (AEP), 20 min by taxi", "subway line D"],
        ),
    ],
)
def test_location_with_map_and_pin(stack: Stack, message: str, language: str, words: list[str]) -> None:
    turn = stack.turn(f"location-{language}", message)
    assert turn.intent == "ask_location"
    assert turn.responses == ["utter_location", "utter_location_pin"]
    for word in words:
        assert word in turn.text
    assert "https://www.google.com/maps/search/?api=1&query=-34.5887,-58.4298" in turn.text
    pin = turn.messages[-1]["custom"]
    assert (float(pin["latitude"]), float(pin["longitude"])) == (-34.5887, -58.4298)


def test_pool_open_now_in_summer(stack: Stack) -> None:
    turn = stack.turn("pool-now", "is the pool open now?")
    assert turn.intent == "ask_hours" and turn.entity("facility") == "pool"
    assert turn.responses == ["utter_hours", "utter_open_now"]
    assert "It's open right now, until 20:00." in turn.text


def test_facility_on_a_given_day_and_time(stack: Stack) -> None:
    spa = stack.turn("spa-monday", "¿el spa abre el lunes?")
    assert spa.entity("facility") == "spa" and spa.entity("date") == "2026-12-14"
    assert spa.responses == ["utter_closed_on_day"]
    assert "lunes 14 de diciembre" in spa.text
    bar = stack.turn("bar-saturday", "is the bar open on saturday at 1am?")
    assert bar.entity("facility") == "bar" and bar.entity("time") == "01:00"
    assert bar.responses == ["utter_open_at"] and "until 02:00" in bar.text
    lunch = stack.turn("restaurant-monday", "what time does the restaurant open on monday?")
    assert lunch.responses == ["utter_hours_on_day"] and "12:30–15:00" in lunch.text and "20:00" not in lunch.text


@pytest.mark.parametrize(
    ("now", "message", "responses", "expected"),
    [
        # Monday evening: no dinner on Mondays, so the restaurant is closed until Tuesday's lunch.
        (
            "2026-12-14T21:00:00-03:00",
            "¿está abierto el restaurante?",
            ["utter_hours", "utter_closed_now_opens_tomorrow"],
            "abre mañana a las 12:30",
        ),
        # Saturday 01:30: Friday's bar span runs until 02:00.
        ("2026-12-12T01:30:00-03:00", "is the bar open now?", ["utter_hours", "utter_open_now"], "until 02:00"),
        # The same instant written in UTC: Friday 01:30 local, Thursday's span ended at 01:00.
        (
            "2026-12-11T04:30:00+00:00",
            "is the bar open now?",
            ["utter_hours", "utter_closed_now_opens_today"],
            "opens today at 18:00",
        ),
        # Winter: the rooftop pool is closed for the season until October.
        (
            "2026-06-15T12:00:00-03:00",
            "¿la pileta está abierta?",
            ["utter_hours", "utter_closed_season"],
            "vuelve a abrir el 1 de octubre",
        ),
        # Saturday breakfast runs until 11:00.
        (
            "2026-12-12T10:45:00-03:00",
            "is breakfast still being served?",
            ["utter_hours", "utter_open_now"],
            "until 11:00",
        ),
        # Monday noon: the spa is closed on Mondays.
        (
            "2026-12-14T12:00:00-03:00",
            "is the spa open?",
            ["utter_hours", "utter_closed_now_opens_tomorrow"],
            "opens tomorrow at 10:00",
        ),
        ("2026-12-10T03:00:00-03:00", "¿a qué hora abre la recepción?", ["utter_hours_always"], "24 horas"),
    ],
)
def test_open_now_follows_the_clock(
    stack: Stack, at: Any, now: str, message: str, responses: list[str], expected: str
) -> None:
    at(now)
    turn = stack.turn(f"now-{abs(hash((now, message)))}", message)
    assert turn.responses == responses
    assert expected in turn.text


def test_hours_without_facility_offers_buttons(stack: Stack) -> None:
    turn = stack.turn("hours-which", "what are your opening hours?")
    assert turn.responses == ["utter_ask_facility"]
    buttons = turn.messages[0]["buttons"]
    assert len(buttons) == 8
    gym = next(button for button in buttons if button["title"] == "Gym")
    clicked = stack.turn("hours-which", gym["payload"])
    assert clicked.entity("facility") == "gym" and clicked.responses[0] == "utter_hours"
    assert "06:00–22:00" in clicked.text


def test_room_photos_of_a_type_and_choice_of_types(stack: Stack) -> None:
    suite = stack.turn("photos", "tenés fotos de la suite junior?")
    assert suite.entity("room_type") == "junior_suite"
    assert suite.responses == ["utter_room_photo", "utter_photo"]
    assert "USD 180" in suite.text and "hasta 3 personas" in suite.text
    images = [message["image"] for message in suite.messages if "image" in message]
    assert images == [
        f"{stack.action_url}/media/photos/junior_suite-1.jpg",
        f"{stack.action_url}/media/photos/junior_suite-2.jpg",
    ]
    photo = requests.get(images[0], timeout=10)
    assert photo.status_code == 200 and photo.content[:3] == b"\xff\xd8\xff"  # a JPEG
    choice = stack.turn("photos-en", "can I see pictures of the rooms?")
    assert choice.responses == ["utter_which_room_photos"]
    payloads = [button["payload"] for button in choice.messages[0]["buttons"]]
    assert len(payloads) == 5
    family = stack.turn("photos-en", payloads[3])
    assert family.entity("room_type") == "family" and "up to 4 guests, USD 160 per night" in family.text


FAQ = {
    "wifi": ("¿tienen wifi gratis?", "is there free wifi?", "Aurora-Guest"),
    "parking": ("¿tienen cochera?", "do you have parking?", "Gorriti 4600"),
    "pets": ("¿puedo ir con mi perro?", "are pets allowed?", "10 kg"),
    "breakfast_included": ("¿el desayuno está incluido?", "is breakfast included in the rate?", "07:00–10:30"),
    "checkin_time": ("¿a qué hora es el check-in?", "what time is check-in?", "15:00"),
    "checkout_time": ("¿hasta qué hora es el check-out?", "what time do I have to check out?", "11:00"),
    "payment_methods": ("¿aceptan tarjeta de crédito?", "what payment methods do you accept?", "American Express"),
    "cancellation_policy": ("¿cuál es la política de cancelación?", "what is your cancellation policy?", "48"),
    "airport_transfer": ("¿tienen traslado al aeropuerto?", "do you offer an airport shuttle?", "USD 45"),
    "smoking": ("¿se puede fumar en el hotel?", "can I smoke in my room?", "Bar Terraza"),
    "luggage_storage": ("¿me pueden guardar las valijas?", "can you store my luggage?", "luggage"),
    "accessibility": ("¿tienen habitaciones para silla de ruedas?", "is the hotel wheelchair accessible?", "101"),
}


@pytest.mark.parametrize("key", sorted(FAQ))
def test_every_faq_in_both_languages(stack: Stack, key: str) -> None:
    spanish, english, fact = FAQ[key]
    for language, message in (("es", spanish), ("en", english)):
        turn = stack.turn(f"faq-{key}-{language}", message)
        assert turn.intent == "faq", message
        assert turn.responses == [f"utter_faq/{key}"], message
        assert turn.slots["language"] == language
    assert fact in turn.text


@pytest.mark.parametrize(
    ("message", "response", "words"),
    [
        ("gracias!", "utter_you_are_welcome", "De nada"),
        ("thanks a lot", "utter_you_are_welcome", "You're welcome"),
        ("chau, nos vemos", "utter_goodbye", "Hasta pronto"),
        ("bye bye", "utter_goodbye", "Goodbye"),
        ("¿sos un robot?", "utter_iamabot", "asistente virtual"),
        ("am I talking to a bot?", "utter_iamabot", "virtual assistant"),
        ("¿quién ganó el partido de Boca ayer?", "utter_out_of_scope", "Eso no lo sé"),
        ("write me a poem about cats", "utter_out_of_scope", "I can't help with that"),
        ("¿qué podés hacer?", "utter_help", "Puedo ayudarte"),
    ],
)
def test_small_talk(stack: Stack, message: str, response: str, words: str) -> None:
    turn = stack.turn(f"talk-{abs(hash(message))}", message)
    assert turn.responses == [response]
    assert words in turn.text


def test_buttons_payload_json_reaches_actions(stack: Stack) -> None:
    turn = stack.turn("payload", "/ask_hours" + json.dumps({"facility": "bar"}))
    assert turn.entity("facility") == "bar" and turn.responses[0] == "utter_hours"
