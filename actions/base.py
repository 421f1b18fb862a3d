"""The base of every conserje action: guest language, the hotel's clock and one place where errors become replies."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import clock, metrics
from actions.errors import ServiceError
from actions.services import Services, services

logger = logging.getLogger(__name__)


@dataclass
class Turn:
    """One action call: who is talking, in which language, when (hotel time), and the services to use."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    services: Services
    language: str
    now: datetime

    def say(self, response: str, **params: Any) -> None:
        """Sends a domain response (text lives in domain/, both languages) with its parameters."""
        self.dispatcher.utter_message(response=response, **params)

    def entity(self, name: str) -> str | None:
        """The entity's value in the latest message, if the guest gave one."""
        return next(self.tracker.get_latest_entity_values(name), None)


class HotelAction(Action, ABC):
    """Abstract base: subclasses implement ``act``; service failures become a polite reply, never raw text."""

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    @abstractmethod
    async def act(self, turn: Turn) -> list[EventType]:
        """Does the action's work for one turn."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Builds the turn and runs ``act``; a ServiceError becomes utter_service_error."""
        running = services()
        language = tracker.get_slot("language") or "es"
        turn = Turn(dispatcher, tracker, running, language, clock.now(running.profile.tz))
        started, outcome = time.perf_counter(), "error"
        try:
            events = await self.act(turn)
            outcome = "ok"
            return events
        except ServiceError as exc:
            outcome = "service_error"
            logger.warning("action_failed", extra={"action": self.name(), "error": type(exc).__name__})
            turn.say("utter_service_error", phone=running.profile.hotel.phone)
            return []
        finally:
            metrics.ACTION_SECONDS.labels(self.name(), outcome).observe(time.perf_counter() - started)
