"""Sends messages made of words the assistant never saw to `nlu_fallback`.

A linear intent classifier spreads its probability over the known intents even for gibberish ("asdf", "123456",
"blorf snark"), often with high confidence, so a confidence threshold alone cannot catch it. This component
learns the training vocabulary and overrides the intent with `nlu_fallback` when fewer than `min_known_ratio` of
the message's words are known and no extractor found anything in it (a date, a booking code or an email is a
perfectly good answer inside a form); such a message says nothing about the guest's language either, so its `language`
entity (nlu/language.py) is dropped and the conversation keeps its language. Typos stay known: a word counts as
known within one deleted, added or changed letter of a training word (a SymSpell-style deletion index).
"""

from __future__ import annotations

import json
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.language import ENTITY as LANGUAGE_ENTITY

FALLBACK = "nlu_fallback"
_WORDS = re.compile(r"[^\W\d_]+")
_FILE = "vocabulary.json"


def words(text: str) -> list[str]:
    """Lower-case alphabetic words of ``text`` (digits, emoji and punctuation are not words)."""
    return _WORDS.findall(text.lower())


def _deletions(word: str) -> set[str]:
    return {word[:index] + word[index + 1 :] for index in range(len(word))}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class VocabularyGuard(GraphComponent):
    """Overrides the intent with nlu_fallback for messages of unknown words."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """`min_known_ratio`: share of known words needed; words shorter than `fuzzy_min_length` match exactly."""
        return {"min_known_ratio": 0.5, "fuzzy_min_length": 4}

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, vocabulary: set[str]
    ) -> None:
        """Keeps the vocabulary and its deletion index."""
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary
        self._deleted = {
            variant for word in vocabulary if len(word) >= config["fuzzy_min_length"] for variant in _deletions(word)
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VocabularyGuard:
        """An untrained guard (empty vocabulary)."""
        return cls(config, model_storage, resource, set())

    def train(self, training_data: TrainingData) -> Resource:
        """Learns every word of the training examples and persists the vocabulary."""
        learned = {word for example in training_data.training_examples for word in words(example.get(TEXT) or "")}
        self.vocabulary = learned
        with self._storage.write_to(self._resource) as directory:
            (directory / _FILE).write_text(json.dumps(sorted(learned), ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> VocabularyGuard:
        """Loads the persisted vocabulary."""
        with model_storage.read_from(resource) as directory:
            vocabulary = set(json.loads((directory / _FILE).read_text(encoding="utf-8")))
        return cls(config, model_storage, resource, vocabulary)

    def known(self, word: str) -> bool:
        """Whether ``word`` is a training word, or one edit away from one."""
        if word in self.vocabulary:
            return True
        if len(word) < self._config["fuzzy_min_length"]:
            return False
        variants = _deletions(word)
        return word in self._deleted or bool(variants & self.vocabulary) or bool(variants & self._deleted)

    def known_ratio(self, text: str) -> float:
        """Share of the message's words that are known (0.0 for a message with no words at all)."""
        found = words(text)
        return sum(self.known(word) for word in found) / len(found) if found else 0.0

    def process(self, messages: list[Message]) -> list[Message]:
        """Replaces the intent of unknown-word messages with nlu_fallback (button payloads are left alone)."""
        for message in messages:
            text = (message.get(TEXT) or "").strip()
            found = [entity for entity in message.get(ENTITIES, []) if entity["entity"] != LANGUAGE_ENTITY]
            if text.startswith("/") or found:
                continue
            ratio = self.known_ratio(text)
            if ratio >= self._config["min_known_ratio"]:
                continue
            fallback = {"name": FALLBACK, "confidence": round(1.0 - ratio, 3)}
            message.set(INTENT, fallback, add_to_output=True)
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(INTENT_RANKING_KEY, [fallback, *ranking], add_to_output=True)
            entities = [entity for entity in message.get(ENTITIES, []) if entity["entity"] != LANGUAGE_ENTITY]
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to training data."""
        return training_data
