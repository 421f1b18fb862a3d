"""Actions with real trackers (Tracker.from_dict), the real dispatcher, domain, profile and a real SQLite store."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.conversation import ActionFallback, ActionGreet, ActionHandoff
from actions.hotel_info import ActionFaq, ActionHours, ActionLocation, ActionRoomPhotos, faq_params
from actions.services import Services
from actions.store.models import HandoffRequest

FAQ_KEYS = [
    "wifi",
    "parking",
    "pets",
    "breakfast_included",
    "checkin_time",
    "checkout_time",
    "payment_methods",
    "cancellation_policy",
    "airport_transfer",
    "smoking",
    "luggage_storage",
    "accessibility",
]


def tracker(
    text: str = "hola",
    intent: str = "greet",
    entities: list[dict[str, Any]] | None = None,
    language: str = "es",
    events: list[dict[str, Any]] | None = None,
    **latest: Any,
) -> Tracker:
    latest_message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        **latest,
    }
    user = {"event": "user", "text": text, "parse_data": latest_message, "input_channel": "rest"}
    return Tracker.from_dict(
        {
            "sender_id": "guest-1",
            "slots": {"language": language},
            "latest_message": latest_message,
            "events": [*(events or []), user],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def sent(dispatcher: CollectingDispatcher) -> list[str]:
    return [message["response"] for message in dispatcher.messages]


def check_known(dispatcher: CollectingDispatcher, domain_dict: dict[str, Any]) -> None:
    for message in dispatcher.messages:
        assert message["response"] in domain_dict["responses"], message["response"]


async def test_greet_names_the_hotel(running: Services, domain_dict: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    await ActionGreet().run(dispatcher, tracker(), domain_dict)
    assert dispatcher.messages[0]["response"] == "utter_greet"
    assert dispatcher.messages[0]["hotel"] == "Hotel Aurora Palermo"


async def test_location_parameters(running: Services, domain_dict: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    await ActionLocation().run(dispatcher, tracker(language="en"), domain_dict)
    check_known(dispatcher, domain_dict)
    location, pin = dispatcher.messages
    assert location["eze"] == "from Ezeiza airport (EZE), 45–60 min by taxi"
    assert "query=-34.5887,-58.4298" in location["map_url"]
    assert (pin["latitude"], pin["longitude"]) == (-34.5887, -58.4298)


@pytest.mark.parametrize(
    ("now", "entities", "expected"),
    [
        ("2026-12-10T10:00:00-03:00", [{"entity": "facility", "value": "pool"}], ["utter_hours", "utter_open_now"]),
        (
            "2026-07-01T10:00:00-03:00",
            [{"entity": "facility", "value": "pool"}],
            ["utter_hours", "utter_closed_season"],
        ),
        (
            "2026-12-14T12:00:00-03:00",
            [{"entity": "facility", "value": "spa"}],
            ["utter_hours", "utter_closed_now_opens_tomorrow"],
        ),
        (
            "2026-12-10T10:00:00-03:00",
            [{"entity": "facility", "value": "spa"}, {"entity": "date", "value": "2026-12-14"}],
            ["utter_closed_on_day"],
        ),
        (
            "2026-12-10T10:00:00-03:00",
            [
                {"entity": "facility", "value": "bar"},
                {"entity": "date", "value": "2026-12-12"},
                {"entity": "time", "value": "01:30"},
            ],
            ["utter_open_at"],
        ),
        ("2026-12-10T10:00:00-03:00", [{"entity": "facility", "value": "reception"}], ["utter_hours_always"]),
        ("2026-12-10T10:00:00-03:00", [], ["utter_ask_facility"]),
        ("2026-12-10T10:00:00-03:00", [{"entity": "facility", "value": "casino"}], ["utter_ask_facility"]),
    ],
)
async def test_hours(
    running: Services,
    domain_dict: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    now: str,
    entities: list[dict[str, Any]],
    expected: list[str],
) -> None:
    monkeypatch.setenv("CONSERJE_NOW", now)
    dispatcher = CollectingDispatcher()
    await ActionHours().run(dispatcher, tracker(intent="ask_hours", entities=entities), domain_dict)
    assert sent(dispatcher) == expected
    check_known(dispatcher, domain_dict)


async def test_facility_buttons_in_the_guest_language(running: Services, domain_dict: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    await ActionHours().run(dispatcher, tracker(intent="ask_hours", language="en"), domain_dict)
    titles = [button["title"] for button in dispatcher.messages[0]["buttons"]]
    assert titles[:3] == ["Front desk", "Breakfast at Alba", "Alba Restaurant"]
    assert dispatcher.messages[0]["buttons"][4]["payload"] == '/ask_hours{"facility": "pool"}'


async def test_room_photos(running: Services, domain_dict: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "room_type", "value": "superior_king"}]
    await ActionRoomPhotos().run(dispatcher, tracker(intent="ask_room_photos", entities=entities), domain_dict)
    assert sent(dispatcher) == ["utter_room_photo", "utter_photo"]
    assert dispatcher.messages[0]["image"] == "http://hotel.test/media/photos/superior_king-1.jpg"
    assert (dispatcher.messages[0]["rate"], dispatcher.messages[0]["max_guests"]) == ("130", 2)
    choose = CollectingDispatcher()
    await ActionRoomPhotos().run(choose, tracker(intent="ask_room_photos"), domain_dict)
    assert sent(choose) == ["utter_which_room_photos"] and len(choose.messages[0]["buttons"]) == 5


@pytest.mark.parametrize("key", FAQ_KEYS)
async def test_every_faq_answer_exists_in_the_domain_with_its_facts(
    running: Services, domain_dict: dict[str, Any], key: str
) -> None:
    selector = {"faq": {"response": {"utter_action": f"utter_faq/{key}", "intent_response_key": f"faq/{key}"}}}
    dispatcher = CollectingDispatcher()
    await ActionFaq().run(dispatcher, tracker(intent="faq", response_selector=selector), domain_dict)
    assert sent(dispatcher) == [f"utter_faq/{key}"]
    check_known(dispatcher, domain_dict)
    for variation in domain_dict["responses"][f"utter_faq/{key}"]:
        params = dispatcher.messages[0]
        variation["text"].format(**{name: value for name, value in params.items() if name != "response"})


def test_unknown_faq_key_has_no_parameters(running: Services) -> None:
    assert faq_params(type("T", (), {"services": running, "language": "es"})(), "casino") is None  # type: ignore[arg-type]


async def test_fallback_ladder(running: Services, domain_dict: dict[str, Any]) -> None:
    first = CollectingDispatcher()
    events = await ActionFallback().run(first, tracker("asdf", "nlu_fallback"), domain_dict)
    assert sent(first) == ["utter_rephrase"] and events == []
    earlier = [
        {"event": "user", "text": "qwer", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "action", "name": "action_fallback"},
        {"event": "bot", "text": "Perdón"},
        {"event": "action", "name": "action_listen"},
    ]
    second = CollectingDispatcher()
    events = await ActionFallback().run(second, tracker("asdf", "nlu_fallback", events=earlier), domain_dict)
    assert second.messages == [] and events == [FollowupAction("utter_offer_handoff")]


async def test_handoff_is_stored(running: Services, domain_dict: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker("quiero hablar con una persona", "human_handoff"), domain_dict)
    assert sent(dispatcher) == ["utter_handoff_ack"]
    async with running.db.session() as session:
        stored = (
            await session.execute(select(HandoffRequest).where(HandoffRequest.id == dispatcher.messages[0]["ticket"]))
        ).scalar_one()
    assert (stored.conversation_id, stored.channel, stored.reason, stored.status) == (
        "guest-1",
        "rest",
        "asked",
        "open",
    )
    assert stored.last_message == "quiero hablar con una persona"


async def test_database_failure_becomes_a_polite_reply(
    running: Services, domain_dict: dict[str, Any], tmp_path: Any
) -> None:
    from actions.settings import Settings
    from actions.store.db import Database

    running.db = Database(Settings(database_url=f"sqlite:///{tmp_path}/missing-dir/none.db"))
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker("una persona", "human_handoff"), domain_dict)
    assert sent(dispatcher) == ["utter_service_error"]
    assert dispatcher.messages[0]["phone"] == "+54 11 4831 2200"
