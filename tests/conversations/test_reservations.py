"""Availability, booking, lookup and cancellation through the real servers (clock: Thursday 2026-12-10 10:00)."""

from __future__ import annotations

from typing import Any

from scripts.stack import Stack


def _book_by_staff(stack: Stack, room_type: str, check_in: str, check_out: str, name: str = "Ana Pérez") -> str:
    reply = stack.admin(
        "POST",
        "/reservations",
        json={
            "room_type": room_type,
            "check_in": check_in,
            "check_out": check_out,
            "guests": 2,
            "guest_name": name,
            "email": "ana@example.com",
        },
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["code"])


def test_availability_then_booking_in_spanish(stack: Stack) -> None:
    sender = "book-es"
    asked = stack.turn(sender, "hola, ¿tienen lugar del 12 al 15 de diciembre?")
    assert asked.intent == "check_availability"
    assert asked.slots["check_in"] == "2026-12-12" and asked.slots["check_out"] == "2026-12-15"
    assert asked.responses == ["utter_ask_guests"]
    offers = stack.turn(sender, "somos 4")
    assert offers.responses[0] == "utter_offers" and offers.responses[-1] == "utter_choose_offer"
    assert "USD 160 por noche, total USD 480" in offers.text  # only the family room takes 4
    assert offers.responses.count("utter_offer") == 1
    payload = offers.messages[-1]["buttons"][0]["payload"]
    name = stack.turn(sender, payload)
    assert name.responses == ["utter_ask_guest_name"]
    email = stack.turn(sender, "Ana Pérez")
    assert email.responses == ["utter_ask_email"]
    summary = stack.turn(sender, "ana.perez@example.com")
    assert summary.responses == ["utter_booking_summary"]
    assert "Familiar" in summary.text and "Total USD 480" in summary.text
    booked = stack.turn(sender, "sí")
    assert booked.responses == ["utter_booked", "utter_qr"]  # the QR confirmation follows (see test_qr.py)
    code = booked.slots["booking_code"]
    stored = stack.admin("GET", f"/reservations/{code}").json()
    assert (stored["room_type"], stored["check_in"], stored["guests"], stored["email"]) == (
        "family",
        "2026-12-12",
        4,
        "ana.perez@example.com",
    )
    assert stack.turn(sender, "sí").responses == ["utter_anything_else"]  # a second yes books nothing more


def test_nights_from_a_weekday_and_validation_in_english(stack: Stack) -> None:
    sender = "book-en"
    turn = stack.turn(sender, "do you have a room for 3 nights from friday for 2 people?")
    assert turn.intent == "check_availability"
    assert (turn.slots["check_in"], turn.slots["check_out"]) == ("2026-12-11", "2026-12-14")
    assert turn.responses[0] == "utter_offers" and "Friday, December 11" in turn.text
    past = stack.turn("past-en", "is there availability from yesterday until sunday?")
    assert past.responses[0] == "utter_date_in_past"
    crowd = stack.turn("crowd-es", "tienen disponibilidad del 20 al 22 de diciembre para 9 personas?")
    assert "utter_invalid_guests" in crowd.responses


def _lookup(stack: Stack, sender: str, first: str, code: str, verifier: str) -> Any:
    opened = stack.turn(sender, first)
    if "utter_ask_booking_code" in opened.responses:
        opened = stack.turn(sender, code)
    assert opened.responses == ["utter_ask_verifier"]
    return stack.turn(sender, verifier)


def test_a_booking_is_shown_only_to_its_guest(stack: Stack) -> None:
    code = _book_by_staff(stack, "double", "2026-12-20", "2026-12-22", "Lucía Fernández")
    wrong = _lookup(stack, "look-1", "quiero ver mi reserva", code, "Gómez")
    assert wrong.responses == ["utter_reservation_not_found"] and code not in wrong.text
    unknown = _lookup(stack, "look-2", "quiero ver mi reserva", "ZZZ999", "Fernández")
    assert unknown.responses == ["utter_reservation_not_found"]
    right = _lookup(stack, "look-3", "what's my booking?", code.lower(), "fernandez")
    assert right.responses == ["utter_reservation"] and code in right.text and "Standard Double" in right.text


def test_cancel_free_then_with_penalty(stack: Stack) -> None:
    far = _book_by_staff(stack, "twin", "2026-12-24", "2026-12-26", "Pedro Ruiz")
    quote = _lookup(stack, "cancel-1", f"quiero cancelar mi reserva {far}", far, "Ruiz")
    assert quote.responses == ["utter_cancel_free"]
    done = stack.turn("cancel-1", "sí")
    assert done.responses == ["utter_cancelled_free"]
    assert stack.admin("GET", f"/reservations/{far}").json()["status"] == "cancelled"
    near = _book_by_staff(stack, "twin", "2026-12-11", "2026-12-12", "Pedro Ruiz")  # 29 h before arrival
    quote = _lookup(stack, "cancel-2", "I need to cancel my booking", near, "pedro ruiz")
    assert quote.responses == ["utter_cancel_with_penalty"] and "USD 95" in quote.text
    kept = stack.turn("cancel-2", "no")
    assert kept.responses == ["utter_kept_reservation"]
    assert stack.admin("GET", f"/reservations/{near}").json()["status"] == "confirmed"


def test_room_taken_meanwhile_offers_alternatives(stack: Stack) -> None:
    sender = "race"
    stack.turn(sender, "quiero reservar la junior suite del 27 al 29 de diciembre para 2")
    stack.turn(sender, "Marta Díaz")
    summary = stack.turn(sender, "marta@example.com")
    assert summary.responses == ["utter_booking_summary"]
    for _ in range(3):  # staff sell every junior suite in the meantime
        _book_by_staff(stack, "junior_suite", "2026-12-27", "2026-12-29")
    taken = stack.turn(sender, "sí")
    assert taken.responses[0] == "utter_room_taken" and "utter_choose_offer" in taken.responses
    assert "Junior Suite" not in taken.messages[-1]["buttons"][0]["title"]


def test_pms_down_is_said_plainly_and_the_conversation_goes_on(stack: Stack, at: Any) -> None:
    from scripts.stack import free_port

    # A QloApps PMS that is unreachable (nothing listens on that port): a genuine transport error.
    at(
        "2026-12-10T10:00:00-03:00",
        PMS_TYPE="qloapps",
        QLOAPPS_URL=f"http://127.0.0.1:{free_port()}",
        QLOAPPS_API_KEY="QLOTESTKEY0123456789ABCDEFGHIJKL",
        PMS_READ_RETRIES="0",
    )
    sender = "pms-down"
    turn = stack.turn(sender, "hola, tienen lugar del 12 al 15 de diciembre para 2?")
    assert turn.responses == ["utter_service_error"]
    assert "+54 11 4831 2200" in turn.text
    assert stack.turn(sender, "is the pool open now?").responses == ["utter_hours", "utter_open_now"]
