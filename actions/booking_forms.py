"""Validation of the booking dialogue's forms: dates, guests, room type, contact details, identification."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions import clock
from actions.pms.common import MAX_NIGHTS
from actions.services import services

TRUSTED_PHONE_CHANNELS = ("whatsapp",)  # channels whose sender id is a phone number verified by the provider

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
Slots = dict[str, Any]


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


class StayValidation(FormValidationAction):
    """Shared checks of a stay: arrival not in the past, departure after it, at most MAX_NIGHTS, guests fit."""

    def name(self) -> str:
        """Overridden by each form's validator."""
        return "validate_stay"

    def _say(self, dispatcher: CollectingDispatcher, response: str, **params: Any) -> None:
        dispatcher.utter_message(response=response, **params)

    async def validate_check_in(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        """Arrival today or later (hotel time); with "N nights" and no departure, the departure follows."""
        running = services()
        arrival = _date(value)
        today = clock.now(running.profile.tz).date()
        if arrival is None or arrival < today:
            self._say(dispatcher, "utter_date_in_past")
            return {"check_in": None}
        slots: Slots = {"check_in": arrival.isoformat()}
        nights = tracker.get_slot("nights")
        if nights and not tracker.get_slot("check_out"):
            slots["check_out"] = (arrival + timedelta(days=int(nights))).isoformat()
        return slots

    async def extract_check_out(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        """Asked "until when?", the guest may answer "3 noches": the departure follows from the arrival."""
        nights = next(tracker.get_latest_entity_values("nights"), None)
        arrival = _date(tracker.get_slot("check_in"))
        if tracker.get_slot("requested_slot") != "check_out" or not nights or arrival is None:
            return {}
        return {"check_out": (arrival + timedelta(days=int(nights))).isoformat()}

    async def validate_check_out(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        """Departure after arrival, at most MAX_NIGHTS later."""
        running = services()
        departure, arrival = _date(value), _date(tracker.get_slot("check_in"))
        if departure is None:
            return {"check_out": None}
        if arrival is not None and departure <= arrival:
            self._say(dispatcher, "utter_checkout_not_after_checkin")
            return {"check_out": None}
        if arrival is not None and (departure - arrival).days > MAX_NIGHTS:
            self._say(dispatcher, "utter_too_many_nights", max=MAX_NIGHTS, email=running.profile.hotel.email)
            return {"check_in": None, "check_out": None}
        return {"check_out": departure.isoformat()}

    async def validate_guests(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        """1 to the largest room's capacity (the chosen type's, once a type is chosen)."""
        profile = services().profile
        room = profile.room_types.get(tracker.get_slot("room_type") or "")
        largest = room.max_guests if room else max(item.max_guests for item in profile.room_types.values())
        try:
            guests = int(float(value))
        except (TypeError, ValueError):
            guests = 0
        if not 1 <= guests <= largest:
            self._say(dispatcher, "utter_invalid_guests", max=largest)
            return {"guests": None}
        return {"guests": guests}


class ValidateAvailabilityForm(StayValidation):
    """availability_form: dates and guests."""

    def name(self) -> str:
        """Domain name."""
        return "validate_availability_form"


class ValidateBookingForm(StayValidation):
    """booking_form: the stay plus room type, name and email."""

    def name(self) -> str:
        """Domain name."""
        return "validate_booking_form"

    async def validate_room_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        """A room type of the hotel that fits the guests."""
        profile = services().profile
        room = profile.room_types.get(str(value))
        if room is None:
            return {"room_type": None}
        guests = tracker.get_slot("guests")
        if guests and int(float(guests)) > room.max_guests:
            self._say(dispatcher, "utter_invalid_guests", max=room.max_guests)
            return {"room_type": None}
        return {"room_type": str(value)}

    async def validate_guest_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        """A name of 2 to 100 characters with at least one letter."""
        name = " ".join(str(value or "").split())
        if not 2 <= len(name) <= 100 or not re.search(r"[^\W\d_]", name) or name.startswith("/"):
            return {"guest_name": None}
        return {"guest_name": name}

    async def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        """A plausible email address."""
        email = str(value or "").strip().lower()
        if not EMAIL.match(email) or len(email) > 254:
            self._say(dispatcher, "utter_invalid_email")
            return {"email": None}
        return {"email": email}


class ValidateLookupForm(FormValidationAction):
    """lookup_form: booking code plus surname or email (checked later, never revealed on a mismatch)."""

    def name(self) -> str:
        """Domain name."""
        return "validate_lookup_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        """Nothing to ask when the channel vouches for the sender's phone and a booking has that phone."""
        if tracker.get_latest_input_channel() in TRUSTED_PHONE_CHANNELS:
            if await services().pms.find_reservations(phone=tracker.sender_id):
                return []
        return domain_slots

    async def validate_booking_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        """Upper case letters and digits only."""
        code = re.sub(r"[^A-Za-z0-9]", "", str(value or "")).upper()
        return {"booking_code": code if 4 <= len(code) <= 16 else None}

    async def validate_verifier(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Slots:
        """Any non-empty text: whether it matches is decided when the booking is looked up."""
        text = " ".join(str(value or "").split())
        return {"verifier": text[:254] or None}
