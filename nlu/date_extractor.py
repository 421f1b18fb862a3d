"""Rasa entity extractor for dates, times and nights (nlu/dates.py does the language work; this is the adapter).

Each message is resolved against ``actions.clock.now`` in the hotel's time zone, so ``CONSERJE_NOW`` pins what
"mañana" means in demos and end-to-end tests. Entities are appended in Rasa's format, keeping the ones already
present: ``{"entity", "value", "start", "end", "confidence": 1.0, "extractor": "DateTimeExtractor"}`` plus
``"role"`` (check_in / check_out) for the ends of a stay.

Config: ``timezone`` (an IANA name). When it is None the hotel profile's zone is used, read lazily on the first
message, because ``rasa train`` builds the component where the profile may not be available.

The component is not trainable: Rasa's default recipe builds it with ``load`` on a resource that nobody persisted
(or ``create`` while training), passing the config kept in the model's graph schema, so the config is its whole
state and ``load`` falls back to it. ``persist`` writes that config into the resource and ``load`` prefers what
it finds there, so a persist → load round trip rebuilds the identical component.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_ROLE,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
)

from actions import clock
from actions.errors import ConfigError
from nlu.dates import Found, extract
from nlu.rule_extractor import RuleEntityExtractor

PERSISTED_KEYS = ("timezone",)


def _zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` called ``name``.

    Raises:
        ConfigError: ``name`` is not a known IANA time zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"DateTimeExtractor: timezone {name!r} is not a known IANA time zone") from exc


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class DateTimeExtractor(RuleEntityExtractor):
    """Adds `date` (ISO, with role check_in/check_out for stays), `time` (HH:MM) and `nights` (int) entities."""

    CONFIG_FILE = "date_extractor.json"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults: no fixed zone, i.e. the hotel profile's time zone."""
        return {"timezone": None}

    PERSISTED_KEYS = PERSISTED_KEYS

    def setup(self) -> None:
        """A zone given in the config is validated now; the profile's is read on first use.

        Raises:
            ConfigError: the configured timezone is unknown.
        """
        self._zone: ZoneInfo | None = _zone(self._config["timezone"]) if self._config["timezone"] else None

    @property
    def zone(self) -> ZoneInfo:
        """The hotel's time zone: the configured one, else the hotel profile's (read once).

        Raises:
            ConfigError: the hotel profile cannot be loaded or names an unknown zone.
        """
        if self._zone is None:
            from actions.profile import load_profile  # the profile is file I/O: only when first needed

            self._zone = _zone(load_profile().timezone)
        return self._zone

    def entities(self, text: str) -> list[dict[str, Any]]:
        """The entities of ``text`` in Rasa's format, resolved against the clock in the hotel's zone."""
        return [self._as_entity(found) for found in extract(text, clock.now(self.zone))]

    def _as_entity(self, found: Found) -> dict[str, Any]:
        """One ``Found`` as a Rasa entity dict."""
        entity: dict[str, Any] = {
            ENTITY_ATTRIBUTE_TYPE: found.entity,
            ENTITY_ATTRIBUTE_VALUE: found.value,
            ENTITY_ATTRIBUTE_START: found.start,
            ENTITY_ATTRIBUTE_END: found.end,
            ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
        }
        if found.role:
            entity[ENTITY_ATTRIBUTE_ROLE] = found.role
        return entity
