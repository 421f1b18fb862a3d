"""ask_points and redeem_points on the real services (local PMS, migrated SQLite), run as Rasa runs them.

A late checkout paid with points goes through the late-checkout policy first: granted (check-out moved, no
charge, points spent once) or refused for the policy's reason with no points spent. Stays in June 2033.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import clock, loyalty
from actions.pms.models import BookingRequest, Reservation
from actions.points import ActionAskPoints, ActionRedeemPoints
from actions.services import Services

NOW = "2033-06-11T20:00:00-03:00"


@pytest.fixture
async def ready(running: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    """The services with the profile's rooms in the local PMS, the clock the evening before check-out."""
    monkeypatch.setenv("CONSERJE_NOW", NOW)
    await running.pms.start()
    return running


async def stay_with_points(running: Services, room: int, email: str, points_days: int) -> Reservation:
    """A Superior King stay 10-12 June 2033, its guest holding 100 points per ``points_days``."""
    request = BookingRequest(
        "superior_king", date(2033, 6, 10), date(2033, 6, 12), 2, "Ana Pérez", email, None, room_number=room
    )
    stay = await running.pms.create_reservation(request)
    for day in range(points_days):
        await loyalty.award_to(
            running.db,
            running.profile.loyalty,
            email,
            "A*** P.",
            "stay_completed",
            f"{email}-{day}",
            date(2033, 1, 1) + timedelta(days=day),
            clock.now(),
        )
    return stay


def tracker(stay: Reservation, **slots: Any) -> Tracker:
    """The conversation right after lookup_form proved the booking (code plus surname)."""
    return Tracker.from_dict(
        {
            "sender_id": f"guest-{stay.code}",
            "slots": {"language": "es", "booking_code": stay.code, "verifier": "Pérez", **slots},
            "latest_message": {"text": "Pérez", "intent": {"name": "inform", "confidence": 1.0}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


async def run(action: Any, conversation: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, conversation, domain)
    return dispatcher.messages


async def test_points_catalogue_and_a_late_checkout_paid_once(ready: Services, domain_dict: dict[str, Any]) -> None:
    stay = await stay_with_points(ready, 301, "points-301@example.com", 3)
    (standing,) = await run(ActionAskPoints(), tracker(stay), domain_dict)
    assert standing["response"] == "utter_points_standing"
    assert (standing["balance"], standing["level"], standing["next_level"], standing["missing"]) == (
        300,
        "Plata",
        "Oro",
        450,
    )
    (catalogue,) = await run(ActionRedeemPoints(), tracker(stay), domain_dict)
    assert catalogue["response"] == "utter_rewards_catalogue" and catalogue["balance"] == 300
    assert [button["payload"] for button in catalogue["buttons"]] == [
        '/redeem_points{"reward": "late_checkout_13"}',
        '/redeem_points{"reward": "welcome_drink"}',
    ]

    chosen = tracker(stay, reward="late_checkout_13")
    (done,) = await run(ActionRedeemPoints(), chosen, domain_dict)
    assert (done["response"], done["time"], done["balance"]) == ("utter_redeem_late_checkout_done", "13:00", 0)
    moved = await ready.pms.get_reservation(stay.code)
    assert moved is not None and moved.checkout_time == "13:00"
    assert await ready.pms.folio(stay.code) == []  # paid with points, not charged
    (again,) = await run(ActionRedeemPoints(), chosen, domain_dict)
    assert again["response"] == "utter_late_checkout_not_needed"  # already until 13:00: nothing spent again
    assert (await loyalty.standing(ready.db, ready.profile.loyalty, "points-301@example.com")).balance == 0


async def test_late_checkout_refused_by_the_policy_spends_nothing(ready: Services, domain_dict: dict[str, Any]) -> None:
    stay = await stay_with_points(ready, 302, "points-302@example.com", 3)
    arrival = BookingRequest(
        "superior_king", date(2033, 6, 12), date(2033, 6, 14), 2, "Otro Huésped", "x@example.com", None, room_number=302
    )
    await ready.pms.create_reservation(arrival)
    (refused,) = await run(ActionRedeemPoints(), tracker(stay, reward="late_checkout_13"), domain_dict)
    assert refused["response"] == "utter_late_checkout_room_needed"
    assert (await loyalty.standing(ready.db, ready.profile.loyalty, "points-302@example.com")).balance == 300

    poor = await stay_with_points(ready, 303, "points-303@example.com", 0)
    (short,) = await run(ActionRedeemPoints(), tracker(poor, reward="welcome_drink"), domain_dict)
    assert (short["response"], short["cost"], short["balance"]) == ("utter_redeem_not_enough", 100, 0)
    (drink,) = await run(ActionRedeemPoints(), tracker(stay, reward="welcome_drink"), domain_dict)
    assert (drink["response"], drink["facility"], drink["balance"]) == ("utter_redeem_drink_done", "Bar Terraza", 200)
