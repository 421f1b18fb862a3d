"""With the trained model: the dask-free graph runner and the RulePolicy rule-key table give exactly what Rasa's own
code gives (connectors/graph_runner.py, connectors/speedups.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import (
    ActionExecuted,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Restarted,
    UserUtteranceReverted,
)
from rasa.shared.core.generator import TrackerWithCachedStates, TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from connectors import dialogue_states, graph_runner, speedups
from scripts.train import ROOT, ensure_model
from tests.nlu.evaluate import load_agent

MESSAGES = [
    "hola",
    "is the pool open now?",
    "¿dónde queda el hotel?",
    "quiero reservar una suite junior del 12 al 15 de diciembre para 2",
    "late checkout please",
    "my booking is CNS-7K2P9Q",
    "🙂",
    "x" * 300,
    "hablame en inglés",
    "what time is breakfast tomorrow?",
]


@pytest.fixture(scope="module")
def agent() -> Iterator[Agent]:
    """The trained model with every speedup installed, as the Rasa server runs it."""
    speedups.install()
    yield load_agent(ensure_model())


@pytest.fixture(scope="module")
def trackers(agent: Agent) -> list[TrackerWithCachedStates]:
    """The conversations Rasa trains on (stories and rules, no augmentation)."""
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain"), [str(ROOT / "data")]
    )
    generator = TrainingDataGenerator(
        importer.get_stories(), agent.domain, augmentation_factor=0, use_story_concatenation=False
    )
    return generator.generate()


def _rule_policy(agent: Agent) -> RulePolicy:
    runner = agent.processor.graph_runner  # type: ignore[union-attr]
    found = [node._component for node in runner._instantiated_nodes.values() if isinstance(node._component, RulePolicy)]
    assert len(found) == 1
    return found[0]


def _comparable(parse: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in parse.items() if key != "metadata"}


async def test_parse_is_the_same_without_dask(agent: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
    processor = agent.processor
    assert processor is not None
    ours = [_comparable(await processor.parse_message(UserMessage(text))) for text in MESSAGES]
    monkeypatch.setattr(DaskGraphRunner, "run", graph_runner.DASK_RUN)
    dask = [_comparable(await processor.parse_message(UserMessage(text))) for text in MESSAGES]
    assert ours == dask
    assert {parse["intent"]["name"] for parse in ours} >= {"greet", "ask_hours", "ask_location"}


def test_predictions_are_the_same_without_dask(
    agent: Agent, trackers: list[TrackerWithCachedStates], monkeypatch: pytest.MonkeyPatch
) -> None:
    processor = agent.processor
    assert processor is not None

    def predictions() -> list[tuple[Any, ...]]:
        found = []
        for training in trackers[:150]:
            tracker = DialogueStateTracker.from_events(training.sender_id, training.events, agent.domain.slots)
            prediction = processor._predict_next_with_tracker(tracker)
            found.append((prediction.max_confidence_index, prediction.policy_name, prediction.events))
        return found

    ours = predictions()
    monkeypatch.setattr(DaskGraphRunner, "run", graph_runner.DASK_RUN)
    assert ours == predictions()


def test_rule_keys_are_rasas_for_every_turn_of_the_training_conversations(
    agent: Agent, trackers: list[TrackerWithCachedStates]
) -> None:
    policy = _rule_policy(agent)
    checked = 0
    for tracker in trackers:
        states = tracker.past_states(agent.domain)
        for end in range(1, len(states) + 1):
            for lookup in (policy.lookup[RULES], policy.lookup[RULES_FOR_LOOP_UNHAPPY_PATH]):
                expected = speedups.RASA_GET_POSSIBLE_KEYS(policy, lookup, states[:end])
                assert policy._get_possible_keys(lookup, states[:end]) == expected
                assert policy._get_possible_keys(lookup, states[:end]) == expected  # from the table this time
                checked += 1
    assert checked > 500
    tables = policy.__dict__["_conserje_rule_keys"]
    assert any(table.answers for table in tables.values())


def test_dialogue_states_are_rasa_s_after_every_event(agent: Agent, trackers: list[TrackerWithCachedStates]) -> None:
    domain, compared, replays = agent.domain, 0, {}  # replays held, so no id is reused
    for training in trackers:
        tracker = DialogueStateTracker(training.sender_id, domain.slots)
        for event in training.events:
            tracker.update(event)
            assert tracker.past_states(domain) == dialogue_states.RASA_PAST_STATES(tracker, domain)
            replay = tracker.__dict__["_conserje_replay"]
            replays[id(replay)] = replay
            compared += 1
        # The latest message edited in place (featurization, entities), then history rewritten: the guest's last
        # message taken back, then a restart.
        edits = [DefinePrevUserUtteredFeaturization(True), EntitiesAdded([{"entity": "facility", "value": "pool"}])]
        for event in (*edits, UserUtteranceReverted(), Restarted(), ActionExecuted("action_listen")):
            tracker.update(event)
            assert tracker.past_states(domain) == dialogue_states.RASA_PAST_STATES(tracker, domain)
        assert tracker.past_states(domain, omit_unset_slots=True) == dialogue_states.RASA_PAST_STATES(
            tracker, domain, omit_unset_slots=True
        )
    assert compared > 300
    assert len(replays) < compared / 3  # kept and extended, not rebuilt for every event
