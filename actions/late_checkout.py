"""Late checkout and early check-in in the chat: identify the stay, offer per the policy, confirm once.

request_late_checkout / request_early_checkin go through lookup_form (the WhatsApp sender's phone, or booking code
plus surname or email; see booking_forms.py), then the offer action applies the policy (stay_policy.py): the
open options as buttons, or, when the guest named a time or only one option is open, one offer with its price
that expires (STAY_OFFER_MINUTES). "Yes" re-checks and applies it (stay_requests.accept); a staff decision comes
back through EXTERNAL_stay_request_decided (action_stay_request_outcome).
"""

from __future__ import annotations

import json
from abc import ABC
from typing import Any

from rasa_sdk.events import EventType, SlotSet

from actions import stay_requests
from actions.base import HotelAction, Turn
from actions.formatting import amount, day_label
from actions.reservations import FORGET_LOOKUP, identify
from actions.stay_policy import Kind, Option, assess, limit
from actions.stay_requests import StayRequest

FORGET_OFFER = [SlotSet("stay_request", None)]
# Every reply per kind, spelt out so that `make validate` sees which responses the actions send.
REPLIES: dict[str, dict[str, str]] = {
    "late_checkout": {
        "options": "utter_late_checkout_options",
        "offer": "utter_late_checkout_offer",
        "confirmed": "utter_late_checkout_confirmed",
        "pending": "utter_late_checkout_pending",
        "rejected": "utter_late_checkout_rejected",
        "room_needed": "utter_late_checkout_room_needed",
        "stay_ended": "utter_late_checkout_stay_ended",
        "too_late": "utter_late_checkout_too_late",
        "beyond_limit": "utter_late_checkout_beyond_limit",
        "not_needed": "utter_late_checkout_not_needed",
        "already_arranged": "utter_late_checkout_already_arranged",
    },
    "early_checkin": {
        "options": "utter_early_checkin_options",
        "offer": "utter_early_checkin_offer",
        "confirmed": "utter_early_checkin_confirmed",
        "pending": "utter_early_checkin_pending",
        "rejected": "utter_early_checkin_rejected",
        "room_needed": "utter_early_checkin_room_needed",
        "stay_ended": "utter_early_checkin_stay_ended",
        "too_late": "utter_early_checkin_too_late",
        "beyond_limit": "utter_early_checkin_beyond_limit",
        "not_needed": "utter_early_checkin_not_needed",
        "already_arranged": "utter_early_checkin_already_arranged",
    },
}


def _price(option: Option | StayRequest, currency: str) -> dict[str, Any]:
    price = option.price if isinstance(option, Option) else option.amount
    return {"currency": currency, "price": amount(price)}


class StayOfferAction(HotelAction, ABC):
    """After lookup_form: the late checkout / early check-in options or one offer, or why it is not possible."""

    kind: Kind

    async def act(self, turn: Turn) -> list[EventType]:
        """Identifies the stay and answers per the policy."""
        done = [SlotSet("requested_time", None)]
        reservation = await identify(turn)
        if reservation is None:
            turn.say("utter_stay_not_identified", phone=turn.services.profile.hotel.phone)
            return done + FORGET_LOOKUP + FORGET_OFFER
        assessment = await assess(self.kind, turn.services.pms, turn.services.profile, reservation, turn.now)
        # A time given with the request, or typed on its own after the options ("hasta las 13", "until 2pm").
        requested = turn.tracker.get_slot("requested_time") or turn.entity("time")
        day = day_label(assessment.day, turn.language)
        if assessment.reason is None and requested is None and len(assessment.options) > 1:
            buttons = [
                {
                    "title": f"{option.time} · {reservation.currency} {amount(option.price)}",
                    "payload": f"/request_{self.kind}" + json.dumps({"time": option.time}),
                }
                for option in assessment.options
            ]
            turn.dispatcher.utter_message(response=REPLIES[self.kind]["options"], buttons=buttons, day=day)
            return done + FORGET_OFFER  # the proof stays for the button that follows; forgotten after the offer
        chosen = assessment.pick(requested)
        if isinstance(chosen, str):
            current = reservation.checkout_time if self.kind == "late_checkout" else reservation.checkin_time
            turn.say(REPLIES[self.kind][chosen], limit=assessment.limit, time=current, day=day)
            return done + FORGET_LOOKUP + FORGET_OFFER
        channel = turn.tracker.get_latest_input_channel() or "rest"
        offer = await stay_requests.create_offer(
            turn.services,
            self.kind,
            reservation,
            assessment.day,
            chosen,
            (turn.tracker.sender_id, channel, turn.language),
            turn.now,
        )
        turn.say(
            REPLIES[self.kind]["offer"],
            time=chosen.time,
            day=day,
            minutes=f"{turn.services.settings.stay_offer_minutes:g}",
            **_price(chosen, reservation.currency),
        )
        # The proof stays until yes or no, so "better until 14:00" can ask for another offer.
        return [*done, SlotSet("stay_request", str(offer.id))]


class ActionLateCheckoutOffer(StayOfferAction):
    """Late checkout options or offer."""

    kind: Kind = "late_checkout"

    def name(self) -> str:
        """Domain name."""
        return "action_late_checkout_offer"


class ActionEarlyCheckinOffer(StayOfferAction):
    """Early check-in options or offer."""

    kind: Kind = "early_checkin"

    def name(self) -> str:
        """Domain name."""
        return "action_early_checkin_offer"


async def _offer(turn: Turn) -> StayRequest | None:
    """The offer this conversation holds (never another conversation's, whatever the slot says)."""
    raw = turn.tracker.get_slot("stay_request")
    if not raw or not str(raw).isdigit():
        return None
    offer = await stay_requests.get(turn.services, int(raw))
    return offer if offer and offer.conversation_id == turn.tracker.sender_id else None


# A late checkout paid with loyalty points (points.py): no price to state, and a rejection gives the points back.
POINTS_REPLIES = {
    "confirmed": "utter_redeem_late_checkout_approved",
    "pending": "utter_redeem_late_checkout_pending",
    "rejected": "utter_redeem_late_checkout_rejected",
}


def say_outcome(turn: Turn, request: StayRequest) -> None:
    """The reply for a request's status: confirmed, waiting for staff, approved or rejected."""
    status = {"done": "confirmed", "pending": "pending", "approved": "confirmed", "rejected": "rejected"}
    outcome = status.get(request.status, "rejected")
    turn.say(
        POINTS_REPLIES[outcome] if request.points else REPLIES[request.kind][outcome],
        time=request.time,
        day=day_label(request.day, turn.language),
        phone=turn.services.profile.hotel.phone,
        points=request.points,
        **_price(request, request.currency),
    )


class ActionStayOfferAccept(HotelAction):
    """The guest said yes to the offer: re-check, then change the booking and charge once (or wait for staff)."""

    def name(self) -> str:
        """Domain name."""
        return "action_stay_offer_accept"

    async def act(self, turn: Turn) -> list[EventType]:
        """Accepts the conversation's offer; a second yes repeats the outcome without charging again."""
        offer = await _offer(turn)
        if offer is None:
            turn.say("utter_anything_else")
            return FORGET_OFFER + FORGET_LOOKUP
        outcome = await stay_requests.accept(turn.services, offer, turn.now)
        if isinstance(outcome, StayRequest):
            say_outcome(turn, outcome)
            return FORGET_OFFER + FORGET_LOOKUP
        if outcome in ("expired", "repriced", "gone"):
            turn.say("utter_stay_offer_expired")
        else:
            current = await turn.services.pms.get_reservation(offer.reservation_code)
            times = (current.checkout_time, current.checkin_time) if current else ("", "")
            turn.say(
                REPLIES[offer.kind][outcome],
                limit=limit(offer.kind, turn.services.profile),
                time=times[0] if offer.kind == "late_checkout" else times[1],
                day=day_label(offer.day, turn.language),
            )
        return FORGET_OFFER + FORGET_LOOKUP


class ActionStayOfferDecline(HotelAction):
    """The guest said no to the offer."""

    def name(self) -> str:
        """Domain name."""
        return "action_stay_offer_decline"

    async def act(self, turn: Turn) -> list[EventType]:
        """Drops the offer."""
        offer = await _offer(turn)
        if offer is not None:
            await stay_requests.decline(turn.services, offer, turn.now)
        turn.say("utter_stay_offer_declined")
        return FORGET_OFFER + FORGET_LOOKUP


class ActionStayRequestOutcome(HotelAction):
    """EXTERNAL_stay_request_decided (sent by the admin API through Rasa): tells the guest what staff decided."""

    def name(self) -> str:
        """Domain name."""
        return "action_stay_request_outcome"

    async def act(self, turn: Turn) -> list[EventType]:
        """Says approved or rejected for the request named by the trigger's entity."""
        raw = turn.entity("stay_request")
        request = await stay_requests.get(turn.services, int(raw)) if raw and str(raw).isdigit() else None
        if request is None or request.conversation_id != turn.tracker.sender_id:
            return []
        say_outcome(turn, request)
        return FORGET_OFFER
