"""A conversation's dialogue states built once per event, instead of from the first event for every prediction.

RulePolicy predicts from `tracker.past_states(domain)`: Rasa replays the whole conversation into a fresh copy of
the tracker (`generate_all_prior_trackers`) and takes the state before every action, at every prediction — three
per guest message, each longer than the last. That was ~11 % of the Rasa process under load (py-spy, README
"Performance").

Here each tracker keeps the replay: the applied events already replayed, the copy advanced through them and the
states taken so far. A later call checks that those events are still, object for object, the start of the
tracker's applied events (anything that rewrites history — a rewind, a restart, a new session — fails the check and
the replay starts over; so does a new event that edits an earlier one in place, EDITS_EARLIER), replays only the
new events, and adds the state after the last one, which is always computed afresh (it is the one callers edit in
place). States of earlier turns are shared between calls; Rasa's
prediction code only reads them.

Only the plain form is kept (``ignore_rule_only_turns`` False, which RulePolicy uses); the other forms, used by
ML policies, go to Rasa's own code. Training trackers (TrackerWithCachedStates) have their own cache and are not
touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, DefinePrevUserUtteredFeaturization, EntitiesAdded, Event
from rasa.shared.core.trackers import DialogueStateTracker

_INSTALLED = "_conserje_incremental_states"
_KEPT = "_conserje_replay"
RASA_PAST_STATES = DialogueStateTracker.past_states  # Rasa's own (the other forms, and the tests)
# Events that change an earlier event in place (the latest user message's featurization, its entities): states
# taken before them are stale, and Rasa's replay would see the changed message everywhere.
EDITS_EARLIER = (DefinePrevUserUtteredFeaturization, EntitiesAdded)


@dataclass
class _Replay:
    """The replay of one tracker's applied events for one domain and ``omit_unset_slots``."""

    domain: Domain
    omit_unset_slots: bool
    copy: DialogueStateTracker
    events: list[Event] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)  # the state before each ActionExecuted in events


def _replay(tracker: DialogueStateTracker, domain: Domain, omit_unset_slots: bool) -> _Replay:
    """The tracker's replay advanced through its current applied events."""
    applied = tracker.applied_events()
    kept: _Replay | None = tracker.__dict__.get(_KEPT)
    if (
        kept is None
        or kept.domain is not domain
        or kept.omit_unset_slots != omit_unset_slots
        or len(kept.events) > len(applied)
        or any(old is not new for old, new in zip(kept.events, applied, strict=False))
        or any(isinstance(event, EDITS_EARLIER) for event in applied[len(kept.events) :])
    ):
        kept = _Replay(domain, omit_unset_slots, tracker.init_copy())
        tracker.__dict__[_KEPT] = kept
    for event in applied[len(kept.events) :]:
        if isinstance(event, ActionExecuted):
            kept.states.append(domain._clean_state(domain.get_active_state(kept.copy, omit_unset_slots)))
        kept.copy.update(event)
        kept.events.append(event)
    return kept


def past_states(
    self: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """DialogueStateTracker.past_states: the same list, from the kept replay when the form allows it."""
    if ignore_rule_only_turns:
        return RASA_PAST_STATES(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    kept = _replay(self, domain, omit_unset_slots)
    return [*kept.states, domain._clean_state(domain.get_active_state(kept.copy, omit_unset_slots))]


def install() -> None:
    """Replaces DialogueStateTracker.past_states (idempotent)."""
    if getattr(DialogueStateTracker, _INSTALLED, False):
        return
    DialogueStateTracker.past_states = past_states  # type: ignore[method-assign]
    setattr(DialogueStateTracker, _INSTALLED, True)
