"""ask_points and redeem_points on the real services (local PMS, migrated SQLite), run as Rasa runs them.

A late checkout paid with points goes through the late-checkout policy first: granted (check-out moved, no
charge, points spent once) or refused for the policy's reason with no points spent. With staff approval the
points are held on a pending stay request: approved, the time moves with no charge and no purchase award;
rejected, the points come back once and the guest is told so. Stays in June 2033.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import clock, loyalty, stay_requests
from actions.late_checkout import ActionStayRequestOutcome
from actions.pms.models import BookingRequest, Reservation
from actions.points import ActionAskPoints, ActionRedeemPoints
from actions.profile import load_profile
from actions.services import Services
from actions.store.post_stay import LedgerRow

NOW = "2033-06-11T20:00:00-03:00"


@pytest.fixture
async def ready(running: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    """The services with the profile's rooms in the local PMS, the clock the evening before check-out."""
    monkeypatch.setenv("CONSERJE_NOW", NOW)
    await running.pms.start()
    return running


async def stay_with_points(
    running: Services, room: int, email: str, points_days: int, room_type: str = "superior_king"
) -> Reservation:
    """A stay 10-12 June 2033 (Superior King unless said), its guest holding 100 points per ``points_days``."""
    request = BookingRequest(
        room_type, date(2033, 6, 10), date(2033, 6, 12), 2, "Ana Pérez", email, None, room_number=room
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


@pytest.fixture
def staff(ready: Services, tmp_path: Path) -> Services:
    """The same services with hotel.yml's late checkout approval set to staff."""
    root = Path(__file__).resolve().parents[2]
    text = (root / "hotel.yml").read_text(encoding="utf-8").replace("approval: instant  #", "approval: staff  #")
    profile = tmp_path / "hotel.yml"
    profile.write_text(f"{text}\nphotos_dir: {root / 'media' / 'photos'}\n", encoding="utf-8")
    ready.profile = load_profile(profile)
    return ready


async def ledger(running: Services, guest: str) -> list[tuple[str, str, int]]:
    """(source, reference, points) of the guest's ledger rows other than the seeded stays."""
    async with running.db.session() as session:
        query = select(LedgerRow.source, LedgerRow.reference, LedgerRow.points).where(
            LedgerRow.guest_key == guest, LedgerRow.source != "stay_completed"
        )
        return [tuple(row) for row in (await session.execute(query.order_by(LedgerRow.id))).all()]


async def test_with_staff_approval_the_points_are_held_then_spent(staff: Services, domain_dict: dict[str, Any]) -> None:
    guest = "points-304@example.com"
    stay = await stay_with_points(staff, 304, guest, 3)
    chosen = tracker(stay, reward="late_checkout_13")
    (pending,) = await run(ActionRedeemPoints(), chosen, domain_dict)
    assert (pending["response"], pending["time"], pending["points"]) == (
        "utter_redeem_late_checkout_pending",
        "13:00",
        300,
    )
    (again,) = await run(ActionRedeemPoints(), chosen, domain_dict)  # asked twice while waiting: held once
    assert again["response"] == "utter_redeem_late_checkout_pending"
    assert (await loyalty.standing(staff.db, staff.profile.loyalty, guest)).balance == 0
    unchanged = await staff.pms.get_reservation(stay.code)
    assert unchanged is not None and unchanged.checkout_time == "11:00"  # not before the front desk says yes
    (request,) = (
        item
        for item in await stay_requests.on_day(staff, date(2033, 6, 12), "late_checkout")
        if item.reservation_code == stay.code
    )
    assert (request.status, request.points, request.amount, request.as_dict()["points"]) == (
        "pending",
        300,
        Decimal("0.00"),
        300,
    )
    assert await ledger(staff, guest) == [("redeem:late_checkout_13", f"stay-{request.id}", -300)]

    approved = await stay_requests.decide(staff, request, True, clock.now())
    await stay_requests.decide(staff, request, True, clock.now())  # a second click
    assert approved.status == "approved"
    moved = await staff.pms.get_reservation(stay.code)
    assert moved is not None and moved.checkout_time == "13:00"
    assert await staff.pms.folio(stay.code) == []  # no money charged
    assert await ledger(staff, guest) == [("redeem:late_checkout_13", f"stay-{request.id}", -300)]  # no purchase award
    told = await outcome(staff, request, domain_dict)
    assert (told["response"], told["points"], told["time"]) == ("utter_redeem_late_checkout_approved", 300, "13:00")


async def test_a_rejected_redemption_gives_the_points_back_once(staff: Services, domain_dict: dict[str, Any]) -> None:
    guest = "points-305@example.com"
    stay = await stay_with_points(staff, 305, guest, 3)
    (pending,) = await run(ActionRedeemPoints(), tracker(stay, reward="late_checkout_13"), domain_dict)
    assert pending["response"] == "utter_redeem_late_checkout_pending"
    (request,) = (
        item
        for item in await stay_requests.on_day(staff, date(2033, 6, 12), "late_checkout")
        if item.reservation_code == stay.code
    )
    rejected = await stay_requests.decide(staff, request, False, clock.now())
    await stay_requests.decide(staff, rejected, False, clock.now())  # repeated by staff: nothing more
    assert rejected.status == "rejected"
    standing = await loyalty.standing(staff.db, staff.profile.loyalty, guest)
    assert (standing.balance, standing.earned, standing.level) == (300, 300, "plata")  # a refund is not earned
    assert await ledger(staff, guest) == [
        ("redeem:late_checkout_13", f"stay-{request.id}", -300),
        ("refund:late_checkout_13", f"stay-{request.id}", 300),
    ]
    kept = await staff.pms.get_reservation(stay.code)
    assert kept is not None and kept.checkout_time == "11:00" and await staff.pms.folio(stay.code) == []
    told = await outcome(staff, rejected, domain_dict)
    assert (told["response"], told["points"]) == ("utter_redeem_late_checkout_rejected", 300)

    poor = await stay_with_points(staff, 306, "points-306@example.com", 2)
    (short,) = await run(ActionRedeemPoints(), tracker(poor, reward="late_checkout_13"), domain_dict)
    assert (short["response"], short["cost"], short["balance"]) == ("utter_redeem_not_enough", 300, 200)
    listed = await stay_requests.on_day(staff, date(2033, 6, 12), "late_checkout")
    assert poor.code not in {item.reservation_code for item in listed}  # nothing for staff to decide
    assert await ledger(staff, "points-306@example.com") == []


async def outcome(running: Services, request: stay_requests.StayRequest, domain: dict[str, Any]) -> dict[str, Any]:
    """What action_stay_request_outcome tells the guest after staff decided (Rasa runs it on trigger_intent)."""
    decided = Tracker.from_dict(
        {
            "sender_id": request.conversation_id,
            "slots": {"language": "es"},
            "latest_message": {
                "text": "/EXTERNAL_stay_request_decided",
                "intent": {"name": "EXTERNAL_stay_request_decided", "confidence": 1.0},
                "entities": [{"entity": "stay_request", "value": str(request.id)}],
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )
    (told,) = await run(ActionStayRequestOutcome(), decided, domain)
    return told


async def test_two_conversations_redeeming_at_once_hold_the_points_once(
    staff: Services, domain_dict: dict[str, Any]
) -> None:
    guest = "points-307@example.com"
    stay = await stay_with_points(staff, 307, guest, 6, "family")  # points enough for two, if both went through
    web, whatsapp = tracker(stay, reward="late_checkout_13"), tracker(stay, reward="late_checkout_13")
    replies = await asyncio.gather(
        run(ActionRedeemPoints(), web, domain_dict), run(ActionRedeemPoints(), whatsapp, domain_dict)
    )
    assert [reply["response"] for (reply,) in replies] == ["utter_redeem_late_checkout_pending"] * 2
    requests = [
        item
        for item in await stay_requests.on_day(staff, date(2033, 6, 12), "late_checkout")
        if item.reservation_code == stay.code
    ]
    assert len(requests) == 1
    assert await ledger(staff, guest) == [("redeem:late_checkout_13", f"stay-{requests[0].id}", -300)]
