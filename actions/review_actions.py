"""After the stay in the chat: the review request template, the rating, what went wrong, feedback, opting out.

EXTERNAL_review_request (the scheduler, through Rasa's trigger_intent on the WhatsApp channel) → the approved
template with the 1–5 quick replies; a reply ``/give_rating{"rating": n}`` → thanks, the tracked public links
(always), and for a low rating "what went wrong?" (review_feedback_form) with the manager told. Services:
actions/reviews.py and actions/review_answers.py.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import EventType, FollowupAction, SlotSet

from actions import review_answers, reviews
from actions.base import HotelAction, Turn
from actions.booking_forms import TRUSTED_PHONE_CHANNELS
from actions.pms.common import phone_digits
from actions.profile_models import HotelProfile
from actions.store.post_stay import ReviewRequestRow

PLATFORM_NAMES = {"google": "Google", "tripadvisor": "Tripadvisor", "booking": "Booking.com"}


def guest_of(turn: Turn) -> str | None:
    """The guest's key for review requests and opt-outs: their number on a phone channel, else the conversation."""
    if turn.tracker.get_latest_input_channel() in TRUSTED_PHONE_CHANNELS:
        return phone_digits(turn.tracker.sender_id)
    return None


def template(row: ReviewRequestRow, first_name: str, profile: HotelProfile, lang: str) -> dict[str, Any]:
    """The WhatsApp template message in ``lang``: the guest's first name in the body and five quick replies (ratings).

    Tagged with the request's id (``review_request``): the WhatsApp channel records the message id Meta gives it,
    so the delivery receipts count for this request (connectors/whatsapp/deliveries.py).
    """
    settings = profile.reviews.template
    buttons = [
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": str(score - 1),
            # The language rides along: a tapped quick reply skips NLU, and the reply must be in the request's.
            "parameters": [{"type": "payload", "payload": f'/give_rating{{"rating": {score}, "language": "{lang}"}}'}],
        }
        for score in range(1, 6)
    ]
    return {
        "type": "template",
        "review_request": row.id,
        "template": {
            "name": settings.name,
            "language": {"code": settings.languages[lang]},  # type: ignore[index]
            "components": [{"type": "body", "parameters": [{"type": "text", "text": first_name}]}, *buttons],
        },
    }


def request_language(turn: Turn, row: ReviewRequestRow, profile: HotelProfile) -> str:
    """The language to ask in: the one the guest wrote in (the ``guest_language`` slot, set only from the guest's
    own messages), else the request's (the country code's guess when it was scheduled)."""
    spoken = turn.tracker.get_slot("guest_language")
    if spoken in profile.reviews.template.languages:
        return str(spoken)
    return str(row.language)


class ActionReviewRequest(HotelAction):
    """Sends the review request named by the trigger's entity, unless it was answered or the guest opted out.

    It runs in the guest's WhatsApp conversation (reviews.dispatch triggers it there), so the guest's language is
    known when they ever wrote to us; the language used is stored on the request, for its reminders and the stats.
    """

    def name(self) -> str:
        """Domain name."""
        return "action_review_request"

    async def act(self, turn: Turn) -> list[EventType]:
        """The template, as a custom payload the WhatsApp channel sends as is."""
        raw = turn.entity("review_request")
        running = turn.services
        async with running.db.session() as session:
            row = await session.get(ReviewRequestRow, int(raw)) if raw and str(raw).isdigit() else None
        if row is None or row.status not in ("scheduled", "sent") or row.rating is not None:
            return []
        if phone_digits(turn.tracker.sender_id) != row.guest_key or await reviews.opted_out(running, row.guest_key):
            return []
        reservation = await running.pms.get_reservation(row.reservation_code)
        first_name = reservation.guest_name.split()[0] if reservation and reservation.guest_name.split() else "👋"
        language = request_language(turn, row, running.profile)
        if language != row.language:
            await reviews.set_language(running, row.id, language)
        turn.dispatcher.utter_message(json_message=template(row, first_name, running.profile, language))
        return []


class ActionReviewRating(HotelAction):
    """A 1–5 rating: thanks, the public links for everyone, and for a low one "what went wrong?"."""

    def name(self) -> str:
        """Domain name."""
        return "action_review_rating"

    async def act(self, turn: Turn) -> list[EventType]:
        """Records the rating on the guest's latest request and answers."""
        raw = str(turn.entity("rating") or "").strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 5:
            turn.say("utter_ask_rating")
            return []
        guest = guest_of(turn)
        channel = turn.tracker.get_latest_input_channel() or "unknown"
        conversation = (turn.tracker.sender_id, channel, turn.language)
        rated = await review_answers.rate(turn.services, guest, int(raw), conversation, turn.now) if guest else None
        if rated is None:
            turn.say("utter_review_no_request")
            return []
        turn.say("utter_review_sorry" if rated.low else "utter_review_thanks", rating=rated.rating)
        links = "\n".join(f"• {PLATFORM_NAMES.get(name, name)}: {url}" for name, url in rated.links)
        turn.say("utter_review_links", links=links)
        if rated.points:
            turn.say("utter_points_earned", points=rated.points)
        return [FollowupAction("review_feedback_form")] if rated.low else []


class ActionReviewFeedback(HotelAction):
    """Free-text feedback (the answer to "what went wrong?", or a comment the guest volunteers)."""

    def name(self) -> str:
        """Domain name."""
        return "action_review_feedback"

    async def act(self, turn: Turn) -> list[EventType]:
        """Stores it with its sentiment on the guest's latest review request, and thanks."""
        text = turn.tracker.get_slot("review_feedback") or turn.tracker.latest_message.get("text") or ""
        guest = guest_of(turn)
        if guest and text.strip() and not text.startswith("/"):
            await review_answers.feedback(turn.services, guest, text.strip())
        turn.say("utter_review_feedback_thanks")
        return [SlotSet("review_feedback", None)]


class ActionStopMessages(HotelAction):
    """The guest opts out of every proactive message, for good; confirmed."""

    def name(self) -> str:
        """Domain name."""
        return "action_stop_messages"

    async def act(self, turn: Turn) -> list[EventType]:
        """Records the opt-out (by phone number on WhatsApp, by conversation elsewhere)."""
        guest = guest_of(turn) or f"conversation:{turn.tracker.sender_id}"[:64]
        await review_answers.opt_out(turn.services, guest, turn.now)
        turn.say("utter_stop_messages_confirmed")
        return []
