"""Late checkout / early check-in policy and requests, and QR confirmations, on the real services (local PMS, SQLite).

Each test books in its own month of 2032 so that the session's shared database never mixes their rooms.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from pyzbar.pyzbar import decode
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import qr, stay_requests
from actions.late_checkout import ActionLateCheckoutOffer, ActionStayOfferAccept
from actions.media.qr import QrTokenError, QrTokenExpired, make_token, png, read_token
from actions.pms.models import BookingRequest, Reservation
from actions.profile import load_profile
from actions.services import Services
from actions.stay_policy import Option, assess

TZ = ZoneInfo("America/Argentina/Buenos_Aires")
SECRET = "unit-test-qr-secret-0123456789abcdef"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Hotel time in 2032."""
    return datetime(2032, month, day, hour, minute, tzinfo=TZ)


async def book(running: Services, room: int, first: date, nights: int, name: str = "Ana Pérez") -> Reservation:
    """A double room booked by staff (rooms 101-108 are doubles at USD 95)."""
    request = BookingRequest(
        "double", first, first + timedelta(days=nights), 2, name, "ana@example.com", None, room_number=room
    )
    return await running.pms.create_reservation(request)


@pytest.fixture
async def pms_ready(running: Services) -> Services:
    """The services with the profile's rooms in the local PMS."""
    await running.pms.start()
    return running


# -- policy -----------------------------------------------------------------------------------------------------


async def test_late_checkout_options_and_prices(pms_ready: Services) -> None:
    stay = await book(pms_ready, 101, date(2032, 1, 10), 2)
    found = await assess("late_checkout", pms_ready.pms, pms_ready.profile, stay, at(1, 11, 20))
    assert found.reason is None and found.day == date(2032, 1, 12)
    assert found.options == [Option("13:00", 25, Decimal("23.75")), Option("14:00", 50, Decimal("47.50"))]
    assert found.pick(None) == Option("13:00", 25, Decimal("23.75"))
    assert found.pick("13:00").time == "13:00"  # type: ignore[union-attr]
    assert found.pick("13:30").time == "14:00"  # type: ignore[union-attr]
    assert found.pick("14:00").time == "14:00"  # type: ignore[union-attr]
    assert found.pick("15:00") == "beyond_limit"
    assert found.pick("10:00") == "not_needed"
    on_the_day = await assess("late_checkout", pms_ready.pms, pms_ready.profile, stay, at(1, 12, 13, 30))
    assert [option.time for option in on_the_day.options] == ["14:00"]
    too_late = await assess("late_checkout", pms_ready.pms, pms_ready.profile, stay, at(1, 12, 14, 5))
    assert (too_late.reason, too_late.limit) == ("too_late", "14:00")
    ended = await assess("late_checkout", pms_ready.pms, pms_ready.profile, stay, at(1, 13, 9))
    assert ended.reason == "stay_ended"


async def test_no_late_checkout_when_the_room_has_an_arrival(pms_ready: Services) -> None:
    stay = await book(pms_ready, 102, date(2032, 2, 10), 2)
    await book(pms_ready, 102, date(2032, 2, 12), 1, "Diego Sosa")
    found = await assess("late_checkout", pms_ready.pms, pms_ready.profile, stay, at(2, 11, 9))
    assert (found.reason, found.options) == ("room_needed", [])
    assert found.pick("13:00") == "room_needed"


async def test_late_checkout_after_cancellation_or_once_arranged(pms_ready: Services) -> None:
    stay = await book(pms_ready, 103, date(2032, 3, 10), 2)
    await pms_ready.pms.set_times(stay.code, checkout_time="14:00")
    arranged = await pms_ready.pms.get_reservation(stay.code)
    assert arranged is not None
    found = await assess("late_checkout", pms_ready.pms, pms_ready.profile, arranged, at(3, 11, 9))
    assert found.reason == "already_arranged"
    await pms_ready.pms.cancel_reservation(stay.code, at(1, 1, 9))
    cancelled = await pms_ready.pms.get_reservation(stay.code)
    assert cancelled is not None
    gone = await assess("late_checkout", pms_ready.pms, pms_ready.profile, cancelled, at(3, 11, 9))
    assert gone.reason == "stay_ended"


async def test_early_checkin_needs_the_room_free_the_night_before(pms_ready: Services) -> None:
    stay = await book(pms_ready, 104, date(2032, 4, 10), 2)
    found = await assess("early_checkin", pms_ready.pms, pms_ready.profile, stay, at(4, 9, 18))
    assert found.day == date(2032, 4, 10)
    assert found.options == [Option("12:00", 25, Decimal("23.75")), Option("09:00", 50, Decimal("47.50"))]
    assert found.pick("10:00").time == "09:00"  # type: ignore[union-attr]
    assert found.pick("12:30").time == "12:00"  # type: ignore[union-attr]
    assert found.pick("08:00") == "beyond_limit"
    assert found.pick("16:00") == "not_needed"
    await book(pms_ready, 104, date(2032, 4, 8), 2, "Carla Gómez")  # leaves the morning of the 10th
    occupied = await assess("early_checkin", pms_ready.pms, pms_ready.profile, stay, at(4, 9, 18))
    assert occupied.reason == "room_needed"
    await pms_ready.pms.set_status(stay.code, "checked_in")
    started = await pms_ready.pms.get_reservation(stay.code)
    assert started is not None
    inside = await assess("early_checkin", pms_ready.pms, pms_ready.profile, started, at(4, 10, 10))
    assert inside.reason == "stay_ended"


# -- offers, acceptance, staff decisions ------------------------------------------------------------------------


async def _offer(running: Services, stay: Reservation, now: datetime) -> stay_requests.StayRequest:
    found = await assess("late_checkout", running.pms, running.profile, stay, now)
    option = found.pick("14:00")
    assert isinstance(option, Option)
    return await stay_requests.create_offer(
        running, "late_checkout", stay, found.day, option, ("guest-9", "rest", "es"), now
    )


async def test_accepting_twice_charges_once(pms_ready: Services) -> None:
    stay = await book(pms_ready, 105, date(2032, 5, 10), 2)
    offer = await _offer(pms_ready, stay, at(5, 11, 9))
    assert offer.expires_at == at(5, 11, 9, 10)
    first = await stay_requests.accept(pms_ready, offer, at(5, 11, 9, 5))
    again = await stay_requests.accept(pms_ready, offer, at(5, 11, 9, 6))  # the same yes, retried
    assert isinstance(first, stay_requests.StayRequest) and first.status == "done"
    assert isinstance(again, stay_requests.StayRequest) and again.status == "done"
    folio = await pms_ready.pms.folio(stay.code)
    assert [(line.description, line.amount, line.key) for line in folio] == [
        ("Late checkout 14:00", Decimal("47.50"), f"stay-{offer.id}")
    ]
    changed = await pms_ready.pms.get_reservation(stay.code)
    assert changed is not None and changed.checkout_time == "14:00"


async def test_an_expired_offer_changes_nothing(pms_ready: Services) -> None:
    stay = await book(pms_ready, 106, date(2032, 6, 10), 2)
    offer = await _offer(pms_ready, stay, at(6, 11, 9))
    assert await stay_requests.accept(pms_ready, offer, at(6, 11, 9, 10)) == "expired"
    assert await pms_ready.pms.folio(stay.code) == []
    stored = await stay_requests.get(pms_ready, offer.id)
    assert stored is not None and stored.status == "expired"


async def test_an_arrival_booked_meanwhile_is_seen_on_yes(pms_ready: Services) -> None:
    stay = await book(pms_ready, 107, date(2032, 7, 10), 2)
    offer = await _offer(pms_ready, stay, at(7, 11, 9))
    await book(pms_ready, 107, date(2032, 7, 12), 1, "Diego Sosa")
    assert await stay_requests.accept(pms_ready, offer, at(7, 11, 9, 2)) == "room_needed"
    assert await pms_ready.pms.folio(stay.code) == []


async def test_staff_approval(pms_ready: Services, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    text = (root / "hotel.yml").read_text(encoding="utf-8").replace("approval: instant  #", "approval: staff  #")
    staff = tmp_path / "hotel.yml"
    staff.write_text(f"{text}\nphotos_dir: {root / 'media' / 'photos'}\n", encoding="utf-8")
    pms_ready.profile = load_profile(staff)
    stay = await book(pms_ready, 108, date(2032, 8, 10), 2)
    offer = await _offer(pms_ready, stay, at(8, 11, 9))
    pending = await stay_requests.accept(pms_ready, offer, at(8, 11, 9, 1))
    assert isinstance(pending, stay_requests.StayRequest) and pending.status == "pending"
    assert await pms_ready.pms.folio(stay.code) == []
    listed = await stay_requests.on_day(pms_ready, date(2032, 8, 12), "late_checkout")
    assert [item.id for item in listed] == [offer.id]
    approved = await stay_requests.decide(pms_ready, pending, True, at(8, 11, 10))
    await stay_requests.decide(pms_ready, pending, True, at(8, 11, 10, 1))  # a second click
    assert approved.status == "approved"
    assert [line.key for line in await pms_ready.pms.folio(stay.code)] == [f"stay-{offer.id}"]


async def test_the_yes_action_run_twice_charges_once(pms_ready: Services, domain_dict: dict[str, Any]) -> None:
    stay = await book(pms_ready, 201, date(2032, 9, 10), 2)
    offer = await _offer(pms_ready, stay, at(9, 11, 9))
    tracker = Tracker.from_dict(
        {
            "sender_id": "guest-9",
            "slots": {"language": "en", "stay_request": str(offer.id)},
            "latest_message": {"text": "yes", "intent": {"name": "affirm", "confidence": 1.0}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )
    replies = []
    for _ in range(2):
        dispatcher = CollectingDispatcher()
        await ActionStayOfferAccept().run(dispatcher, tracker, domain_dict)
        replies += [message["response"] for message in dispatcher.messages]
    assert replies == ["utter_late_checkout_confirmed", "utter_late_checkout_confirmed"]
    assert len(await pms_ready.pms.folio(stay.code)) == 1
    stranger = Tracker.from_dict({**tracker.current_state(), "sender_id": "someone-else"})
    dispatcher = CollectingDispatcher()
    await ActionStayOfferAccept().run(dispatcher, stranger, domain_dict)
    assert [message["response"] for message in dispatcher.messages] == ["utter_anything_else"]


async def test_an_unidentified_guest_gets_no_offer(pms_ready: Services, domain_dict: dict[str, Any]) -> None:
    stay = await book(pms_ready, 202, date(2032, 10, 10), 2, "Lucía Fernández")
    tracker = Tracker.from_dict(
        {
            "sender_id": "guest-10",
            "slots": {"language": "es", "booking_code": stay.code, "verifier": "Gómez"},
            "latest_message": {"text": "Gómez", "intent": {"name": "inform", "confidence": 1.0}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )
    dispatcher = CollectingDispatcher()
    events = await ActionLateCheckoutOffer().run(dispatcher, tracker, domain_dict)
    assert [message["response"] for message in dispatcher.messages] == ["utter_stay_not_identified"]
    assert {"event": "slot", "name": "booking_code", "value": None, "timestamp": None} in events


# -- QR ---------------------------------------------------------------------------------------------------------


def test_token_round_trip_tamper_and_expiry() -> None:
    now = at(1, 10, 9)
    token = make_token(SECRET, "abc234", now + timedelta(hours=1))
    assert token.startswith("CJ1.ABC234.") and "Pérez" not in token
    assert read_token(SECRET, token, now) == "ABC234"
    with pytest.raises(QrTokenExpired):
        read_token(SECRET, token, now + timedelta(hours=1))
    for forged in (
        token.replace("ABC234", "ABC235"),
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        make_token("another-hotel-secret-0123456789abcdef", "ABC234", now + timedelta(hours=1)),
        "hello",
        "",
    ):
        with pytest.raises(QrTokenError):
            read_token(SECRET, forged, now)


def test_the_png_decodes_with_zbar() -> None:
    token = make_token(SECRET, "R5T8WA", at(1, 12, 0))
    image = png(token)
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    (found,) = decode(Image.open(io.BytesIO(image)))
    assert (found.type, found.data.decode()) == ("QRCODE", token)


async def test_qr_issue_check_in_and_cleanup(pms_ready: Services, tmp_path: Path) -> None:
    pms_ready.settings = pms_ready.settings.copy(update={"qr_secret": SECRET, "qr_dir": tmp_path / "qr"})
    stay = await book(pms_ready, 203, date(2032, 11, 10), 2)
    url = await qr.issue(pms_ready, stay)
    assert url.startswith("http://hotel.test/media/qr/") and stay.code not in url
    (path,) = (tmp_path / "qr").iterdir()
    (found,) = decode(Image.open(path))
    token = found.data.decode()
    early = await qr.check_in(pms_ready, token, at(11, 9, 10))
    assert early.result == "not_today"
    first = await qr.check_in(pms_ready, token, at(11, 10, 16))
    second = await qr.check_in(pms_ready, token, at(11, 10, 17))
    assert (first.result, first.reservation.status, second.result) == ("checked_in", "checked_in", "already_checked_in")
    with pytest.raises(QrTokenExpired):
        await qr.check_in(pms_ready, token, at(11, 13, 0))
    assert await qr.cleanup(pms_ready, date(2032, 11, 12)) == 0  # the departure day: still kept
    assert await qr.cleanup(pms_ready, date(2032, 11, 13)) == 1
    assert list((tmp_path / "qr").iterdir()) == []


async def test_without_a_secret_there_is_no_qr(pms_ready: Services) -> None:
    pms_ready.settings = pms_ready.settings.copy(update={"qr_secret": None})
    stay = await book(pms_ready, 204, date(2032, 12, 10), 2)
    with pytest.raises(qr.QrDisabled):
        await qr.issue(pms_ready, stay)
