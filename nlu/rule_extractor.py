"""Base of our rule-based entity extractors (dates, booking entities): the GraphComponent plumbing, once.

Not trainable: the config is the whole state. ``persist`` writes the keys in PERSISTED_KEYS into the component's
resource and ``load`` prefers what it finds there, falling back to the given config when nothing was persisted
(Rasa's default recipe loads non-trainable components from resources nobody wrote), so a persist → load round trip
rebuilds the same component.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, TypeVar

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)
Extractor = TypeVar("Extractor", bound="RuleEntityExtractor")


class RuleEntityExtractor(GraphComponent, EntityExtractorMixin, ABC):
    """Appends the entities that ``entities(text)`` finds to each message (button payloads are skipped)."""

    CONFIG_FILE: str
    PERSISTED_KEYS: tuple[str, ...]

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        """Keeps the config merged with the defaults, then lets the subclass validate it in ``setup``."""
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.setup()

    def setup(self) -> None:
        """Validates the config (raise ConfigError naming the key)."""

    @abstractmethod
    def entities(self, text: str) -> list[dict[str, Any]]:
        """The entities of ``text`` in Rasa's format (without the extractor name)."""

    @classmethod
    def create(
        cls: type[Extractor],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Extractor:
        """Creates the component (there is nothing to train)."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls: type[Extractor],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> Extractor:
        """Loads the component, preferring the config persisted in ``resource`` over ``config``."""
        try:
            with model_storage.read_from(resource) as directory:
                stored = rasa.shared.utils.io.read_json_file(directory / cls.CONFIG_FILE)
        except (ValueError, FileNotFoundError):
            logger.debug("%s: nothing persisted in %r, using the given config", cls.__name__, resource.name)
            stored = {}
        return cls({**config, **stored}, model_storage, resource)

    def persist(self) -> None:
        """Writes the persisted keys of the config to the component's resource."""
        with self._model_storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(
                directory / self.CONFIG_FILE, {key: self._config[key] for key in self.PERSISTED_KEYS}
            )

    @property
    def config(self) -> dict[str, Any]:
        """The effective config (defaults merged with the given one)."""
        return dict(self._config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Appends each message's entities to the ones already there."""
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or text.startswith("/"):
                continue  # button payloads carry their entities already
            extracted = self.add_extractor_name(self.entities(text))
            message.set(ENTITIES, [*message.get(ENTITIES, []), *extracted], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data is left as it is: these entities come from rules, not from training."""
        return training_data
