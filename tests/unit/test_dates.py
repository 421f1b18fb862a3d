"""Dates, times and nights in Spanish and English (nlu/dates.py) and the Rasa component around them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphNode, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.data import TrainingType
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.clock import ENV_VAR
from actions.errors import ConfigError
from nlu.date_extractor import DateTimeExtractor
from nlu.dates import Found, extract

ART = timezone(timedelta(hours=-3))
THURSDAY = datetime(2026, 12, 10, 10, 0, tzinfo=ART)  # Thursday 10 December 2026
YEAR_END = datetime(2026, 12, 28, 10, 0, tzinfo=ART)  # Monday 28 December 2026

Expected = list[tuple[str, "str | int", "str | None"]]


def values(text: str, now: datetime = THURSDAY) -> Expected:
    """(entity, value, role) of everything found in ``text``."""
    return [(found.entity, found.value, found.role) for found in extract(text, now)]


def dates(*isos: str) -> Expected:
    return [("date", iso, None) for iso in isos]


def stay(check_in: str, check_out: str) -> Expected:
    return [("date", check_in, "check_in"), ("date", check_out, "check_out")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # relative days
        ("hoy", dates("2026-12-10")),
        ("Today please", dates("2026-12-10")),
        ("Mañana", dates("2026-12-11")),
        ("manana", dates("2026-12-11")),
        ("tomorrow night", dates("2026-12-11")),
        ("pasado mañana", dates("2026-12-12")),
        ("the day after tomorrow", dates("2026-12-12")),
        ("ayer", dates("2026-12-09")),
        ("yesterday", dates("2026-12-09")),
        ("en 3 días", dates("2026-12-13")),
        ("en tres dias", dates("2026-12-13")),
        ("in 3 days", dates("2026-12-13")),
        ("dentro de una semana", dates("2026-12-17")),
        ("in a week", dates("2026-12-17")),
        ("2 weeks from now", dates("2026-12-24")),
        # weekdays: plain = today included, next = strictly after today
        ("el viernes", dates("2026-12-11")),
        ("este viernes", dates("2026-12-11")),
        ("friday", dates("2026-12-11")),
        ("this Friday", dates("2026-12-11")),
        ("on Friday", dates("2026-12-11")),
        ("el jueves", dates("2026-12-10")),
        ("el jueves que viene", dates("2026-12-17")),
        ("el próximo jueves", dates("2026-12-17")),
        ("next thursday", dates("2026-12-17")),
        ("el próximo viernes", dates("2026-12-11")),
        ("el miercoles", dates("2026-12-16")),
        ("el sábado", dates("2026-12-12")),
        ("check-out el domingo 13", [("date", "2026-12-13", "check_out")]),
        # day of the month, numeric (always day first) and ISO
        ("el 12", dates("2026-12-12")),
        ("el día 10", dates("2026-12-10")),
        ("the 12th", dates("2026-12-12")),
        ("el 5", dates("2027-01-05")),
        ("12/12", dates("2026-12-12")),
        ("12-12", dates("2026-12-12")),
        ("12/12/2026", dates("2026-12-12")),
        ("12/12/26", dates("2026-12-12")),
        ("12.12.2026", dates("2026-12-12")),
        ("5/3", dates("2027-03-05")),
        ("2026-12-12", dates("2026-12-12")),
        ("sábado 12/12", dates("2026-12-12")),
        # month names and abbreviations
        ("12 de diciembre", dates("2026-12-12")),
        ("12 dic", dates("2026-12-12")),
        ("12 dic.", dates("2026-12-12")),
        ("1ro de enero", dates("2027-01-01")),
        ("1° de enero", dates("2027-01-01")),
        ("primero de enero", dates("2027-01-01")),
        ("quince de marzo", dates("2027-03-15")),
        ("15 de setiembre", dates("2027-09-15")),
        ("December 12th", dates("2026-12-12")),
        ("Dec 12", dates("2026-12-12")),
        ("Dec. 12, 2027", dates("2027-12-12")),
        ("12 December", dates("2026-12-12")),
        ("the 12th of December", dates("2026-12-12")),
        ("the first of january", dates("2027-01-01")),
        ("January first", dates("2027-01-01")),
        ("el viernes 12 de diciembre", dates("2026-12-12")),
        # ranges
        ("del 12 al 15 de diciembre", stay("2026-12-12", "2026-12-15")),
        ("del 12 al 15", stay("2026-12-12", "2026-12-15")),
        ("12-15 dic", stay("2026-12-12", "2026-12-15")),
        ("12 al 15 de diciembre", stay("2026-12-12", "2026-12-15")),
        ("from Dec 12 to 15", stay("2026-12-12", "2026-12-15")),
        ("between the 12th and the 15th", stay("2026-12-12", "2026-12-15")),
        ("entre el 12 y el 15", stay("2026-12-12", "2026-12-15")),
        ("from the 12th to the 15th", stay("2026-12-12", "2026-12-15")),
        ("desde el viernes hasta el domingo", stay("2026-12-11", "2026-12-13")),
        ("de viernes a domingo", stay("2026-12-11", "2026-12-13")),
        ("from friday to sunday", stay("2026-12-11", "2026-12-13")),
        ("del 28 de diciembre al 3 de enero", stay("2026-12-28", "2027-01-03")),
        ("del 28 al 3 de enero", stay("2026-12-28", "2027-01-03")),
        ("del 30 al 2", stay("2026-12-30", "2027-01-02")),
        ("del 12/12 al 15/12", stay("2026-12-12", "2026-12-15")),
        ("de hoy a mañana", stay("2026-12-10", "2026-12-11")),
        ("del lunes 14 al viernes 18", stay("2026-12-14", "2026-12-18")),
        ("DEL 12 AL 15 DE DICIEMBRE", stay("2026-12-12", "2026-12-15")),
        ("15 al 18/12", stay("2026-12-15", "2026-12-18")),
        # single ends of a stay
        ("llego el viernes y me voy el domingo", stay("2026-12-11", "2026-12-13")),
        ("check-in: 12/12, check out 15/12", stay("2026-12-12", "2026-12-15")),
        ("arriving Dec 12, leaving Dec 15", stay("2026-12-12", "2026-12-15")),
        ("desde el 12", [("date", "2026-12-12", "check_in")]),
        ("a partir del 20", [("date", "2026-12-20", "check_in")]),
        ("starting Dec 20", [("date", "2026-12-20", "check_in")]),
        ("from tomorrow", [("date", "2026-12-11", "check_in")]),
        ("hasta el domingo", [("date", "2026-12-13", "check_out")]),
        ("hasta el 15", [("date", "2026-12-15", "check_out")]),
        ("until Friday", [("date", "2026-12-11", "check_out")]),
        ("until the 15th", [("date", "2026-12-15", "check_out")]),
        # weekends (today is Thursday: the coming one either way)
        ("el fin de semana", stay("2026-12-11", "2026-12-13")),
        ("este finde", stay("2026-12-11", "2026-12-13")),
        ("this weekend", stay("2026-12-11", "2026-12-13")),
        ("el fin de semana que viene", stay("2026-12-11", "2026-12-13")),
        ("next weekend", stay("2026-12-11", "2026-12-13")),
        # nights
        ("3 noches", [("nights", 3, None)]),
        ("tres noches", [("nights", 3, None)]),
        ("una noche", [("nights", 1, None)]),
        ("veinte noches", [("nights", 20, None)]),
        ("3 nights", [("nights", 3, None)]),
        ("three nights", [("nights", 3, None)]),
        ("twenty one nights", [("nights", 21, None)]),
        ("a night", [("nights", 1, None)]),
        ("for 2 nights", [("nights", 2, None)]),
        # times
        ("a las 13", [("time", "13:00", None)]),
        ("a las 13:30", [("time", "13:30", None)]),
        ("a la 1", [("time", "13:00", None)]),
        ("a la una", [("time", "13:00", None)]),
        ("a las 2 de la tarde", [("time", "14:00", None)]),
        ("a las 10 de la noche", [("time", "22:00", None)]),
        ("a las 12 de la noche", [("time", "00:00", None)]),
        ("a las 9 de la mañana", [("time", "09:00", None)]),
        ("a las 7 de la mañana", [("time", "07:00", None)]),
        ("a las 10 y media", [("time", "10:30", None)]),
        ("a las 12 del mediodía", [("time", "12:00", None)]),
        ("13 hs", [("time", "13:00", None)]),
        ("13h", [("time", "13:00", None)]),
        ("13h30", [("time", "13:30", None)]),
        ("1pm", [("time", "13:00", None)]),
        ("at 1 pm", [("time", "13:00", None)]),
        ("1:30pm", [("time", "13:30", None)]),
        ("11am", [("time", "11:00", None)]),
        ("12 a.m.", [("time", "00:00", None)]),
        ("12pm", [("time", "12:00", None)]),
        ("3 o'clock", [("time", "15:00", None)]),
        ("at 10 at night", [("time", "22:00", None)]),
        ("noon", [("time", "12:00", None)]),
        ("al mediodía", [("time", "12:00", None)]),
        ("midnight", [("time", "00:00", None)]),
        ("medianoche", [("time", "00:00", None)]),
        ("until 2pm", [("time", "14:00", None)]),
        ("hasta las 14", [("time", "14:00", None)]),
        ("late checkout hasta las 14 hs por favor", [("time", "14:00", None)]),
        ("a las 2", [("time", "14:00", None)]),
        ("at 2", [("time", "14:00", None)]),
        ("at 7", [("time", "19:00", None)]),
        ("at 8", [("time", "08:00", None)]),
        ("a las 07:00", [("time", "07:00", None)]),
        # combinations
        ("mañana a las 10 de la mañana", [("date", "2026-12-11", None), ("time", "10:00", None)]),
        ("mañana por la mañana", dates("2026-12-11")),
        ("llego el viernes a las 3", [("date", "2026-12-11", "check_in"), ("time", "15:00", None)]),
        ("tomorrow at 2", [("date", "2026-12-11", None), ("time", "14:00", None)]),
        ("Saturday December 12 at 3pm", [("date", "2026-12-12", None), ("time", "15:00", None)]),
        ("late checkout el domingo a las 14", [("date", "2026-12-13", "check_out"), ("time", "14:00", None)]),
        (
            "Quiero reservar del 12/12 al 15/12 para 2 adultos, 3 noches",
            [*stay("2026-12-12", "2026-12-15"), ("nights", 3, None)],
        ),
        (
            "Hi! A double room from Dec 12 to 15 for 2 adults, arriving at 3pm",
            [*stay("2026-12-12", "2026-12-15"), ("time", "15:00", None)],
        ),
        ("una habitación para el 24 y el 25", dates("2026-12-24", "2026-12-25")),
        # negatives: numbers that are not dates or times
        ("para 2 personas", []),
        ("habitación 101", []),
        ("2 adults", []),
        ("somos 2-3 personas", []),
        ("the 2nd floor", []),
        ("for the 2 of us", []),
        ("de 10 a 12", []),
        ("desayuno de 7 a 10", []),
        ("room 12", []),
        ("le doy 5 de 5", []),
        ("5 estrellas", []),
        ("me quedo 2 días", []),
        ("mi número es 11-4567-8901", []),
        ("cuesta 1.5 dólares", []),
        ("reserva ABC12345", []),
        ("por la mañana", []),
        ("esta mañana", []),
        ("in the morning", []),
        ("los viernes hay show", []),
        ("every friday", []),
        ("12/24", []),  # day first: there is no 24th month
    ],
)
def test_extract(text: str, expected: Expected) -> None:
    assert values(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/12", dates("2027-12-12")),
        ("Dec 12", dates("2027-12-12")),
        ("12 de diciembre de 2026", dates("2026-12-12")),
        ("el 12", dates("2027-01-12")),
        ("el 28", dates("2026-12-28")),
        ("el 31", dates("2026-12-31")),
        ("1ro de enero", dates("2027-01-01")),
        ("29/2", dates("2028-02-29")),
        ("el viernes", dates("2027-01-01")),
        ("en una semana", dates("2027-01-04")),
        ("del 12 al 15", stay("2027-01-12", "2027-01-15")),
        ("del 12 al 15 de diciembre", stay("2027-12-12", "2027-12-15")),
        ("12-15 dic", stay("2027-12-12", "2027-12-15")),
        ("del 30 de diciembre al 2 de enero", stay("2026-12-30", "2027-01-02")),
        ("from Dec 30 to Jan 2", stay("2026-12-30", "2027-01-02")),
        ("desde el jueves hasta el lunes", stay("2026-12-31", "2027-01-04")),
    ],
)
def test_year_rollover(text: str, expected: Expected) -> None:
    assert values(text, YEAR_END) == expected


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (datetime(2026, 12, 11, 9, tzinfo=ART), "el fin de semana", stay("2026-12-11", "2026-12-13")),
        (datetime(2026, 12, 11, 9, tzinfo=ART), "next weekend", stay("2026-12-18", "2026-12-20")),
        (datetime(2026, 12, 12, 9, tzinfo=ART), "this weekend", stay("2026-12-12", "2026-12-13")),
        (datetime(2026, 12, 12, 9, tzinfo=ART), "el finde que viene", stay("2026-12-18", "2026-12-20")),
        (datetime(2026, 12, 13, 9, tzinfo=ART), "este fin de semana", stay("2026-12-18", "2026-12-20")),
        (datetime(2026, 12, 13, 9, tzinfo=ART), "next weekend", stay("2026-12-18", "2026-12-20")),
        (datetime(2026, 12, 11, 9, tzinfo=ART), "el viernes", dates("2026-12-11")),
        (datetime(2026, 12, 11, 9, tzinfo=ART), "next friday", dates("2026-12-18")),
        (datetime(2027, 1, 31, 9, tzinfo=ART), "el 30", dates("2027-03-30")),  # no 30 February
    ],
)
def test_weekends_and_edges(today: datetime, text: str, expected: Expected) -> None:
    assert values(text, today) == expected


def test_offsets_point_into_the_original_text() -> None:
    text = "Hola! Llego el Viernes, me voy el 15 de diciembre; 2 noches, check-in a las 14:30 hs."
    found = extract(text, THURSDAY)
    assert [text[item.start : item.end] for item in found] == [
        "el Viernes",
        "el 15 de diciembre",
        "2 noches",
        "a las 14:30 hs",
    ]
    assert found[0] == Found("date", "2026-12-11", 12, 22, "check_in")


def test_range_spans_cover_each_end() -> None:
    text = "del 12 al 15 de diciembre"
    check_in, check_out = extract(text, THURSDAY)
    assert text[check_in.start : check_in.end] == "12"
    assert text[check_out.start : check_out.end] == "15 de diciembre"


def test_results_are_sorted_by_start() -> None:
    found = extract("3 noches desde mañana a las 10 hasta el domingo", THURSDAY)
    assert [item.start for item in found] == sorted(item.start for item in found)
    assert [(item.entity, item.role) for item in found] == [
        ("nights", None),
        ("date", "check_in"),
        ("time", None),
        ("date", "check_out"),
    ]


# --- the Rasa component -------------------------------------------------------------------------------------


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


@pytest.fixture()
def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "1")


def make(storage: LocalModelStorage, context: ExecutionContext, **config: object) -> DateTimeExtractor:
    return DateTimeExtractor.create(
        {**DateTimeExtractor.get_default_config(), **config}, storage, Resource("dates"), context
    )


def test_process_appends_entities_in_rasa_format(
    monkeypatch: pytest.MonkeyPatch, storage: LocalModelStorage, context: ExecutionContext
) -> None:
    monkeypatch.setenv(ENV_VAR, "2026-12-10T10:00:00-03:00")
    extractor = make(storage, context, timezone="America/Argentina/Buenos_Aires")
    existing = {"entity": "guests", "value": 2, "start": 31, "end": 32, "extractor": "RegexEntityExtractor"}
    message = Message({TEXT: "del 12 al 15 de diciembre para 2 personas, a las 2", ENTITIES: [existing]})

    extractor.process([message])

    assert message.get(ENTITIES) == [
        existing,
        {
            "entity": "date",
            "value": "2026-12-12",
            "start": 4,
            "end": 6,
            "confidence": 1.0,
            "role": "check_in",
            "extractor": "DateTimeExtractor",
        },
        {
            "entity": "date",
            "value": "2026-12-15",
            "start": 10,
            "end": 25,
            "confidence": 1.0,
            "role": "check_out",
            "extractor": "DateTimeExtractor",
        },
        {
            "entity": "time",
            "value": "14:00",
            "start": 43,
            "end": 50,
            "confidence": 1.0,
            "extractor": "DateTimeExtractor",
        },
    ]
    assert ENTITIES in message.output_properties


def test_process_uses_the_pinned_clock_in_the_hotel_zone(
    monkeypatch: pytest.MonkeyPatch, storage: LocalModelStorage, context: ExecutionContext
) -> None:
    # 01:30 UTC on the 11th is still the 10th in Buenos Aires: "mañana" is the 11th there.
    monkeypatch.setenv(ENV_VAR, "2026-12-11T01:30:00+00:00")
    buenos_aires = make(storage, context, timezone="America/Argentina/Buenos_Aires")
    utc = make(storage, context, timezone="UTC")
    first, second = Message({TEXT: "mañana"}), Message({TEXT: "mañana"})

    buenos_aires.process([first])
    utc.process([second])

    assert first.get(ENTITIES)[0]["value"] == "2026-12-11"
    assert second.get(ENTITIES)[0]["value"] == "2026-12-12"


def test_process_skips_payloads_and_empty_text(storage: LocalModelStorage, context: ExecutionContext) -> None:
    extractor = make(storage, context, timezone="UTC")
    payload = Message({TEXT: '/inform{"date": "2026-12-12"}'})
    empty = Message({TEXT: ""})
    plain = Message({TEXT: "hola"})

    extractor.process([payload, empty, plain])

    assert payload.get(ENTITIES) is None
    assert empty.get(ENTITIES) is None
    assert plain.get(ENTITIES) == []


def test_profile_time_zone_is_read_lazily(
    monkeypatch: pytest.MonkeyPatch, storage: LocalModelStorage, context: ExecutionContext
) -> None:
    profile = pytest.importorskip("actions.profile")
    monkeypatch.delenv("HOTEL_PROFILE", raising=False)
    monkeypatch.setenv(ENV_VAR, "2026-12-10T10:00:00-03:00")
    extractor = make(storage, context)

    message = Message({TEXT: "el viernes"})
    extractor.process([message])

    assert str(extractor.zone) == profile.load_profile().timezone
    assert message.get(ENTITIES)[0]["value"] == "2026-12-11"


def test_unknown_time_zone_is_a_config_error(storage: LocalModelStorage, context: ExecutionContext) -> None:
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        make(storage, context, timezone="Mars/Olympus")


def test_persist_load_round_trip(
    monkeypatch: pytest.MonkeyPatch, storage: LocalModelStorage, context: ExecutionContext
) -> None:
    monkeypatch.setenv(ENV_VAR, "2026-12-28T10:00:00-03:00")
    original = make(storage, context, timezone="America/Argentina/Buenos_Aires")
    original.persist()

    with storage.read_from(Resource("dates")) as directory:
        assert json.loads((directory / DateTimeExtractor.CONFIG_FILE).read_text()) == {
            "timezone": "America/Argentina/Buenos_Aires"
        }
    loaded = DateTimeExtractor.load(DateTimeExtractor.get_default_config(), storage, Resource("dates"), context)

    assert loaded.config == original.config
    text = "from Dec 30 to Jan 2, 3 nights, check-in at 2"
    assert loaded.entities(text) == original.entities(text)
    message = Message({TEXT: text})
    loaded.process([message])
    assert [entity["value"] for entity in message.get(ENTITIES)] == ["2026-12-30", "2027-01-02", 3, "14:00"]


def test_load_without_persisted_resource_uses_the_given_config(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    loaded = DateTimeExtractor.load({"timezone": "UTC"}, storage, Resource("never-persisted"), context)

    assert loaded.config == {"timezone": "UTC"}


def test_runs_in_the_prediction_graph_the_recipe_builds(
    monkeypatch: pytest.MonkeyPatch, storage: LocalModelStorage
) -> None:
    # The recipe predicts with `load` on a resource nobody persisted: the schema's config must be enough.
    monkeypatch.setenv(ENV_VAR, "2026-12-10T10:00:00-03:00")
    config = {
        "recipe": "default.v1",
        "language": "es",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            {"name": "nlu.date_extractor.DateTimeExtractor", "timezone": "America/Argentina/Buenos_Aires"},
        ],
        "policies": [],
    }
    graph = DefaultV1Recipe().graph_config_for_recipe(config, {}, training_type=TrainingType.NLU)
    name, schema_node = next(
        (name, node) for name, node in graph.predict_schema.nodes.items() if node.uses is DateTimeExtractor
    )
    node = GraphNode.from_schema_node(name, schema_node, storage, ExecutionContext(graph.predict_schema, "1"))
    parent = schema_node.needs["messages"]

    _, (message,) = node((parent, [Message({TEXT: "pasado mañana a las 11"})]))

    assert [(entity["entity"], entity["value"]) for entity in message.get(ENTITIES)] == [
        ("date", "2026-12-12"),
        ("time", "11:00"),
    ]


def test_training_data_is_untouched(storage: LocalModelStorage, context: ExecutionContext) -> None:
    training_data = TrainingData([Message({TEXT: "mañana", "intent": "inform"})])

    assert make(storage, context, timezone="UTC").process_training_data(training_data) is training_data


def test_registered_as_an_entity_extractor() -> None:
    registered = DefaultV1Recipe._from_registry(DateTimeExtractor.__name__)
    assert registered.clazz is DateTimeExtractor
    assert DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR in registered.types
    assert registered.is_trainable is False
