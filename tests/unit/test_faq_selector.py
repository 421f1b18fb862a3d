"""The FAQ response selector: Rasa's `response_selector` output, and the persist → load round trip in model storage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.faq_selector import LinearResponseSelector, features

EXAMPLES = {
    "faq/wifi": ["tienen wifi?", "cuál es la clave del wifi", "do you have wifi", "what's the wifi password"],
    "faq/parking": ["tienen cochera?", "hay estacionamiento", "is there parking", "where can I park my car"],
    "faq/pets": ["aceptan mascotas?", "puedo ir con mi perro", "are pets allowed", "can I bring my dog"],
}
RESPONSES = {
    "utter_faq/wifi": [{"text": "Wifi: {network}"}],
    "utter_faq/parking": [{"text": "Garage: {garage}"}],
    "utter_faq/pets": [{"text": "Pets up to {max_kg} kg"}],
    "utter_greet": [{"text": "Hola"}],
}


def _context(name: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), name)


@pytest.fixture
def featurizers(tmp_path: Path) -> tuple[WhitespaceTokenizer, CountVectorsFeaturizer]:
    """The real tokenizer and featurizer of our pipeline, trained on the examples below."""
    storage = LocalModelStorage(tmp_path)
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("cvf"), _context("cvf")
    )
    return tokenizer, featurizer


def _training_data(tokenizer: WhitespaceTokenizer, featurizer: CountVectorsFeaturizer) -> TrainingData:
    examples = [
        Message(data={"text": text, "intent": "faq", "intent_response_key": key})
        for key, texts in EXAMPLES.items()
        for text in texts
    ]
    examples += [Message(data={"text": text, "intent": "greet"}) for text in ("hola", "hello", "buen día")]
    data = TrainingData(examples, responses=RESPONSES)
    tokenizer.process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)
    return data


def _parse(tokenizer: WhitespaceTokenizer, featurizer: CountVectorsFeaturizer, text: str) -> Message:
    message = Message(data={"text": text})
    tokenizer.process([message])
    featurizer.process([message])
    return message


def test_selects_the_key_and_survives_persist_and_load(
    tmp_path: Path, featurizers: tuple[WhitespaceTokenizer, CountVectorsFeaturizer]
) -> None:
    tokenizer, featurizer = featurizers
    storage, resource = LocalModelStorage(tmp_path), Resource("faq_selector")
    config = {"retrieval_intent": "faq"}
    trained = LinearResponseSelector.create(config, storage, resource, _context("selector"))
    trained.train(_training_data(tokenizer, featurizer))
    assert trained.responses == {key: value for key, value in RESPONSES.items() if key.startswith("utter_faq/")}

    loaded = LinearResponseSelector.load(config, storage, resource, _context("selector"))
    messages = [_parse(tokenizer, featurizer, text) for text in ("wifi password please", "parking for my car")]
    loaded.process(messages)
    wifi, parking = (message.get("response_selector") for message in messages)
    assert wifi["all_retrieval_intents"] == ["faq"]
    response = wifi["faq"]["response"]
    assert response["intent_response_key"] == "faq/wifi"
    assert response["utter_action"] == "utter_faq/wifi"
    assert response["responses"] == [{"text": "Wifi: {network}"}]
    assert 1 / 3 < response["confidence"] <= 1.0
    ranking = wifi["faq"]["ranking"]
    assert ranking[0]["intent_response_key"] == "faq/wifi"
    assert sorted(entry["intent_response_key"] for entry in ranking) == ["faq/parking", "faq/pets", "faq/wifi"]
    assert ranking[0]["confidence"] == response["confidence"]
    assert sum(entry["confidence"] for entry in ranking) == pytest.approx(1.0)
    assert parking["faq"]["response"]["utter_action"] == "utter_faq/parking"

    fresh, again = (_parse(tokenizer, featurizer, "do you have wifi?") for _ in range(2))
    trained.process([fresh])
    loaded.process([again])
    assert again.get("response_selector") == fresh.get("response_selector")


def test_features_are_the_sentence_features_rasa_combines(
    featurizers: tuple[WhitespaceTokenizer, CountVectorsFeaturizer],
) -> None:
    tokenizer, featurizer = featurizers
    _training_data(tokenizer, featurizer)
    messages = [_parse(tokenizer, featurizer, text) for text in ("wifi password please", "hola", "zzz qqq")]
    ours = features(messages).toarray()
    rasa = np.vstack([message.get_sparse_features("text")[1].features.toarray() for message in messages])
    assert ours.shape == rasa.shape
    assert (ours == rasa).all()
    assert ours[0].sum() > 0
    assert ours[2].sum() == 0  # unknown words: an all-zero row, not an error


def test_without_keys_to_choose_from_it_selects_nothing(
    tmp_path: Path, featurizers: tuple[WhitespaceTokenizer, CountVectorsFeaturizer]
) -> None:
    tokenizer, featurizer = featurizers
    storage, resource = LocalModelStorage(tmp_path), Resource("faq_selector")
    config = {"retrieval_intent": "booking_faq"}  # an intent with no examples in the data
    selector = LinearResponseSelector.create(config, storage, resource, _context("selector"))
    selector.train(_training_data(tokenizer, featurizer))
    loaded = LinearResponseSelector.load(config, storage, resource, _context("selector"))
    message = _parse(tokenizer, featurizer, "do you have wifi?")
    loaded.process([message])
    assert message.get("response_selector") is None
    assert loaded.retrieval_intents == ["faq"]


def test_weights_are_column_major_and_predictions_unchanged(
    tmp_path: Path, featurizers: tuple[WhitespaceTokenizer, CountVectorsFeaturizer]
) -> None:
    tokenizer, featurizer = featurizers
    storage, resource = LocalModelStorage(tmp_path), Resource("faq_selector")
    selector = LinearResponseSelector.create({}, storage, resource, _context("selector"))
    selector.train(_training_data(tokenizer, featurizer))
    loaded = LinearResponseSelector.load({}, storage, resource, _context("selector"))
    assert loaded.classifier is not None
    assert loaded.classifier.coef_.flags.f_contiguous
    rows = features([_parse(tokenizer, featurizer, text) for text in ("wifi password", "my dog", "parking")])
    column_major_probabilities = loaded.classifier.predict_proba(rows)
    loaded.classifier.coef_ = np.ascontiguousarray(loaded.classifier.coef_)  # scikit-learn's usual layout
    assert np.allclose(loaded.classifier.predict_proba(rows), column_major_probabilities, rtol=0, atol=1e-12)
