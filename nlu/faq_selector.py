"""Picks the answer key of a retrieval intent (faq/wifi, faq/parking ...) with a linear classifier.

Rasa's ResponseSelector runs a TensorFlow model on every message: half of the NLU time of the Rasa process under
load (py-spy, README "Performance"). The FAQ keys are told apart by their words, so a logistic regression over the
sparse features the pipeline already computes does the same job in a fraction of a millisecond. The output is the
exact `response_selector` structure Rasa's ResponseSelector writes, so Rasa's processor (full retrieval intent names
in the tracker), action_faq and the held-out evaluation read it unchanged:

    {"all_retrieval_intents": ["faq"],
     "faq": {"response": {"responses": [...], "confidence": 0.93, "intent_response_key": "faq/wifi",
                          "utter_action": "utter_faq/wifi"},
             "ranking": [{"confidence": 0.93, "intent_response_key": "faq/wifi"}, ...]}}
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data import util
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

_MODEL = "selector.skops"
_DATA = "selector.json"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearResponseSelector(GraphComponent):
    """Selects the response key of `retrieval_intent` for every message, like Rasa's ResponseSelector."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Needs the featurizers' sentence features."""
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """`retrieval_intent`: whose keys to select; `ranking_length`: keys listed in the ranking."""
        return {"retrieval_intent": "faq", "ranking_length": 10, "max_iter": 1000, "random_state": 42}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        classifier: LogisticRegression | None = None,
        responses: dict[str, list[dict[str, Any]]] | None = None,
        retrieval_intents: list[str] | None = None,
    ) -> None:
        """A selector with its classifier (None until trained), the responses and every retrieval intent."""
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.classifier = classifier
        self.responses = responses or {}
        self.retrieval_intents = retrieval_intents or []

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearResponseSelector:
        """An untrained selector."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the classifier on the retrieval intent's examples and persists it with the responses."""
        intent = self._config["retrieval_intent"]
        examples = [
            example
            for example in training_data.intent_examples
            if example.get(INTENT) == intent and example.get(TEXT) and example.get(INTENT_RESPONSE_KEY)
        ]
        self.retrieval_intents = sorted(training_data.retrieval_intents)
        self.responses = {
            name: variations
            for name, variations in training_data.responses.items()
            if util.template_key_to_intent_response_key(name).split("/")[0] == intent
        }
        keys = sorted({example.get(INTENT_RESPONSE_KEY) for example in examples})
        if len(keys) < 2:
            self.classifier = None  # nothing to choose between: never selects
        else:
            self.classifier = LogisticRegression(
                max_iter=self._config["max_iter"], random_state=self._config["random_state"], class_weight="balanced"
            )
            self.classifier.fit(features(examples), [example.get(INTENT_RESPONSE_KEY) for example in examples])
            column_major(self.classifier)
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Writes the classifier (skops, no pickle) and the responses (JSON) to model storage."""
        with self._storage.write_to(self._resource) as directory:
            if self.classifier is not None:
                sio.dump(self.classifier, directory / _MODEL)
            data = {"responses": self.responses, "retrieval_intents": self.retrieval_intents}
            (directory / _DATA).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearResponseSelector:
        """Loads what `persist` wrote; the classifier only with the types scikit-learn's own models use."""
        with model_storage.read_from(resource) as directory:
            data = json.loads((directory / _DATA).read_text(encoding="utf-8"))
            classifier = None
            if (directory / _MODEL).exists():
                untrusted = sio.get_untrusted_types(file=directory / _MODEL)
                if untrusted:
                    raise ValueError(f"{resource.name}: unexpected types in the stored classifier: {untrusted}")
                classifier = column_major(sio.load(directory / _MODEL, trusted=[]))
        return cls(config, model_storage, resource, classifier, data["responses"], data["retrieval_intents"])

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the selected response of the retrieval intent to every message (nothing before training)."""
        if self.classifier is None or not messages:
            return messages
        probabilities = self.classifier.predict_proba(features(messages))
        keys: list[str] = [str(key) for key in self.classifier.classes_]
        for message, scores in zip(messages, probabilities, strict=True):
            order = np.argsort(-scores, kind="stable")[: max(1, self._config["ranking_length"])]
            ranking = [{PREDICTED_CONFIDENCE_KEY: float(scores[i]), INTENT_RESPONSE_KEY: keys[i]} for i in order]
            top = ranking[0]
            utter_action = util.intent_response_key_to_template_key(keys[order[0]])
            prediction = {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: self.responses.get(utter_action) or [{TEXT: keys[order[0]]}],
                    PREDICTED_CONFIDENCE_KEY: top[PREDICTED_CONFIDENCE_KEY],
                    INTENT_RESPONSE_KEY: top[INTENT_RESPONSE_KEY],
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: utter_action,
                },
                RESPONSE_SELECTOR_RANKING_KEY: ranking,
            }
            selected = dict(message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {})
            selected[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = self.retrieval_intents
            selected[self._config["retrieval_intent"]] = prediction
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selected, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to training data."""
        return training_data


def column_major(classifier: LogisticRegression) -> LogisticRegression:
    """Stores a fitted classifier's weights column-major, so that predicting does not copy them.

    scikit-learn multiplies the sparse input by `coef_.T`, which scipy needs C-contiguous: with the usual row-major
    `coef_` it copied the whole weight matrix on every prediction (~5 ms for our intent classifier under load, more
    than the rest of the NLU pipeline). The weights and the predictions are the same.
    """
    weights = getattr(classifier, "coef_", None)
    if weights is not None and not weights.flags.f_contiguous:
        classifier.coef_ = np.asfortranarray(weights)
    return classifier


def features(messages: list[Message]) -> csr_matrix:
    """One row per message: the sentence features of its text, sparse then dense, each in pipeline order.

    The same matrix as Rasa's `LogisticRegressionClassifier._create_X`, built directly as CSR: Rasa's way also
    combines the much larger sequence features and goes through scipy's general `hstack` twice per message, which
    took longer than the classifiers themselves (connectors/speedups.py installs this one for Rasa's classifier).
    """
    values: list[np.ndarray] = []
    columns: list[np.ndarray] = []
    row_ends = [0]
    width = 0
    for message in messages:
        width, stored = 0, row_ends[-1]
        sentence = [item for item in message.features if item.attribute == TEXT and item.type == FEATURE_TYPE_SENTENCE]
        for feature in sorted(sentence, key=lambda item: not item.is_sparse()):  # stable: pipeline order kept
            if feature.is_sparse():
                row = feature.features.tocoo()
                found, data = row.col, row.data
            else:
                dense = np.asarray(feature.features).ravel()
                found = np.flatnonzero(dense)
                data = dense[found]
            values.append(data)
            columns.append(found + width)
            width += feature.features.shape[-1]
            stored += len(data)
        row_ends.append(stored)
    if not values:
        return csr_matrix((len(messages), 0))
    return csr_matrix((np.concatenate(values), np.concatenate(columns), row_ends), shape=(len(messages), width))
