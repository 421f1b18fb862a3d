"""Conversation actions: greeting, the fallback ladder (rephrase once, then offer a person) and handoff."""

from __future__ import annotations

from rasa_sdk.events import EventType, FollowupAction

from actions.base import HotelAction, Turn
from actions.store.models import HandoffRequest


class ActionGreet(HotelAction):
    """Greets with the hotel's name and the main options as buttons (buttons live in the response)."""

    def name(self) -> str:
        """Domain name."""
        return "action_greet"

    async def act(self, turn: Turn) -> list[EventType]:
        """Sends utter_greet."""
        turn.say("utter_greet", hotel=turn.services.profile.hotel.name)
        return []


class ActionFallback(HotelAction):
    """Low-confidence or unpredictable turn: the first time ask to rephrase, the second time offer a person."""

    def name(self) -> str:
        """Domain name."""
        return "action_fallback"

    async def act(self, turn: Turn) -> list[EventType]:
        """Rephrase, or hand over to utter_offer_handoff when the previous turn already was a fallback."""
        if self._previous_turn_was_fallback(turn):
            return [FollowupAction("utter_offer_handoff")]
        turn.say("utter_rephrase")
        return []

    def _previous_turn_was_fallback(self, turn: Turn) -> bool:
        return _bot_action_before_latest_message(turn) in (self.name(), "utter_offer_handoff")


class ActionHandoff(HotelAction):
    """Records the guest's request for a person (staff see it in the admin API) and acknowledges it."""

    def name(self) -> str:
        """Domain name."""
        return "action_handoff"

    async def act(self, turn: Turn) -> list[EventType]:
        """Stores a HandoffRequest with the conversation id and replies with its number."""
        asked_after_fallback = _bot_action_before_latest_message(turn) == "utter_offer_handoff"
        request = HandoffRequest(
            conversation_id=turn.tracker.sender_id,
            channel=turn.tracker.get_latest_input_channel() or "unknown",
            language=turn.language,
            reason="fallback" if asked_after_fallback else "asked",
            last_message=_last_guest_text(turn),
            status="open",
            created_at=turn.now,
        )
        async with turn.services.db.session() as session:
            session.add(request)
            await session.flush()
            ticket = request.id
        turn.say("utter_handoff_ack", ticket=ticket, phone=turn.services.profile.hotel.phone)
        return []


def _last_guest_text(turn: Turn) -> str | None:
    """The latest typed guest message that is not a button payload, for staff context."""
    for event in reversed(turn.tracker.events):
        text = event.get("text") if event.get("event") == "user" else None
        if text and not text.startswith("/"):
            return str(text)[:2000]
    return None


def _bot_action_before_latest_message(turn: Turn) -> str | None:
    """The last action (not action_listen) the bot ran before the guest's latest message, however many slot events
    came between."""
    users_seen = 0
    for event in reversed(turn.tracker.events):
        if event.get("event") == "user":
            users_seen += 1
        elif users_seen == 1 and event.get("event") == "action" and event.get("name") != "action_listen":
            return str(event.get("name"))
    return None
