"""The cached action-result validator accepts and rejects exactly what Rasa's own validation does."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from connectors import speedups

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "language", "value": "es"}], "responses": [{"response": "utter_greet"}]},
]
INVALID = [
    {"events": "nope"},
    {"events": [{"no_event_key": 1}]},
    {"responses": [{"text": 5}], "events": [], "extra": []} | {"events": [{"event": 3}]},
]


@pytest.mark.parametrize("result", VALID + INVALID)
def test_same_verdict_as_rasa(result: dict) -> None:
    spec = RemoteAction.action_response_format_spec()
    try:
        validate(result, spec)
        expected_valid = True
    except ValidationError:
        expected_valid = False
    speedups.install()
    speedups.install()  # idempotent
    action = RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1/webhook"))
    if expected_valid:
        assert action._validate_action_result(result) is True
    else:
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(result)


def _rasa_resolve(type_name: str, default: type | None = None) -> type | None:
    """Rasa's own Event.resolve_by_type, re-implemented from rasa/shared/core/events.py for comparison."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    for cls in all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    if type_name == "topic":
        return None
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def test_event_resolver_matches_rasa_for_every_event_type() -> None:
    from rasa.shared.core.events import Event, UserUttered
    from rasa.shared.utils.common import all_subclasses

    speedups.install()
    speedups.install()  # idempotent
    names = {cls.type_name for cls in all_subclasses(Event)} | {"topic", "nope"}
    for name in sorted(names):
        for default in (None, UserUttered):
            try:
                expected: object = _rasa_resolve(name, default)
            except ValueError as error:
                expected = str(error)
            try:
                actual: object = Event.resolve_by_type(name, default)
            except ValueError as error:
                actual = str(error)
            assert actual == expected, name


def test_event_resolver_sees_subclasses_defined_after_install() -> None:
    from rasa.shared.core.events import Event, UserUttered

    speedups.install()
    assert Event.resolve_by_type("user") is UserUttered  # table built

    class LateEvent(UserUttered):
        type_name = "conserje_late_event"

    assert Event.resolve_by_type("conserje_late_event") is LateEvent
    assert Event.resolve_by_type("conserje_late_event") is _rasa_resolve("conserje_late_event")


def test_events_round_trip_with_resolver() -> None:
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered, deserialise_events

    speedups.install()
    events = [UserUttered("hola", {"name": "greet", "confidence": 1.0}), ActionExecuted("utter_greet"), SlotSet("a", 1)]
    assert deserialise_events([e.as_dict() for e in events]) == events
