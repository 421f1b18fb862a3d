"""Guests, booking codes and email addresses in Spanish or English guest messages: the Rasa component for them.

``extract(text)`` returns ``Found`` items (nlu/dates.py) with character offsets into the original text, sorted by
start and never overlapping: emails first, then booking codes, then guest counts. The rules for each live in
nlu/booking_codes.py (``email``, ``booking_code``) and nlu/guests.py (``guests``); this module combines them and
holds the Rasa component ``BookingEntityExtractor``, which appends these entities to the ones already in the
message. config.yml and trained models name the component by its path here, nlu.booking.BookingEntityExtractor.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
)

from actions.errors import ConfigError
from nlu.booking_codes import find_booking_codes, find_emails, non_overlapping
from nlu.dates import Found
from nlu.guests import MAX_GUESTS, find_guests
from nlu.rule_extractor import RuleEntityExtractor

PERSISTED_KEYS = ("max_guests",)


def extract(text: str, max_guests: int = MAX_GUESTS) -> list[Found]:
    """Emails, booking codes and guest counts in ``text``, sorted by start; an email's text yields nothing else.

    Args:
        text: the guest's message, as typed.
        max_guests: the largest guest count accepted (bigger numbers are not read as guests).

    Returns:
        One ``Found`` per entity, never overlapping.
    """
    emails = find_emails(text)
    codes = non_overlapping(find_booking_codes(text), emails)
    guests = non_overlapping(find_guests(text, max_guests), emails + codes)
    return sorted(emails + codes + guests, key=lambda item: item.start)


# --- the Rasa component ----------------------------------------------------------------------------------------


def _max_guests(value: Any) -> int:
    """The validated ``max_guests`` setting.

    Raises:
        ConfigError: it is not a positive integer.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"BookingEntityExtractor: max_guests must be a positive integer, not {value!r}")
    return value


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class BookingEntityExtractor(RuleEntityExtractor):
    """Adds `guests` (int), `booking_code` (upper case) and `email` (lower case) entities.

    Not trainable: the config is the whole state (see nlu/rule_extractor.py for persist and load).
    """

    CONFIG_FILE = "booking_extractor.json"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults: guest counts up to MAX_GUESTS."""
        return {"max_guests": MAX_GUESTS}

    PERSISTED_KEYS = PERSISTED_KEYS

    def setup(self) -> None:
        """Validates the config.

        Raises:
            ConfigError: ``max_guests`` is not a positive integer.
        """
        self._max_guests = _max_guests(self._config["max_guests"])

    def entities(self, text: str) -> list[dict[str, Any]]:
        """The entities of ``text`` in Rasa's format."""
        return [
            {
                ENTITY_ATTRIBUTE_TYPE: found.entity,
                ENTITY_ATTRIBUTE_VALUE: found.value,
                ENTITY_ATTRIBUTE_START: found.start,
                ENTITY_ATTRIBUTE_END: found.end,
                ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
            }
            for found in extract(text, self._max_guests)
        ]
