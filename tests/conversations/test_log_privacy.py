"""Personal data sent through full conversations (REST and WhatsApp) never reaches a log line in clear.

Its own stack, with Rasa at DEBUG (Rasa then logs every user message and its entities) and the WhatsApp channel
pointed at the Graph API fake; after the conversations, every line both servers wrote is scanned.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.stack import ROOT, Stack
from tests.conversations.conftest import running_stack
from tests.conversations.test_whatsapp import (
    ACCESS_TOKEN,
    PHONE_NUMBER_ID,
    post,
    text,
    to,
    webhook,
    whatsapp_env,
)
from tests.fakes.graph_api import GraphApiFake

pytestmark = pytest.mark.conversation

SENDER = "5491145678901"
PERSONAL = {
    "email": "ana.garcia@example.com",
    "dni": "28.456.789",
    "card": "4111 1111 1111 1111",
    "phone": "+54 9 11 4567-8901",
    "passport": "AAB123456",
    "cuit": "20-12345678-6",
    "cbu": "2850590940090418135201",
    "ip": "190.210.33.4",
}
# The same data in the other shapes a log could carry it.
RAW_FORMS = [*PERSONAL.values(), "28456789", "4111111111111111", "1145678901", SENDER, "20123456786"]


@pytest.fixture(scope="module")
def logged_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, GraphApiFake]]:
    """Both servers, Rasa at DEBUG, REST and WhatsApp channels."""
    fake = GraphApiFake(ACCESS_TOKEN, PHONE_NUMBER_ID)
    fake.start_in_thread()
    try:
        with running_stack(
            tmp_path_factory, "log-stack", ROOT / "credentials.whatsapp.yml", LOG_LEVEL="DEBUG", **whatsapp_env(fake)
        ) as running:
            yield running, fake
    finally:
        fake.stop_thread()


def _log_lines(workdir: Path) -> list[str]:
    return [line for name in ("rasa.log", "actions.log") for line in (workdir / name).read_text().splitlines()]


def test_personal_data_in_conversations_is_masked_in_every_log_line(
    logged_stack: tuple[Stack, GraphApiFake],
) -> None:
    stack, fake = logged_stack
    rest = [
        f"hola, soy {PERSONAL['email']}, mi dni es {PERSONAL['dni']} y mi tarjeta {PERSONAL['card']}",
        f"my phone is {PERSONAL['phone']}, passport {PERSONAL['passport']}, CUIT {PERSONAL['cuit']}",
        f"te paso mi CBU {PERSONAL['cbu']} desde la IP {PERSONAL['ip']}",
        "quiero ver mi reserva",
        f"mi email es {PERSONAL['email']}",
    ]
    for words in rest:
        assert stack.send("privacy-guest", words), words  # every message gets a reply
    assert post(stack, webhook(text(SENDER, f"hola, mi mail es {PERSONAL['email']}"))).status_code == 200
    fake.wait_until(lambda graph: len(to(graph, "541145678901")) >= 1)

    lines = _log_lines(stack.workdir)
    leaks = [line for line in lines for raw in RAW_FORMS if raw in line]
    assert not leaks, leaks[:5]
    structured = [json.loads(line) for line in lines if line.startswith("{")]
    masked = " ".join(str(entry.get("event", "")) for entry in structured)
    # Rasa at DEBUG logs each user message: the guest's words are there, with their personal data as tags.
    for tag in ("<email>", "<dni>", "<card>", "<phone>", "<passport>", "<cuit>", "<cbu>", "<ip>"):
        assert tag in masked, tag
