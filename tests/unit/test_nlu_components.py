"""Language detector and vocabulary guard: behaviour and the persist → load round trip in real model storage."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.language import LanguageDetector
from nlu.vocabulary import VocabularyGuard


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hola", "es"),
        ("thanks!", "en"),
        ("a qué hora abre la pileta", "es"),
        ("is the pool open now?", "en"),
        ("che, el gym abre los domingos?", "es"),
        ("do you have parking", "en"),
        ("hablame en inglés", "en"),
        ("in Spanish please", "es"),
        ("prefiero castellano", "es"),
        ("i don't speak spanish", "en"),
        ("no hablo inglés, en español porfa", "es"),
        ("no hablo inglés", "es"),
        ("ok", None),
        ("wifi?", None),
        ("spa", None),
        ("no", None),
        ("😀😀", None),
        ("/greet", None),
        ("BHA8SI", None),  # booking codes hold letters, never a language ("SI")
        ("8S9Q4U", None),
        ("until 1pm please", "en"),
    ],
)
def test_language_detection(storage: LocalModelStorage, text: str, language: str | None) -> None:
    detector = LanguageDetector.create(LanguageDetector.get_default_config(), storage, Resource("lang"), _context())
    message = Message(data={"text": text})
    detector.process([message])
    found = [entity["value"] for entity in message.get("entities", []) if entity["entity"] == "language"]
    assert found == ([language] if language else [])


def test_language_detector_load_round_trip(storage: LocalModelStorage) -> None:
    config = {**LanguageDetector.get_default_config(), "min_margin": 0.5}
    loaded = LanguageDetector.load(config, storage, Resource("lang"), _context())
    message = Message(data={"text": "where is the hotel?"})
    loaded.process([message])
    assert message.get("entities")[0]["value"] == "en"
    assert message.get("entities")[0]["extractor"] == "LanguageDetector"


def test_vocabulary_guard_round_trip_and_fallback(storage: LocalModelStorage) -> None:
    resource = Resource("vocabulary")
    guard = VocabularyGuard.create(VocabularyGuard.get_default_config(), storage, resource, _context())
    examples = [Message(data={"text": text, "intent": "greet"}) for text in ("hola buen día", "where is the pool")]
    guard.train(TrainingData(examples))
    loaded = VocabularyGuard.load(VocabularyGuard.get_default_config(), storage, resource, _context())
    assert loaded.vocabulary == {"hola", "buen", "día", "where", "is", "the", "pool"}
    messages = [
        Message(data={"text": text, "intent": {"name": "greet", "confidence": 0.9}})
        for text in ("asdf qwer", "123456", "holaa", "wheree is the pol", "/greet", "🙂")
    ]
    loaded.process(messages)
    assert [message.get("intent")["name"] for message in messages] == [
        "nlu_fallback",
        "nlu_fallback",
        "greet",
        "greet",
        "greet",
        "nlu_fallback",
    ]
    assert messages[0].get("intent_ranking")[0]["name"] == "nlu_fallback"
    code = Message(data={"text": "JESH96", "entities": [{"entity": "booking_code", "value": "JESH96"}]})
    loaded.process([code])
    assert code.get("intent") is None  # an extracted entity is an answer, not gibberish
    gibberish = Message(data={"text": "blorf snark quibble", "entities": [{"entity": "language", "value": "en"}]})
    loaded.process([gibberish])
    assert gibberish.get("entities") == []
