"""The masking processor and the JSON log handler, on real logging records."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from actions import logs


@pytest.mark.parametrize(
    ("text", "tag", "secret"),
    [
        ("escribime a juan.perez+hotel@gmail.com", "<email>", "juan.perez+hotel@gmail.com"),
        ("card 4111 1111 1111 1111 please", "<card>", "4111 1111 1111 1111"),
        ("tarjeta 5500-0000-0000-0004", "<card>", "5500-0000-0000-0004"),
        ("mi CBU es 2850590940090418135201", "<cbu>", "2850590940090418135201"),
        ("CUIT 20-12345678-6", "<cuit>", "20-12345678-6"),
        ("cuil 20123456786", "<cuit>", "20123456786"),
        ("llamame al +54 9 11 4567-8901", "<phone>", "4567-8901"),
        ("wa_id 5491145678901", "<phone>", "5491145678901"),
        ("tel 011 15-4567-8901", "<phone>", "4567-8901"),
        ("from +14155552671", "<phone>", "4155552671"),
        ("DNI 28.456.789", "<dni>", "28.456.789"),
        ("dni 28456789", "<dni>", "28456789"),
        ("passport AAB123456", "<passport>", "AAB123456"),
        ("pasaporte nro X7654321", "<passport>", "X7654321"),
        ("client 190.210.33.4 connected", "<ip>", "190.210.33.4"),
        ("peer 2001:db8::8a2e:370:7334", "<ip>", "2001:db8::8a2e:370:7334"),
        ("password=hunter2222", "<secret>", "hunter2222"),
        ('{"access_token": "EAAGm0PX4ZCpsBA"}', "<secret>", "EAAGm0PX4ZCpsBA"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "<secret>", "eyJhbGciOiJIUzI1NiJ9"),
        ("GET /webhook?hub.verify_token=s3cr3t-value&hub.mode=subscribe", "<secret>", "s3cr3t-value"),
    ],
)
def test_mask_hides_personal_data_and_secrets(text: str, tag: str, secret: str) -> None:
    masked = logs.mask(text)
    assert tag in masked
    assert secret not in masked


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-10T10:00:00-03:00 check-in",
        "confidence 0.9876 at 1701388800.123",
        "booking K7P2QX for 2 guests, 3 nights, room 204, 150000 ARS",
        "card 4111 1111 1111 1112",  # fails the Luhn check: not a card number
        "10:00:00 and version 3.6.21",
    ],
)
def test_mask_leaves_ordinary_text_alone(text: str) -> None:
    assert logs.mask(text) == text


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every record of the process through the installed handler, written to a buffer."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    noisy = logging.getLogger("conserje.test.noisy")
    noisy.addHandler(logging.StreamHandler(io.StringIO()))  # a library's own handler is replaced too
    logs.install()
    buffer = io.StringIO()
    (handler,) = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    root.setLevel(logging.INFO)
    yield buffer
    for current in list(root.handlers):
        root.removeHandler(current)
    for old in saved:
        root.addHandler(old)
    root.setLevel(level)


def test_install_renders_masked_json_lines_for_every_logger(captured: io.StringIO) -> None:
    logging.getLogger("rasa.core.processor").info("Received user message 'soy %s' from %s", "ana@example.com", "549111")
    logging.getLogger("conserje.test.noisy").warning("guest %s", {"phone": "+5491145678901"})
    try:
        raise ValueError("card 4111111111111111 refused")
    except ValueError:
        logging.getLogger("actions").exception("payment failed for dni 28456789")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [line["logger"] for line in lines] == ["rasa.core.processor", "conserje.test.noisy", "actions"]
    assert lines[0]["level"] == "info" and "timestamp" in lines[0]
    assert lines[0]["event"] == "Received user message 'soy <email>' from 549111"
    assert "<phone>" in lines[1]["event"]
    assert "<dni>" in lines[2]["event"] and "<card>" in lines[2]["exception"]
    text = captured.getvalue()
    for raw in ("ana@example.com", "5491145678901", "4111111111111111", "28456789"):
        assert raw not in text
