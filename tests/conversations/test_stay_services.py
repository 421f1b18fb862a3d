"""Late checkout and early check-in through the real servers (clock: Thursday 2026-12-10 10:00 unless moved).

Stays are booked by staff through the admin API in given rooms; the folio is read from the stack's database.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from scripts.stack import ROOT, Stack, Turn, free_port


def book(
    stack: Stack,
    room: int,
    check_in: str,
    check_out: str,
    name: str,
    room_type: str = "double",
    email: str = "guest@example.com",
) -> str:
    """A stay booked by staff in a given room; returns its code."""
    reply = stack.admin(
        "POST",
        "/reservations",
        json={
            "room_type": room_type,
            "check_in": check_in,
            "check_out": check_out,
            "guests": 2,
            "guest_name": name,
            "email": email,
            "room_number": room,
        },
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["code"])


def identify(stack: Stack, sender: str, first: str, code: str, surname: str) -> Turn:
    """Opens the request, gives the booking code and the surname; returns the turn after the surname."""
    opened = stack.turn(sender, first)
    assert opened.responses == ["utter_ask_booking_code"], (opened.intent, opened.responses)
    assert stack.turn(sender, code).responses == ["utter_ask_verifier"]
    return stack.turn(sender, surname)


def folio(stack: Stack, code: str) -> list[tuple[str, int]]:
    """(description, amount in cents) of the booking's folio lines, from the stack's database."""
    path = stack.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT c.description, c.amount_cents FROM pms_charges c JOIN pms_reservations r"
            " ON r.id = c.reservation_id WHERE r.code = ? ORDER BY c.id",
            (code,),
        ).fetchall()
    return [(str(description), int(cents)) for description, cents in rows]


def test_late_checkout_bought_once_in_spanish(stack: Stack) -> None:
    code = book(stack, 103, "2026-12-08", "2026-12-11", "Martín López")
    sender = "late-buy-es"
    options = identify(stack, sender, "hola, quiero hacer late checkout", code, "López")
    assert options.responses == ["utter_late_checkout_options"]
    buttons = options.messages[-1]["buttons"]
    assert [button["title"] for button in buttons] == ["13:00 · USD 23.75", "14:00 · USD 47.50"]
    offer = stack.turn(sender, buttons[1]["payload"])
    assert offer.responses == ["utter_late_checkout_offer"]
    assert "14:00" in offer.text and "USD 47.50" in offer.text and "10 minutos" in offer.text
    done = stack.turn(sender, "sí")
    assert done.responses == ["utter_late_checkout_confirmed"]
    assert stack.admin("GET", f"/reservations/{code}").json()["checkout_time"] == "14:00"
    assert folio(stack, code) == [("Late checkout 14:00", 4750)]
    assert stack.turn(sender, "sí").responses == ["utter_anything_else"]  # a second yes
    assert folio(stack, code) == [("Late checkout 14:00", 4750)]
    listed = stack.admin("GET", "/late-checkouts?date=2026-12-11").json()["requests"]
    mine = [item for item in listed if item["reservation_code"] == code]
    assert [(item["status"], item["time"], item["amount"]) for item in mine] == [("done", "14:00", "47.50")]
    path = stack.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:  # the purchase's loyalty points, paid once despite the second yes
        awards = db.execute(
            "SELECT points FROM loyalty_ledger WHERE source = 'late_checkout_purchased' AND reference = ?",
            (f"stay-{mine[0]['id']}",),
        ).fetchall()
    assert awards == [(10,)]


def test_a_requested_time_is_honoured_in_english(stack: Stack) -> None:
    code = book(stack, 104, "2026-12-09", "2026-12-11", "Emma Wilson")
    sender = "late-time-en"
    offer = identify(stack, sender, "can I get a late checkout until 1pm?", code, "Wilson")
    assert offer.responses == ["utter_late_checkout_offer"]
    assert "until 13:00 for USD 23.75" in offer.text
    declined = stack.turn(sender, "no")
    assert declined.responses == ["utter_stay_offer_declined"]
    assert folio(stack, code) == []
    later = identify(stack, "late-4pm-en", "could I keep the room until 4pm on checkout day?", code, "Wilson")
    assert later.responses == ["utter_late_checkout_beyond_limit"] and "14:00" in later.text


def test_no_late_checkout_when_the_room_has_an_arrival(stack: Stack) -> None:
    code = book(stack, 105, "2026-12-08", "2026-12-11", "Carla Gómez")
    book(stack, 105, "2026-12-11", "2026-12-13", "Diego Sosa")
    turn = identify(
        stack, "late-arrival-es", "quiero quedarme en la habitación hasta las 13 el día que me voy", code, "Gómez"
    )
    assert turn.responses == ["utter_late_checkout_room_needed"]
    assert folio(stack, code) == []


def test_after_the_latest_hour(stack: Stack, at: Any) -> None:
    code = book(stack, 106, "2026-12-08", "2026-12-10", "Julieta Pereyra")
    at("2026-12-10T14:30:00-03:00")
    turn = identify(stack, "late-too-late", "quiero late checkout", code, "Pereyra")
    assert turn.responses == ["utter_late_checkout_too_late"] and "14:00" in turn.text


def test_not_identified_then_identified(stack: Stack) -> None:
    code = book(stack, 107, "2026-12-09", "2026-12-12", "Lucía Fernández")
    sender = "late-who"
    wrong = identify(stack, sender, "I'd like a late checkout", code, "Smith")
    assert wrong.responses == ["utter_stay_not_identified"] and code not in wrong.text
    right = identify(stack, sender, "I'd like a late checkout", code, "fernandez")
    assert right.responses == ["utter_late_checkout_options"]
    typed = stack.turn(sender, "until 1pm please")  # a time typed instead of a button
    assert typed.responses == ["utter_late_checkout_offer"] and "until 13:00 for USD 23.75" in typed.text


def test_an_expired_offer_is_not_charged(stack: Stack, at: Any) -> None:
    code = book(stack, 108, "2026-12-09", "2026-12-11", "Tomás Acosta")
    sender = "late-expired"
    offer = identify(stack, sender, "late checkout hasta las 14 por favor", code, "Acosta")
    assert offer.responses == ["utter_late_checkout_offer"]
    at("2026-12-10T10:11:00-03:00")  # eleven minutes later
    assert stack.turn(sender, "sí").responses == ["utter_stay_offer_expired"]
    assert folio(stack, code) == []
    assert stack.admin("GET", f"/reservations/{code}").json()["checkout_time"] == "11:00"


def test_pms_down_while_asking(stack: Stack, at: Any) -> None:
    code = book(stack, 202, "2026-12-09", "2026-12-11", "Noah Davis")
    at(
        "2026-12-10T10:00:00-03:00",
        PMS_TYPE="qloapps",
        QLOAPPS_URL=f"http://127.0.0.1:{free_port()}",
        QLOAPPS_API_KEY="QLOTESTKEY0123456789ABCDEFGHIJKL",
        PMS_READ_RETRIES="0",
    )
    turn = identify(stack, "late-pms-down", "quiero late checkout", code, "Davis")
    assert turn.responses == ["utter_service_error"] and "+54 11 4831 2200" in turn.text


def staff_approval_profile(folder: Path) -> Path:
    """The demo hotel with late checkouts waiting for staff approval (``approval: staff``)."""
    text = (ROOT / "hotel.yml").read_text(encoding="utf-8").replace("approval: instant  #", "approval: staff  #")
    profile = folder / "hotel.yml"
    profile.write_text(f"{text}\nphotos_dir: {ROOT / 'media' / 'photos'}\n", encoding="utf-8")
    return profile


def test_staff_approval_and_rejection(stack: Stack, at: Any, tmp_path: Path) -> None:
    profile = staff_approval_profile(tmp_path)
    at("2026-12-10T10:00:00-03:00", HOTEL_PROFILE=str(profile))
    approved_code = book(stack, 203, "2026-12-09", "2026-12-12", "Olivia Brown")
    rejected_code = book(stack, 204, "2026-12-09", "2026-12-12", "Valentina Rossi")
    for sender, code, surname in (("late-staff-1", approved_code, "Brown"), ("late-staff-2", rejected_code, "Rossi")):
        offer = identify(stack, sender, "late checkout until 2pm please", code, surname)
        assert offer.responses == ["utter_late_checkout_offer"]
        assert stack.turn(sender, "yes").responses == ["utter_late_checkout_pending"]
    assert folio(stack, approved_code) == []
    listed = stack.admin("GET", "/late-checkouts?date=2026-12-12").json()["requests"]
    ids = {item["reservation_code"]: item["id"] for item in listed if item["status"] == "pending"}
    assert set(ids) >= {approved_code, rejected_code}
    approved = stack.admin("POST", f"/late-checkouts/{ids[approved_code]}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["guest_notified"] is True
    assert stack.admin("POST", f"/late-checkouts/{ids[approved_code]}/approve").status_code == 200  # repeated
    assert stack.admin("POST", f"/late-checkouts/{ids[approved_code]}/reject").status_code == 409
    assert folio(stack, approved_code) == [("Late checkout 14:00", 4750)]
    rejected = stack.admin("POST", f"/late-checkouts/{ids[rejected_code]}/reject")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert folio(stack, rejected_code) == []
    told = {  # the replies Rasa stored after the admin's trigger_intent, newest last
        sender: [
            event.get("metadata", {}).get("utter_action")
            for event in stack.tracker(sender)["events"]
            if event["event"] == "bot"
        ]
        for sender in ("late-staff-1", "late-staff-2")
    }
    assert told["late-staff-1"][-1] == "utter_late_checkout_confirmed"
    assert told["late-staff-2"][-1] == "utter_late_checkout_rejected"
    assert stack.admin("POST", "/late-checkouts/999999/approve").status_code == 404
    assert stack.admin("GET", "/late-checkouts?date=tomorrow").status_code == 400


def test_a_decision_made_while_rasa_is_down_reaches_the_guest_when_it_is_back(
    stack: Stack, at: Any, tmp_path: Path
) -> None:
    profile = staff_approval_profile(tmp_path)
    at("2026-12-10T10:00:00-03:00", HOTEL_PROFILE=str(profile))
    code = book(stack, 210, "2026-12-09", "2026-12-12", "Hugo Lambert", room_type="twin")
    sender = "late-staff-retry"
    assert identify(stack, sender, "late checkout until 2pm please", code, "Lambert").responses == [
        "utter_late_checkout_offer"
    ]
    assert stack.turn(sender, "yes").responses == ["utter_late_checkout_pending"]
    request_id = next(
        item["id"]
        for item in stack.admin("GET", "/late-checkouts?date=2026-12-12").json()["requests"]
        if item["reservation_code"] == code
    )
    # Rasa unreachable from the action server (nothing listens on that port): the decision stands, untold.
    dead_rasa = f"http://127.0.0.1:{free_port()}"
    at("2026-12-10T10:05:00-03:00", HOTEL_PROFILE=str(profile), RASA_URL=dead_rasa, STAY_NOTIFY_RETRY_SECONDS="1")
    approved = stack.admin("POST", f"/late-checkouts/{request_id}/approve")
    assert approved.status_code == 200 and approved.json()["guest_notified"] is False
    assert folio(stack, code) == [("Late checkout 14:00", 4750)]
    time.sleep(2.5)  # two retries against the dead Rasa: still untold
    assert told(stack, sender)[-1] == "utter_late_checkout_pending"

    # Rasa reachable again: the action server's retry job tells the guest, once.
    at("2026-12-10T10:06:00-03:00", HOTEL_PROFILE=str(profile), STAY_NOTIFY_RETRY_SECONDS="1")
    deadline = time.monotonic() + 30
    while told(stack, sender)[-1] != "utter_late_checkout_confirmed" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert told(stack, sender)[-1] == "utter_late_checkout_confirmed"
    time.sleep(2.5)  # more runs of the job
    assert told(stack, sender).count("utter_late_checkout_confirmed") == 1


def told(stack: Stack, sender: str) -> list[str | None]:
    """The responses Rasa used in the conversation, oldest first."""
    events = stack.tracker(sender)["events"]
    return [event.get("metadata", {}).get("utter_action") for event in events if event["event"] == "bot"]


def points(stack: Stack, guest: str, figure: str = "SUM(points)", where: str = "1 = 1") -> int:
    """The guest's points balance (or another figure over some of their ledger rows), from the stack's database."""
    query = f"SELECT COALESCE({figure}, 0) FROM loyalty_ledger WHERE guest_key = ? AND {where}"
    with sqlite3.connect(stack.env["DATABASE_URL"].removeprefix("sqlite:///")) as db:
        return int(db.execute(query, (guest,)).fetchone()[0])


def test_late_checkout_paid_with_points_waits_for_staff_and_a_rejection_refunds(
    stack: Stack, at: Any, tmp_path: Path
) -> None:
    profile = staff_approval_profile(tmp_path)
    at("2026-12-10T10:00:00-03:00", HOTEL_PROFILE=str(profile))
    guest = "lucia.puntos@example.com"  # her loyalty key: the booking has no phone
    code = book(stack, 305, "2026-12-09", "2026-12-12", "Lucía Méndez", "superior_king", email=guest)
    with sqlite3.connect(stack.env["DATABASE_URL"].removeprefix("sqlite:///")) as db:  # three earlier stays
        db.execute(
            "INSERT INTO loyalty_accounts (guest_key, label, created_at, touched_at) VALUES (?, 'L*** M.', ?, ?)",
            (guest, "2026-01-01 00:00:00", "2026-01-01 00:00:00"),
        )
        for n in range(3):
            db.execute(
                "INSERT INTO loyalty_ledger (guest_key, source, reference, requested, points, day, created_at)"
                " VALUES (?, 'stay_completed', ?, 100, 100, ?, ?)",
                (guest, f"EARLIER{n}", f"2026-0{n + 1}-15", f"2026-0{n + 1}-15 12:00:00"),
            )
    sender = "points-staff"
    catalogue = identify(stack, sender, "quiero canjear mis puntos", code, "Méndez")
    assert catalogue.responses == ["utter_rewards_catalogue"]
    held = stack.turn(sender, '/redeem_points{"reward": "late_checkout_13"}')
    assert held.responses == ["utter_redeem_late_checkout_pending"] and "300 puntos" in held.text
    assert points(stack, guest) == 0
    listed = stack.admin("GET", "/late-checkouts?date=2026-12-12").json()["requests"]
    (mine,) = (item for item in listed if item["reservation_code"] == code)
    assert (mine["status"], mine["time"], mine["points"], mine["amount"]) == ("pending", "13:00", 300, "0.00")

    rejected = stack.admin("POST", f"/late-checkouts/{mine['id']}/reject")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert rejected.json()["guest_notified"] is True
    assert stack.admin("POST", f"/late-checkouts/{mine['id']}/reject").status_code == 200  # repeated
    assert points(stack, guest) == 300  # given back, once
    assert points(stack, guest, "COUNT(*)", "source LIKE 'refund:%'") == 1
    assert stack.admin("GET", f"/reservations/{code}").json()["checkout_time"] == "11:00"
    assert folio(stack, code) == []
    told = [event for event in stack.tracker(sender)["events"] if event["event"] == "bot"][-1]
    assert told["metadata"]["utter_action"] == "utter_redeem_late_checkout_rejected"
    assert "300 puntos" in told["text"]


def test_early_checkin_bought_and_refused(stack: Stack) -> None:
    code = book(stack, 205, "2026-12-11", "2026-12-13", "John Miller")
    sender = "early-en"
    options = identify(stack, sender, "can I check in early tomorrow?", code, "Miller")
    assert options.responses == ["utter_early_checkin_options"]
    buttons = options.messages[-1]["buttons"]
    assert [button["title"] for button in buttons] == ["12:00 · USD 23.75", "09:00 · USD 47.50"]
    offer = stack.turn(sender, buttons[0]["payload"])
    assert offer.responses == ["utter_early_checkin_offer"] and "from 12:00 for USD 23.75" in offer.text
    assert stack.turn(sender, "yes").responses == ["utter_early_checkin_confirmed"]
    assert stack.admin("GET", f"/reservations/{code}").json()["checkin_time"] == "12:00"
    assert folio(stack, code) == [("Early check-in 12:00", 2375)]
    busy = book(stack, 206, "2026-12-11", "2026-12-13", "Sofía Herrera")
    book(stack, 206, "2026-12-09", "2026-12-11", "Diego Sosa")  # in the room the night before
    refused = identify(stack, "early-es", "quiero hacer early check-in", busy, "Herrera")
    assert refused.responses == ["utter_early_checkin_room_needed"]
