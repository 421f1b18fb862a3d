"""Language of each guest message (Spanish or English), as a `language` entity that fills the `language` slot.

Decision order, so that the assistant answers in the guest's language and never flips on noise:
1. an explicit request ("hablame en inglés", "in Spanish please") wins;
2. messages of one or two words are judged by a small lexicon of unmistakable words ("hola", "thanks");
3. longer messages go to lingua (its models ship inside the package), accepted only above a confidence margin.
When nothing is clear ("ok", "wifi?", "spa"), no entity is emitted and the slot keeps the conversation's language.
"""

from __future__ import annotations

import re
from typing import Any

from lingua import Language, LanguageDetectorBuilder
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

ENTITY = "language"
# Whole words only: letters inside a booking code ("BHA8SI") or a time ("1pm") say nothing about the language.
_WORD = re.compile(r"(?<![\w])[a-záéíóúñü']+(?![\w])")
_SWITCH = re.compile(r"\b(?:(english|ingl[eé]s)|(spanish|espa[nñ]ol|castellano))\b", re.IGNORECASE)
_NEGATED = re.compile(r"\b(no|not|don'?t|do not|can'?t|cannot|no s[eé])\b[\w\s']{0,15}$", re.IGNORECASE)
_OTHER = {"en": "es", "es": "en"}
_LEXICON = {
    "es": {
        "hola",
        "buenas",
        "buenos",
        "buen",
        "gracias",
        "chau",
        "chao",
        "adiós",
        "adios",
        "si",
        "sí",
        "dale",
        "porfa",
        "favor",
        "qué",
        "que",
        "dónde",
        "donde",
        "cuándo",
        "cuando",
        "cómo",
        "como",
        "hay",
        "tenés",
        "tienen",
        "pileta",
        "piscina",
        "desayuno",
        "gimnasio",
        "ayuda",
        "perfecto",
        "genial",
        "listo",
        "claro",
        "nada",
        "horario",
        "horarios",
        "habitación",
        "habitacion",
        "fotos",
        "recepción",
        "recepcion",
        "bárbaro",
        "joya",
        "ubicación",
        "ubicacion",
        "dirección",
        "direccion",
        "estacionamiento",
        "cochera",
        "mascotas",
        "día",
        "dia",
    },
    "en": {
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "please",
        "yes",
        "yeah",
        "yep",
        "nope",
        "bye",
        "goodbye",
        "what",
        "where",
        "when",
        "how",
        "the",
        "is",
        "pool",
        "breakfast",
        "gym",
        "help",
        "great",
        "cool",
        "sure",
        "awesome",
        "hours",
        "room",
        "rooms",
        "photos",
        "pictures",
        "reception",
        "location",
        "address",
        "parking",
        "pets",
        "morning",
        "evening",
        "cheers",
        "you",
    },
}
_LINGUA = {Language.SPANISH: "es", Language.ENGLISH: "en"}


def _requested_language(text: str) -> tuple[str, int, int] | None:
    """A language the guest names: the last one not negated ("no hablo inglés" asks for Spanish)."""
    chosen = None
    for found in _SWITCH.finditer(text):
        named = "en" if found.group(1) else "es"
        if _NEGATED.search(text[: found.start()]):
            chosen = chosen or (_OTHER[named], found.start(), found.end())
        else:
            chosen = (named, found.start(), found.end())
    return chosen


def _lexicon_vote(words: list[str]) -> str | None:
    votes = {lang: sum(word in vocab for word in words) for lang, vocab in _LEXICON.items()}
    best = max(votes, key=lambda lang: votes[lang])
    if votes[best] and list(votes.values()).count(votes[best]) == 1:
        return best
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds a `language` entity (es | en) to messages whose language is clear."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults: lingua's answer counts when its top language leads by `min_margin`."""
        return {"min_margin": 0.3, "lexicon_max_words": 2}

    def __init__(self, config: dict[str, Any]) -> None:
        """Builds the detector for the two languages, models preloaded so the first message is not slow."""
        self._config = config
        self._detector = LanguageDetectorBuilder.from_languages(*_LINGUA).with_preloaded_language_models().build()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        """Creates the component (it has nothing to train)."""
        return cls(config)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LanguageDetector:
        """Loads the component: its whole state is its config, which the graph schema persists."""
        return cls(config)

    def detect(self, text: str) -> tuple[str, int, int] | None:
        """The language of ``text`` with the span that decided it, or None when it is not clear."""
        switch = _requested_language(text)
        if switch:
            return switch
        words = _WORD.findall(text.lower())
        if not words:
            return None
        if len(words) <= self._config["lexicon_max_words"]:
            voted = _lexicon_vote(words)
            return (voted, 0, len(text)) if voted else None
        values = self._detector.compute_language_confidence_values(text)
        if len(values) >= 2 and values[0].value - values[1].value >= self._config["min_margin"]:
            return _LINGUA[values[0].language], 0, len(text)
        voted = _lexicon_vote(words)
        return (voted, 0, len(text)) if voted else None

    def process(self, messages: list[Message]) -> list[Message]:
        """Appends the `language` entity to each message whose language is clear."""
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or text.startswith("/"):
                continue  # button payloads carry no language
            found = self.detect(text)
            if found:
                language, start, end = found
                entity = {"entity": ENTITY, "value": language, "start": start, "end": end, "confidence": 1.0}
                entities = [*message.get(ENTITIES, []), *self.add_extractor_name([entity])]
                message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data is left as it is: the language entity is never trained."""
        return training_data
