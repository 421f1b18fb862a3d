"""Hotel information: location, opening hours (now, on a day, at a time), room photos and FAQ answers."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from rasa_sdk.events import EventType

from actions.base import HotelAction, Turn
from actions.formatting import amount, day_label, day_month, hhmm, join, schedule, spans_text
from actions.hours import spans_on, status_at
from actions.profile_models import FACILITIES, ROOM_TYPES, Facility


def _payload(intent: str, entity: str, value: str) -> str:
    return f"/{intent}{json.dumps({entity: value})}"


class ActionLocation(HotelAction):
    """Address, map link and directions, plus a location pin for channels that show one."""

    def name(self) -> str:
        """Domain name."""
        return "action_location"

    async def act(self, turn: Turn) -> list[EventType]:
        """Sends utter_location and utter_location_pin."""
        hotel = turn.services.profile.hotel
        lang = turn.language
        turn.say(
            "utter_location",
            name=hotel.name,
            address=hotel.address,
            map_url=f"https://www.google.com/maps/search/?api=1&query={hotel.latitude},{hotel.longitude}",
            eze=hotel.directions.eze.in_(lang),
            aep=hotel.directions.aep.in_(lang),
            subway=hotel.directions.subway.in_(lang),
        )
        turn.say(
            "utter_location_pin",
            latitude=hotel.latitude,
            longitude=hotel.longitude,
            name=hotel.name,
            address=hotel.address,
        )
        return []


class ActionHours(HotelAction):
    """Opening hours of a facility: the week, and whether it is open now (or on the day/time asked)."""

    def name(self) -> str:
        """Domain name."""
        return "action_hours"

    async def act(self, turn: Turn) -> list[EventType]:
        """Answers for the facility in the latest message, or offers the facilities as buttons."""
        profile = turn.services.profile
        code = turn.entity("facility")
        if code not in profile.facilities:
            buttons = [
                {
                    "title": profile.facilities[item].name.in_(turn.language),
                    "payload": _payload("ask_hours", "facility", item),
                }
                for item in FACILITIES
            ]
            turn.dispatcher.utter_message(response="utter_ask_facility", buttons=buttons)
            return []
        facility = profile.facilities[code]
        name = facility.name.in_(turn.language)
        if facility.always_open:
            turn.say("utter_hours_always", name=name)
            return []
        asked_day = _parse_date(turn.entity("date"))
        asked_time = _parse_time(turn.entity("time"))
        local_now = turn.now.replace(tzinfo=None)
        if asked_day or asked_time:
            moment_day = asked_day or local_now.date()
            self._answer_for(turn, facility, name, moment_day, asked_time)
            return []
        turn.say("utter_hours", name=name, schedule=schedule(facility, turn.language))
        self._say_status(turn, facility, name, local_now)
        return []

    def _say_status(self, turn: Turn, facility: Facility, name: str, local_now: datetime) -> None:
        status = status_at(facility, local_now)
        if status.is_open and status.open_until:
            turn.say("utter_open_now", until=hhmm(status.open_until))
        elif status.season_ends:
            turn.say(
                "utter_closed_season", name=name, date=day_month(status.season_ends + timedelta(days=1), turn.language)
            )
        elif status.next_open:
            self._say_next_opening(turn, local_now, status.next_open)

    def _say_next_opening(self, turn: Turn, local_now: datetime, opens: datetime) -> None:
        days_ahead = (opens.date() - local_now.date()).days
        if days_ahead == 0:
            turn.say("utter_closed_now_opens_today", time=hhmm(opens))
        elif days_ahead == 1:
            turn.say("utter_closed_now_opens_tomorrow", time=hhmm(opens))
        else:
            turn.say("utter_closed_now_opens_on", day=day_label(opens.date(), turn.language), time=hhmm(opens))

    def _answer_for(self, turn: Turn, facility: Facility, name: str, day: date, at: time | None) -> None:
        label = day_label(day, turn.language)
        if at is None:
            spans = [(hhmm(opens), hhmm(closes)) for opens, closes in spans_on(facility, day)]
            if spans:
                turn.say("utter_hours_on_day", day=label, name=name, spans=spans_text(spans, turn.language))
            else:
                turn.say("utter_closed_on_day", day=label, name=name)
            return
        # status_at also looks at the day before, so "Saturday at 1am" falls in Friday night's bar span.
        moment = datetime.combine(day, at)
        status = status_at(facility, moment)
        if status.is_open and status.open_until:
            turn.say("utter_open_at", day=label, time=hhmm(moment), until=hhmm(status.open_until))
        else:
            turn.say("utter_closed_at", day=label, time=hhmm(moment))


class ActionRoomPhotos(HotelAction):
    """Two photos of the asked room type with its capacity and rate, or the room types as buttons."""

    def name(self) -> str:
        """Domain name."""
        return "action_room_photos"

    async def act(self, turn: Turn) -> list[EventType]:
        """Sends utter_room_photo + utter_photo, or utter_ask_room_type with buttons."""
        profile = turn.services.profile
        code = turn.entity("room_type")
        if code not in profile.room_types:
            buttons = [
                {
                    "title": profile.room_types[item].name.in_(turn.language)[:20],
                    "payload": _payload("ask_room_photos", "room_type", item),
                }
                for item in ROOM_TYPES
                if item in profile.room_types
            ]
            turn.dispatcher.utter_message(response="utter_which_room_photos", buttons=buttons)
            return []
        room = profile.room_types[code]
        first, *others = room.photos
        turn.say(
            "utter_room_photo",
            name=room.name.in_(turn.language),
            max_guests=room.max_guests,
            rate=amount(room.rate),
            currency=profile.hotel.currency,
            image=turn.services.photo_url(first),
        )
        for photo in others:
            turn.say("utter_photo", name=room.name.in_(turn.language), image=turn.services.photo_url(photo))
        return []


class ActionFaq(HotelAction):
    """Sends the FAQ answer chosen by the ResponseSelector, filled with the hotel's facts."""

    def name(self) -> str:
        """Domain name."""
        return "action_faq"

    async def act(self, turn: Turn) -> list[EventType]:
        """Looks up the selected utter_faq/<key> and its parameters."""
        selector = turn.tracker.latest_message.get("response_selector", {})
        selected = selector.get("faq", {}).get("response", {})
        response = selected.get("utter_action") or ""
        key = response.removeprefix("utter_faq/")
        params = faq_params(turn, key)
        if params is None:
            turn.say("utter_rephrase")
            return []
        turn.say(response, **params)
        return []


def faq_params(turn: Turn, key: str) -> dict[str, object] | None:
    """The facts that fill utter_faq/<key>, or None for an unknown key."""
    profile = turn.services.profile
    faq, policies, currency = profile.faq, profile.policies, profile.hotel.currency
    lang = turn.language
    params: dict[str, dict[str, object]] = {
        "wifi": {"network": faq.wifi.get("network")},
        "parking": {
            "garage": faq.parking.get("partner_garage"),
            "price": faq.parking.get("price_per_night"),
            "currency": currency,
        },
        "pets": {
            "max_kg": faq.pets.get("max_weight_kg"),
            "price": faq.pets.get("price_per_night"),
            "currency": currency,
        },
        "breakfast_included": {
            "breakfast": profile.facilities["breakfast"].name.in_(lang),
            "schedule": schedule(profile.facilities["breakfast"], lang),
        },
        "checkin_time": {"checkin": policies.checkin_from},
        "checkout_time": {"checkout": policies.checkout_until},
        "payment_methods": {"methods": policies.payment_methods.in_(lang)},
        "cancellation_policy": {"hours": policies.cancellation.free_until_hours_before_arrival},
        "airport_transfer": {
            "eze": faq.airport_transfer.get("eze"),
            "aep": faq.airport_transfer.get("aep"),
            "currency": currency,
            "email": profile.hotel.email,
        },
        "smoking": {"area": faq.smoking.get("allowed_area")},
        "luggage_storage": {},
        "accessibility": {"rooms": join([str(room) for room in faq.accessibility.get("accessible_rooms", [])], lang)},
    }
    return params.get(key)


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _parse_time(value: str | None) -> time | None:
    try:
        return time.fromisoformat(value) if value else None
    except ValueError:
        return None
