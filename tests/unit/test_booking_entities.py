"""Guests (nlu/guests.py), booking codes and emails (nlu/booking_codes.py) in Spanish and English, and the Rasa
component around them (nlu/booking.py)."""

from __future__ import annotations

import json
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

from actions.errors import ConfigError
from nlu.booking import BookingEntityExtractor, extract
from nlu.booking_codes import find_booking_codes, find_emails
from nlu.dates import Found
from nlu.guests import find_guests


def values(found: list[Found]) -> list[str | int]:
    return [item.value for item in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # counts of people
        ("2 personas", [2]),
        ("dos personas", [2]),
        ("para dos", [2]),
        ("para 2 del 12 al 15", [2]),
        ("tienen lugar para 2 el finde?", [2]),
        ("somos 4", [4]),
        ("somos cuatro adultos", [4]),
        ("vamos a ser 3", [3]),
        ("somos un grupo de 6", [6]),
        ("3 pax", [3]),
        ("we are 3", [3]),
        ("we're 2", [2]),
        ("for 2 adults", [2]),
        ("is there a room for 2 next weekend?", [2]),
        ("room for one tonight?", [1]),
        ("just the two of us", [2]),
        ("there will be 5 of us", [5]),
        ("we are a family of 4", [4]),
        ("una persona", [1]),
        ("hay lugar para una persona mañana?", [1]),
        # parties add up
        ("2 adultos y 1 niño", [3]),
        ("dos adultos y dos niños", [4]),
        ("2 adultos + 2 menores", [4]),
        ("somos 2 y un bebé", [3]),
        ("2 adults and 1 child", [3]),
        ("we're 2 plus a baby", [3]),
        ("a couple with a baby", [3]),
        ("una pareja con 2 hijos", [4]),
        ("my wife and I and our 2 kids", [4]),
        ("somos 2 parejas", [4]),
        # a total followed by its breakdown is not counted twice
        ("4 personas, 2 adultos y 2 chicos", [4]),
        ("somos 4: 2 adultos y 2 niños", [4]),
        # couples and people alone
        ("una pareja", [2]),
        ("a couple", [2]),
        ("we are a couple", [2]),
        ("mi esposa y yo", [2]),
        ("me and my wife", [2]),
        ("just me and my wife", [2]),
        ("solo yo", [1]),
        ("sólo yo", [1]),
        ("viajo sola", [1]),
        ("just me", [1]),
        ("I'm traveling alone", [1]),
        ("by myself", [1]),
        # never dates, times, nights, rooms, prices or ranges
        ("del 12 al 15 de diciembre", []),
        ("para el 2", []),
        ("a las 2", []),
        ("at 2pm", []),
        ("para 2 noches", []),
        ("for 2 nights", []),
        ("3 noches desde el viernes", []),
        ("habitación 101", []),
        ("necesito 2 habitaciones", []),
        ("room 12", []),
        ("cuesta USD 95 por noche", []),
        ("for 95", []),
        ("para 2 de enero", []),
        ("somos 2-3 personas", []),
        ("para 2 o 3 personas", []),
        ("a couple of nights", []),
        ("a couple questions", []),
        ("for one thing", []),
        ("quiero hablar con una persona", []),
        ("are you a person or a bot?", []),
        ("I'm a guest at the hotel", []),
        ("voy solo a la recepción", []),
        ("el 2do piso", []),
    ],
)
def test_find_guests(text: str, expected: list[int]) -> None:
    assert values(find_guests(text)) == expected


def test_guests_above_the_maximum_are_not_read() -> None:
    assert values(find_guests("somos 25")) == []
    assert values(find_guests("somos 25", max_guests=30)) == [25]
    assert values(find_guests("somos 4", max_guests=3)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("K7P2QX", ["K7P2QX"]),
        ("9RTM4A", ["9RTM4A"]),
        ("k7p2qx", ["K7P2QX"]),
        ("k7p-2qx", ["K7P2QX"]),
        ("K7P 2QX", ["K7P2QX"]),
        ("#K7P2QX", ["K7P2QX"]),
        ("cancel my booking K7P2QX", ["K7P2QX"]),
        ("mi reserva es 9rtm4a, a nombre de Ana", ["9RTM4A"]),
        ("my booking code is k7p-2qx.", ["K7P2QX"]),
        # any 6 letters and digits right after a code keyword
        ("mi reserva es ABC123", ["ABC123"]),
        ("mi reserva es ABCDEF", ["ABCDEF"]),
        ("mi reserva es abcdef", ["ABCDEF"]),
        ("booking code: abcdef", ["ABCDEF"]),
        ("localizador: XYZWVU", ["XYZWVU"]),
        ("confirmation number 123456", ["123456"]),
        ("código de reserva ABC-DEF", ["ABCDEF"]),
        # not codes
        ("ABCDEF", []),
        ("ABC-DEF", []),
        ("quiero cancelar mi reserva porque no puedo ir", []),
        ("cancel my booking please", []),
        ("my booking is friday", []),
        ("mi reserva es para mañana", []),
        ("booking for two", []),
        ("booking for 2pm", []),
        ("mi reserva no existe", []),
        ("RESERVA TRIPLE", []),
        ("son 345 pesos", []),
        ("the 4th floor", []),
        ("2camas", []),
        ("C1414BJI", []),
        ("wifi palermo2026", []),
        ("mi número es 11-4567-8901", []),
        ("reserva ABC12345", []),
    ],
)
def test_find_booking_codes(text: str, expected: list[str]) -> None:
    assert values(find_booking_codes(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("juan.perez@gmail.com", ["juan.perez@gmail.com"]),
        ("mi mail es Ana@X.com.", ["ana@x.com"]),
        ("my email is Emily.J+hotel@Mail.co.uk, thanks", ["emily.j+hotel@mail.co.uk"]),
        ("martin_rodriguez88@yahoo.com.ar", ["martin_rodriguez88@yahoo.com.ar"]),
        ("ana@", []),
        ("@aurorapalermo", []),
        ("juan perez gmail com", []),
    ],
)
def test_find_emails(text: str, expected: list[str]) -> None:
    assert values(find_emails(text)) == expected


def test_extract_is_sorted_without_overlaps_and_offsets_point_into_the_text() -> None:
    text = "Reserva K7P-2QX para 2 adultos y 1 niño, mail K7P2QX@Gmail.com"
    found = extract(text)
    assert [(item.entity, item.value) for item in found] == [
        ("booking_code", "K7P2QX"),
        ("guests", 3),
        ("email", "k7p2qx@gmail.com"),
    ]
    assert [text[item.start : item.end] for item in found] == ["K7P-2QX", "2 adultos y 1 niño", "K7P2QX@Gmail.com"]


# --- the Rasa component -------------------------------------------------------------------------------------


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


@pytest.fixture()
def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "1")


def make(storage: LocalModelStorage, context: ExecutionContext, **config: object) -> BookingEntityExtractor:
    return BookingEntityExtractor.create(
        {**BookingEntityExtractor.get_default_config(), **config}, storage, Resource("booking"), context
    )


def test_process_appends_entities_in_rasa_format(storage: LocalModelStorage, context: ExecutionContext) -> None:
    extractor = make(storage, context)
    existing = {"entity": "date", "value": "2026-12-12", "start": 0, "end": 5, "extractor": "DateTimeExtractor"}
    text = "somos 2, reserva k7p-2qx, mail Ana@X.com"
    message = Message({TEXT: text, ENTITIES: [existing]})

    extractor.process([message])

    assert message.get(ENTITIES) == [
        existing,
        {
            "entity": "guests",
            "value": 2,
            "start": 0,
            "end": 7,
            "confidence": 1.0,
            "extractor": "BookingEntityExtractor",
        },
        {
            "entity": "booking_code",
            "value": "K7P2QX",
            "start": 17,
            "end": 24,
            "confidence": 1.0,
            "extractor": "BookingEntityExtractor",
        },
        {
            "entity": "email",
            "value": "ana@x.com",
            "start": 31,
            "end": 40,
            "confidence": 1.0,
            "extractor": "BookingEntityExtractor",
        },
    ]
    assert ENTITIES in message.output_properties


def test_process_skips_payloads_and_empty_text(storage: LocalModelStorage, context: ExecutionContext) -> None:
    extractor = make(storage, context)
    payload = Message({TEXT: '/inform{"booking_code": "K7P2QX"}'})
    empty = Message({TEXT: ""})
    plain = Message({TEXT: "hola"})

    extractor.process([payload, empty, plain])

    assert payload.get(ENTITIES) is None
    assert empty.get(ENTITIES) is None
    assert plain.get(ENTITIES) == []


def test_max_guests_comes_from_the_config(storage: LocalModelStorage, context: ExecutionContext) -> None:
    message = Message({TEXT: "somos 25"})
    make(storage, context, max_guests=30).process([message])
    assert [entity["value"] for entity in message.get(ENTITIES)] == [25]


@pytest.mark.parametrize("bad", [0, -1, "4", 2.5, True, None])
def test_invalid_max_guests_is_a_config_error(
    storage: LocalModelStorage, context: ExecutionContext, bad: object
) -> None:
    with pytest.raises(ConfigError, match="max_guests"):
        make(storage, context, max_guests=bad)


def test_persist_load_round_trip(storage: LocalModelStorage, context: ExecutionContext) -> None:
    original = make(storage, context, max_guests=6)
    original.persist()

    with storage.read_from(Resource("booking")) as directory:
        assert json.loads((directory / BookingEntityExtractor.CONFIG_FILE).read_text()) == {"max_guests": 6}
    loaded = BookingEntityExtractor.load(
        BookingEntityExtractor.get_default_config(), storage, Resource("booking"), context
    )

    assert loaded.config == original.config == {"max_guests": 6}
    text = "we are 8, well 2 adults and 2 kids; booking 9RT M4A, email JOHN@X.COM"
    assert loaded.entities(text) == original.entities(text)
    message = Message({TEXT: text})
    loaded.process([message])
    assert [(entity["entity"], entity["value"]) for entity in message.get(ENTITIES)] == [
        ("guests", 4),
        ("booking_code", "9RTM4A"),
        ("email", "john@x.com"),
    ]


def test_load_without_persisted_resource_uses_the_given_config(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    loaded = BookingEntityExtractor.load({"max_guests": 8}, storage, Resource("never-persisted"), context)

    assert loaded.config == {"max_guests": 8}


def test_runs_in_the_prediction_graph_the_recipe_builds(storage: LocalModelStorage) -> None:
    # The recipe predicts with `load` on a resource nobody persisted: the schema's config must be enough.
    config = {
        "recipe": "default.v1",
        "language": "es",
        "pipeline": [{"name": "WhitespaceTokenizer"}, {"name": "nlu.booking.BookingEntityExtractor"}],
        "policies": [],
    }
    graph = DefaultV1Recipe().graph_config_for_recipe(config, {}, training_type=TrainingType.NLU)
    name, schema_node = next(
        (name, node) for name, node in graph.predict_schema.nodes.items() if node.uses is BookingEntityExtractor
    )
    node = GraphNode.from_schema_node(name, schema_node, storage, ExecutionContext(graph.predict_schema, "1"))
    parent = schema_node.needs["messages"]

    _, (message,) = node((parent, [Message({TEXT: "cancel booking K7P2QX for the 2 of us"})]))

    assert [(entity["entity"], entity["value"]) for entity in message.get(ENTITIES)] == [
        ("booking_code", "K7P2QX"),
        ("guests", 2),
    ]


def test_training_data_is_untouched(storage: LocalModelStorage, context: ExecutionContext) -> None:
    training_data = TrainingData([Message({TEXT: "somos 4", "intent": "inform"})])

    assert make(storage, context).process_training_data(training_data) is training_data


def test_registered_as_an_entity_extractor() -> None:
    registered = DefaultV1Recipe._from_registry(BookingEntityExtractor.__name__)
    assert registered.clazz is BookingEntityExtractor
    assert DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR in registered.types
    assert registered.is_trainable is False
