"""Reservation actions: offers, booking summary and booking, looking up and cancelling a booking.

A booking is only shown or cancelled for a guest who proved it is theirs: the booking code plus the surname or
email on it, or a WhatsApp sender whose phone is on the booking. A mismatch and an unknown code get the same reply.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import date

from rasa_sdk.events import EventType, SlotSet

from actions.base import HotelAction, Turn
from actions.booking_forms import TRUSTED_PHONE_CHANNELS
from actions.formatting import amount, day_label
from actions.pms.models import BookingRequest, Offer, Reservation
from actions.pms.port import InvalidStay, RoomUnavailable
from actions.qr import send_qr


def _fold(text: str) -> str:
    """Lower case without accents, for comparing surnames."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)).strip()


def _stay(turn: Turn) -> tuple[date, date, int] | None:
    slots = turn.tracker.slots
    try:
        return (
            date.fromisoformat(slots["check_in"]),
            date.fromisoformat(slots["check_out"]),
            int(float(slots["guests"])),
        )
    except (KeyError, TypeError, ValueError):
        return None


def say_offers(turn: Turn, offers: list[Offer], check_in: date, check_out: date, guests: int) -> None:
    """The offers as lines plus one button per room type, or the no-availability reply."""
    profile, lang = turn.services.profile, turn.language
    dates = {"check_in": day_label(check_in, lang), "check_out": day_label(check_out, lang), "guests": guests}
    if not offers:
        turn.say("utter_no_availability", **dates)
        return
    turn.say("utter_offers", nights=(check_out - check_in).days, **dates)
    buttons = []
    for offer in offers:
        name = profile.room_types[offer.room_type].name.in_(lang)
        turn.say(
            "utter_offer",
            room=name,
            currency=offer.currency,
            rate=amount(offer.nightly_rate),
            total=amount(offer.total),
        )
        buttons.append(
            {"title": name[:20], "payload": "/make_reservation" + json.dumps({"room_type": offer.room_type})}
        )
    turn.dispatcher.utter_message(response="utter_choose_offer", buttons=buttons)


async def identify(turn: Turn) -> Reservation | None:
    """The guest's booking when they proved it is theirs, else None."""
    pms, slots = turn.services.pms, turn.tracker.slots
    code = (slots.get("booking_code") or "").upper()
    if turn.tracker.get_latest_input_channel() in TRUSTED_PHONE_CHANNELS:
        mine = await pms.find_reservations(phone=turn.tracker.sender_id)
        chosen = [item for item in mine if item.code == code] or ([] if code else mine[-1:])
        if chosen:
            return chosen[0]
    if not code:
        return None
    reservation = await pms.get_reservation(code)
    verifier = _fold(slots.get("verifier") or "")
    if reservation is None or not verifier:
        return None
    if (
        verifier == reservation.email.lower()
        or verifier == _fold(reservation.surname)
        or verifier == _fold(reservation.guest_name)
    ):
        return reservation
    return None


def _details(turn: Turn, reservation: Reservation) -> dict[str, object]:
    lang = turn.language
    return {
        "code": reservation.code,
        "room": turn.services.profile.room_types[reservation.room_type].name.in_(lang),
        "check_in": day_label(reservation.check_in, lang),
        "check_out": day_label(reservation.check_out, lang),
        "guests": reservation.guests,
        "name": reservation.guest_name,
        "currency": reservation.currency,
        "total": amount(reservation.total),
        "checkin_time": reservation.checkin_time,
        "checkout_time": reservation.checkout_time,
    }


# The code and the proof are asked again next time. (lookup_purpose is left alone: it is featurised, the rules
# that end here were learnt with it set, and the next my_reservation/cancel_reservation sets it anew.)
FORGET_LOOKUP = [SlotSet("booking_code", None), SlotSet("verifier", None)]


class ActionShowOffers(HotelAction):
    """After availability_form: the PMS's offers for the stay."""

    def name(self) -> str:
        """Domain name."""
        return "action_show_offers"

    async def act(self, turn: Turn) -> list[EventType]:
        """Asks the PMS (through its resilience wrappers) and lists the offers."""
        stay = _stay(turn)
        if stay is None:
            turn.say("utter_rephrase")
            return []
        check_in, check_out, guests = stay
        offers = await turn.services.pms.availability(check_in, check_out, guests, turn.tracker.get_slot("room_type"))
        if not offers and turn.tracker.get_slot("room_type"):
            offers = await turn.services.pms.availability(check_in, check_out, guests)
        say_offers(turn, offers, check_in, check_out, guests)
        return [SlotSet("room_type", None)]


class ActionBookingSummary(HotelAction):
    """After booking_form: the summary with the price, and a yes/no."""

    def name(self) -> str:
        """Domain name."""
        return "action_booking_summary"

    async def act(self, turn: Turn) -> list[EventType]:
        """Prices the stay from the PMS and asks for confirmation."""
        stay = _stay(turn)
        room_type = turn.tracker.get_slot("room_type")
        if stay is None or not room_type:
            turn.say("utter_rephrase")
            return []
        check_in, check_out, guests = stay
        offers = await turn.services.pms.availability(check_in, check_out, guests, room_type)
        if not offers:
            turn.say("utter_room_taken")
            say_offers(
                turn, await turn.services.pms.availability(check_in, check_out, guests), check_in, check_out, guests
            )
            return [SlotSet("room_type", None)]
        offer, lang = offers[0], turn.language
        turn.say(
            "utter_booking_summary",
            room=turn.services.profile.room_types[room_type].name.in_(lang),
            check_in=day_label(check_in, lang),
            check_out=day_label(check_out, lang),
            nights=offer.nights,
            guests=guests,
            name=turn.tracker.get_slot("guest_name"),
            email=turn.tracker.get_slot("email"),
            currency=offer.currency,
            total=amount(offer.total),
        )
        return []


class ActionBook(HotelAction):
    """The guest said yes: book a concrete room, or explain it was taken and offer the alternatives."""

    def name(self) -> str:
        """Domain name."""
        return "action_book"

    async def act(self, turn: Turn) -> list[EventType]:
        """Creates the reservation in the PMS and returns its code."""
        stay, room_type = _stay(turn), turn.tracker.get_slot("room_type")
        if stay is None or not room_type:
            turn.say("utter_rephrase")
            return []
        check_in, check_out, guests = stay
        channel = turn.tracker.get_latest_input_channel()
        request = BookingRequest(
            room_type,
            check_in,
            check_out,
            guests,
            turn.tracker.get_slot("guest_name") or "",
            turn.tracker.get_slot("email") or "",
            turn.tracker.sender_id if channel in TRUSTED_PHONE_CHANNELS else None,
        )
        try:
            reservation = await turn.services.pms.create_reservation(request)
        except (RoomUnavailable, InvalidStay):
            turn.say("utter_room_taken")
            say_offers(
                turn, await turn.services.pms.availability(check_in, check_out, guests), check_in, check_out, guests
            )
            return [SlotSet("room_type", None)]
        turn.say(
            "utter_booked",
            code=reservation.code,
            check_in=day_label(check_in, turn.language),
            checkin_time=reservation.checkin_time,
        )
        await send_qr(turn, reservation, asked=False)
        return [SlotSet("booking_code", reservation.code), SlotSet("room_type", None)]


class ActionShowReservation(HotelAction):
    """my_reservation: the booking of an identified guest."""

    def name(self) -> str:
        """Domain name."""
        return "action_show_reservation"

    async def act(self, turn: Turn) -> list[EventType]:
        """Shows the booking, or the same not-found reply for unknown codes and wrong surnames."""
        reservation = await identify(turn)
        if reservation is None:
            turn.say("utter_reservation_not_found", phone=turn.services.profile.hotel.phone)
        elif reservation.status == "cancelled":
            turn.say("utter_reservation_cancelled", **_details(turn, reservation))
        else:
            turn.say("utter_reservation", **_details(turn, reservation))
        return FORGET_LOOKUP


class ActionCancelQuote(HotelAction):
    """cancel_reservation: states the policy outcome (free or first night) and asks for confirmation."""

    def name(self) -> str:
        """Domain name."""
        return "action_cancel_quote"

    async def act(self, turn: Turn) -> list[EventType]:
        """Quotes the cancellation for the identified booking."""
        reservation = await identify(turn)
        phone = turn.services.profile.hotel.phone
        if reservation is None:
            turn.say("utter_reservation_not_found", phone=phone)
            return FORGET_LOOKUP
        if reservation.status != "confirmed":
            turn.say("utter_not_cancellable", code=reservation.code, phone=phone)
            return FORGET_LOOKUP
        hours = turn.services.profile.policies.cancellation.free_until_hours_before_arrival
        if turn.now < turn.services.profile.cancellation_deadline(reservation.check_in):
            turn.say("utter_cancel_free", code=reservation.code, hours=hours)
        else:
            turn.say(
                "utter_cancel_with_penalty",
                code=reservation.code,
                hours=hours,
                currency=reservation.currency,
                penalty=amount(reservation.nightly_rate),
            )
        return [SlotSet("booking_code", reservation.code)]


class ActionCancelConfirm(HotelAction):
    """The guest confirmed: cancel in the PMS, which applies the policy again at this instant."""

    def name(self) -> str:
        """Domain name."""
        return "action_cancel_confirm"

    async def act(self, turn: Turn) -> list[EventType]:
        """Cancels the identified booking."""
        reservation = await identify(turn)
        if reservation is None or reservation.status != "confirmed":
            turn.say("utter_reservation_not_found", phone=turn.services.profile.hotel.phone)
            return FORGET_LOOKUP
        outcome = await turn.services.pms.cancel_reservation(reservation.code, turn.now)
        if outcome.free:
            turn.say("utter_cancelled_free", code=reservation.code)
        else:
            turn.say(
                "utter_cancelled_charged",
                code=reservation.code,
                currency=reservation.currency,
                penalty=amount(outcome.penalty),
            )
        return FORGET_LOOKUP
