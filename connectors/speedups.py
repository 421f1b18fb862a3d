"""Performance fixes for the running Rasa 3.6 server, installed by our tracker store and REST channel.

Rasa validates every action-server reply with `jsonschema.validate(result, spec)`, which re-checks the spec against
its meta-schema and builds a new validator on every call: about 100 ms of CPU per action on this machine, 40 % of
the Rasa process under load (measured with py-spy, see README "Performance"). Here the validator is built once;
replies are validated exactly as before, with the same error.

Rasa also looks up every stored event's class with `Event.resolve_by_type`, which walks the whole Event class tree
(`all_subclasses`, with `inspect.isabstract` on each class) for every event of every tracker it loads: ~4 % of the
process under load. Here the first-match table is kept and rebuilt whenever a new Event subclass is defined; a name
the table does not know falls back to Rasa's own method, so defaults, "topic" and errors are unchanged.

Rasa's LogisticRegressionClassifier builds its input row with `Message.get_sparse_features`, which also combines the
sequence features, deep-copies them and joins everything with scipy's general `hstack`: ~9 % of the process under
load, for a classifier that itself takes microseconds. Here the same matrix is built directly as CSR
(`features` of nlu/faq_selector.py, which our FAQ selector uses too), and the classifier's weights are stored
column-major (`column_major`): scikit-learn's product with them copied the whole weight matrix on every prediction.

Rasa's `EndpointConfig.request` opens a new aiohttp session, and so a new TCP connection, for every action call and
closes it afterwards: ~5 % of the process under load. Here each endpoint keeps one session per event loop, whose
connections stay open between calls (closed after KEEPALIVE_SECONDS idle, before the action server would).

Once the model is loaded, the process holds ~470 000 objects tracked by Python's garbage collector (TensorFlow,
Rasa's graph and domain), and every full collection walked all of them: up to 1.3 s with the GIL held on this
machine, a stall of every thread, which set the webhook acknowledgement's p99 (README "Performance"). ``freeze_heap``
(``gc.freeze()``, run after the server started) moves them to the permanent generation, so full collections only
walk what the conversations allocated since. Those objects are never freed; a model replaced at run time
(PUT /model) stays in memory until the process restarts.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import weakref
from collections import OrderedDict
from typing import Any

import aiohttp
import ujson
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.core.policies.rule_policy import RulePolicy
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig
from scipy.sparse import csr_matrix

from connectors import dialogue_states, graph_runner
from nlu.faq_selector import column_major, features

logger = logging.getLogger(__name__)
_INSTALLED = "_conserje_cached_validator"
KEEPALIVE_SECONDS = 2.0
RASA_GET_POSSIBLE_KEYS = RulePolicy._get_possible_keys  # Rasa's own, for the table's misses (and the tests)
# Per event loop: id(endpoint) -> (the endpoint, its session). Endpoints define __eq__, so they are not hashable.
_SESSIONS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[int, tuple[weakref.ref[EndpointConfig], aiohttp.ClientSession]]
] = weakref.WeakKeyDictionary()


def install() -> None:
    """Installs every speedup below, the dask-free graph runner and the kept dialogue states (idempotent)."""
    graph_runner.install()
    dialogue_states.install()
    _install_validator()
    _install_event_resolver()
    _install_classifier_features()
    _install_kept_sessions()
    _install_rule_keys()


def _install_validator() -> None:
    """Replaces RemoteAction._validate_action_result with a cached-validator version."""
    if getattr(RemoteAction, _INSTALLED, False):
        return
    spec = RemoteAction.action_response_format_spec()
    validator_class: Any = validator_for(spec)
    validator_class.check_schema(spec)
    validator = validator_class(spec)

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as error:
            error.message += (
                ". Failed to validate Action server response from API, make sure your response from the Action "
                f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise
        return True

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    setattr(RemoteAction, _INSTALLED, True)


class _EventTypes:
    """type_name -> first class in `all_subclasses(Event)` order, invalidated whenever an Event subclass is created."""

    generation = 0
    built_for = -1
    by_name: dict[str, type[Event]] = {}

    @classmethod
    def lookup(cls, type_name: str) -> type[Event] | None:
        if cls.built_for != cls.generation:
            generation = cls.generation
            table: dict[str, type[Event]] = {}
            for subclass in all_subclasses(Event):
                table.setdefault(subclass.type_name, subclass)
            cls.by_name, cls.built_for = table, generation
        return cls.by_name.get(type_name)


def _install_event_resolver() -> None:
    """Replaces Event.resolve_by_type with a table lookup that returns the same class."""
    if getattr(Event, _INSTALLED, False):
        return
    original = Event.resolve_by_type
    previous_hook = Event.__dict__.get("__init_subclass__")

    def init_subclass(subclass: type[Event], **kwargs: Any) -> None:
        _EventTypes.generation += 1  # any new class anywhere under Event invalidates the table
        if previous_hook is not None:
            previous_hook.__func__(subclass, **kwargs)
        else:
            super(Event, subclass).__init_subclass__(**kwargs)

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        found = _EventTypes.lookup(type_name)
        if found is not None:
            return found
        return original(type_name, default)  # unknown name: Rasa's own "topic" / default / ValueError handling

    Event.__init_subclass__ = classmethod(init_subclass)  # type: ignore[assignment,method-assign]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]
    setattr(Event, _INSTALLED, True)


def _install_classifier_features() -> None:
    """LogisticRegressionClassifier: the same input matrix built directly as CSR, weights stored column-major."""
    if getattr(LogisticRegressionClassifier, _INSTALLED, False):
        return

    original_process = LogisticRegressionClassifier.process

    def create_x(self: LogisticRegressionClassifier, messages: list[Message]) -> csr_matrix:
        return features(messages)

    def process(self: LogisticRegressionClassifier, messages: list[Message]) -> list[Message]:
        column_major(self.clf)
        return original_process(self, messages)

    LogisticRegressionClassifier._create_X = create_x  # type: ignore[method-assign]
    LogisticRegressionClassifier.process = process  # type: ignore[method-assign]
    setattr(LogisticRegressionClassifier, _INSTALLED, True)


def dumps(value: Any) -> str:
    """JSON for the action calls (the whole tracker) with ujson, Rasa's own dependency: same document as json.dumps,
    about three times faster; anything ujson refuses goes through json.dumps."""
    try:
        return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False, reject_bytes=True)
    except (TypeError, OverflowError, ValueError):
        return json.dumps(value)


class _RuleKeys:
    """One rule lookup table, the most states any of its rules spans, and its answers for recent state tails."""

    kept = 4096

    def __init__(self, lookup: dict[str, str]) -> None:
        self.lookup = lookup
        self.span = max((len(RulePolicy._rule_key_to_state(key)) for key in lookup), default=0)
        self.answers: OrderedDict[tuple[Any, ...], set[str]] = OrderedDict()


def _freeze(states: list[dict[str, Any]]) -> tuple[Any, ...]:
    """A hashable copy of ``states`` (sub-state values are strings, numbers and tuples)."""
    return tuple(tuple(sorted((name, tuple(sorted(sub.items()))) for name, sub in state.items())) for state in states)


def _install_rule_keys() -> None:
    """RulePolicy._get_possible_keys answered from a table keyed by the last states only.

    A rule is checked against the conversation's states from the latest backwards, and every state older than the
    rule's own length counts as a match (``_is_rule_applicable``), so the rules that apply depend only on the last
    ``span`` states, span being the longest rule. Rasa filtered every rule against every state of the conversation,
    three times per message (~8 % of the process under load); the same tail now gives the stored answer.
    """
    if getattr(RulePolicy, _INSTALLED, False):
        return
    original = RASA_GET_POSSIBLE_KEYS

    def get_possible_keys(self: RulePolicy, lookup: dict[str, str], states: list[dict[str, Any]]) -> set[str]:
        tables: dict[int, _RuleKeys] = self.__dict__.setdefault("_conserje_rule_keys", {})
        table = tables.get(id(lookup))
        if table is None or table.lookup is not lookup:
            table = tables[id(lookup)] = _RuleKeys(lookup)
        try:
            key = _freeze(states[-table.span :] if table.span else [])
        except TypeError:  # an unhashable value in a state: no table
            return original(self, lookup, states)  # type: ignore[no-any-return]
        found = table.answers.get(key)
        if found is None:
            found = table.answers[key] = original(self, lookup, states)
            if len(table.answers) > table.kept:
                table.answers.popitem(last=False)
        return set(found)

    RulePolicy._get_possible_keys = get_possible_keys  # type: ignore[method-assign]
    setattr(RulePolicy, _INSTALLED, True)


class _KeptSession:
    """`async with` on a kept aiohttp session: entering gives the session, leaving leaves it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def _install_kept_sessions() -> None:
    """Makes EndpointConfig.request reuse one session per endpoint and event loop, with keep-alive connections."""
    if getattr(EndpointConfig, _INSTALLED, False):
        return

    def session(self: EndpointConfig) -> Any:
        kept = _SESSIONS.setdefault(asyncio.get_running_loop(), {})
        owner, found = kept.get(id(self), (None, None))
        if owner is None or owner() is not self or found is None or found.closed:
            auth = (
                aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
            )
            found = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                # Idle connections are dropped before the action server's (Sanic's 5 s) keep-alive timeout, so a
                # request never goes out on a connection the server is closing.
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
                json_serialize=dumps,
            )
            kept[id(self)] = (weakref.ref(self), found)
        return _KeptSession(found)

    EndpointConfig.session = session  # type: ignore[method-assign]
    setattr(EndpointConfig, _INSTALLED, True)


async def close_sessions() -> None:
    """Closes the sessions kept for the running event loop (call when its server stops)."""
    for _owner, session in _SESSIONS.pop(asyncio.get_running_loop(), {}).values():
        await session.close()


def freeze_heap() -> None:
    """Moves every object alive now to the garbage collector's permanent generation (call once the model is loaded)."""
    gc.collect()
    gc.freeze()
    logger.info("gc: %d objects frozen after start-up", gc.get_freeze_count())
