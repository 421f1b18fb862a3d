"""Every speedup gives what Rasa's own code gives: action-result validation, event types, classifier input, requests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from aiohttp import web
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from connectors import speedups
from scripts.stack import free_port

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


def _rasa_create_x(messages: list) -> object:
    """Rasa's own LogisticRegressionClassifier._create_X, re-implemented from its source for comparison."""
    from scipy.sparse import csr_matrix, hstack, vstack

    rows = []
    for message in messages:
        sparse = message.get_sparse_features(attribute="text")[1]
        dense = message.get_dense_features(attribute="text")[1]
        rows.append(
            hstack([csr_matrix(sparse.features if sparse else []), csr_matrix(dense.features if dense else [])])
        )
    return vstack(rows)


def test_classifier_input_matches_rasa(tmp_path: Path) -> None:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    storage, context = LocalModelStorage(tmp_path), ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    words = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("words"), context
    )
    letters_config = {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "max_ngram": 3}
    letters = CountVectorsFeaturizer.create(letters_config, storage, Resource("letters"), context)
    examples = {"hola che": "greet", "buen día": "greet", "is the pool open": "pool", "pool hours": "pool"}
    data = TrainingData([Message(data={"text": text, "intent": intent}) for text, intent in examples.items()])
    tokenizer.process_training_data(data)
    for featurizer in (words, letters):
        featurizer.train(data)
    messages = [Message(data={"text": text}) for text in ("hola", "the pool is open now?", "zzz")]
    tokenizer.process(messages)
    # Sparse, then a dense featurizer, then sparse again: Rasa puts every sparse feature before the dense ones.
    words.process(messages)
    for index, message in enumerate(messages):
        message.add_features(Features(np.array([[0.5, 0.0, float(index)]]), "sentence", "text", "dense_x"))
    letters.process(messages)
    expected = _rasa_create_x(messages).toarray()
    speedups.install()
    actual = LogisticRegressionClassifier._create_X(object(), messages).toarray()  # type: ignore[arg-type]
    assert actual.shape == expected.shape
    assert (actual == expected).all()
    assert actual[:, -3:].tolist() == [[0.5, 0.0, 0.0], [0.5, 0.0, 1.0], [0.5, 0.0, 2.0]]

    # The classifier itself: same intents and confidences as scikit-learn's usual (row-major) weights give.
    words.process_training_data(data)  # the same feature order as the messages above
    for index, message in enumerate(data.training_examples):
        message.add_features(Features(np.array([[0.5, 0.0, float(index)]]), "sentence", "text", "dense_x"))
    letters.process_training_data(data)
    classifier = LogisticRegressionClassifier.create({}, storage, Resource("intents"), context)
    classifier.train(data)
    classifier.process(messages)
    assert classifier.clf.coef_.flags.f_contiguous
    row_major = np.ascontiguousarray(classifier.clf.coef_)
    classifier.clf.coef_ = row_major
    expected_confidences = classifier.clf.predict_proba(_rasa_create_x(messages)).max(axis=1)
    assert [message.get("intent")["confidence"] for message in messages] == pytest.approx(expected_confidences.tolist())


async def _serve(port: int, peers: list[object]) -> web.AppRunner:
    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        return web.json_response({"secret": request.headers.get("X-Secret"), "got": await request.json()})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def test_endpoint_requests_share_a_connection_and_survive_a_server_restart() -> None:
    port, peers = free_port(), []
    runner = await _serve(port, peers)
    speedups.install()
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Secret": "s3"})
    try:
        replies = [await endpoint.request(json={"n": n}) for n in range(3)]
        assert replies == [{"secret": "s3", "got": {"n": n}} for n in range(3)]
        assert len(peers) == 3
        assert len(set(peers)) == 1  # one kept-alive connection, not one per request
        await runner.cleanup()  # the action server restarts: its end of the kept connection closes
        runner = await _serve(port, peers)
        assert await endpoint.request(json={"n": 3}) == {"secret": "s3", "got": {"n": 3}}
        assert peers[-1] != peers[0]
    finally:
        await speedups.close_sessions()
        await runner.cleanup()


@pytest.mark.parametrize(
    "value",
    [
        {"tracker": {"events": [{"event": "user", "text": "¿pileta abierta? 🙂 a/b", "confidence": 0.1 + 0.2}]}},
        {"n": [1, 2.5, None, True, 1e300, -0.0], "nested": {"1": "x", "ñ": ["\u2028", "\\"]}},
        {1: "int key", "big": 2**70},
    ],
)
def test_action_call_json_is_the_same_document(value: dict) -> None:
    assert json.loads(speedups.dumps(value)) == json.loads(json.dumps(value))


def test_action_call_json_keeps_nan_as_json_module_does() -> None:
    assert speedups.dumps({"x": float("nan")}) == '{"x":NaN}'
    assert json.dumps({"x": float("nan")}) == '{"x": NaN}'
