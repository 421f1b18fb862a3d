"""The Graph API client and the output channel against the local Graph API fake, over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.whatsapp.config import WhatsAppConfig
from connectors.whatsapp.graph import GraphApiError, GraphClient
from connectors.whatsapp.output import WhatsAppOutput
from scripts.bench_webhooks import TimedGraphApiFake
from tests.fakes.graph_api import GraphApiFake

TOKEN = "EAAG-unit-test-token-0123"
PHONE_ID = "106540352242922"


@pytest.fixture
async def fake() -> AsyncIterator[GraphApiFake]:
    server = GraphApiFake(TOKEN, PHONE_ID)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(fake: GraphApiFake) -> AsyncIterator[GraphClient]:
    settings = WhatsAppConfig("verify-0123456789", "secret-0123456789", TOKEN, PHONE_ID, "v19.0", fake.url)
    graph = GraphClient(settings, attempts=4, backoff_seconds=0.01)
    yield graph
    await graph.close()


async def test_send_answers_like_meta_and_uses_one_session(client: GraphClient, fake: GraphApiFake) -> None:
    result = await client.send({"to": "541155550123", "type": "text", "text": {"body": "hola"}})
    assert result["messaging_product"] == "whatsapp" and result["messages"][0]["id"].startswith("wamid.")
    session = client.session()
    await client.mark_read("wamid.IN1")
    assert client.session() is session
    assert fake.read_receipts() == ["wamid.IN1"]
    assert all(call.authorized for call in fake.calls)


@pytest.mark.parametrize("kind", ["500", "429", "131056", "130429"])
async def test_transient_failures_are_retried(client: GraphClient, fake: GraphApiFake, kind: str) -> None:
    fake.fail_next(kind, times=2)
    await client.send({"to": "541155550123", "type": "text", "text": {"body": "hola"}})
    assert [call.status for call in fake.calls] == [fake_status(kind)] * 2 + [200]


def fake_status(kind: str) -> int:
    return {"500": 500, "429": 429}.get(kind, 400)


async def test_other_client_errors_are_not_retried_and_logged_without_personal_data(
    client: GraphClient, fake: GraphApiFake, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("400")
    with caplog.at_level(logging.WARNING), pytest.raises(GraphApiError) as raised:
        await client.send({"to": "541155550123", "type": "text", "text": {"body": "my secret booking"}})
    assert (raised.value.status, raised.value.code, raised.value.retryable) == (400, 100, False)
    assert len(fake.calls) == 1
    assert "code=100" in caplog.text
    assert "541155550123" not in caplog.text and "secret booking" not in caplog.text


async def test_persistent_failures_give_up_after_the_attempts(client: GraphClient, fake: GraphApiFake) -> None:
    fake.fail_next("500", times=10)
    with pytest.raises(GraphApiError) as raised:
        await client.mark_read("wamid.X")
    assert raised.value.retryable and len(fake.calls) == 4


async def test_media_id_to_url_to_file(client: GraphClient, fake: GraphApiFake, tmp_path: Path) -> None:
    fake.add_media("7001", b"OggS-voice-note", "audio/ogg")
    fake.add_media("7002", b"\xff\xd8jpeg", "image/jpeg")
    voice = await client.download("7001", "audio", tmp_path)
    photo = await client.download("7002", "image", tmp_path)
    assert voice.read_bytes() == b"OggS-voice-note" and voice.suffix in (".ogg", ".oga")
    assert photo.read_bytes() == b"\xff\xd8jpeg" and photo.suffix in (".jpg", ".jpe", ".jpeg")
    assert all(call.authorized for call in fake.calls)


async def test_media_over_the_whatsapp_limit_is_refused(
    client: GraphClient, fake: GraphApiFake, tmp_path: Path
) -> None:
    fake.add_media("7003", b"x" * (5 * 1024 * 1024 + 1), "image/png")
    with pytest.raises(GraphApiError) as raised:
        await client.download("7003", "image", tmp_path)
    assert raised.value.status == 413 and not list(tmp_path.iterdir())


async def test_output_channel_maps_rasa_messages(client: GraphClient, fake: GraphApiFake) -> None:
    menus: dict[str, list[str]] = {}
    output = WhatsAppOutput(client, menus)
    guest = "5491155550123"
    await output.send_response(
        guest, {"text": "Elegí", "buttons": [{"title": str(i), "payload": f"/p{i}"} for i in range(7)]}
    )
    await output.send_response(guest, {"text": "Foto", "image": "https://hotel.test/media/a.jpg"})
    await output.send_response(guest, {"custom": {"type": "location", "latitude": "-34.5", "longitude": "-58.4"}})
    await output.send_response(guest, {"custom": {"type": "carousel"}})
    await output.send_response(
        guest, {"text": "Elegí", "buttons": [{"title": str(i), "payload": f"/p{i}"} for i in range(12)]}
    )
    sent = fake.sent()
    assert [body["type"] for body in sent] == ["interactive", "text", "image", "location", "text"]
    assert {body["to"] for body in sent} == {"541155550123"}
    assert sent[0]["interactive"]["type"] == "list"
    assert menus[guest] == [f"/p{i}" for i in range(12)]
    assert len(output.sent) == 5


async def test_output_channel_swallows_graph_errors(client: GraphClient, fake: GraphApiFake) -> None:
    fake.fail_next("400")
    output = WhatsAppOutput(client)
    await output.send_text_message("5215512345678", "hola")  # logged, not raised into Rasa
    await output.send_text_message("5215512345678", "otra")
    assert [body["text"]["body"] for body in fake.sent()] == ["otra"]


async def test_the_webhook_bench_fake_times_the_first_message_to_each_number() -> None:
    timed = TimedGraphApiFake(TOKEN, PHONE_ID)
    await timed.start()
    settings = WhatsAppConfig("verify-0123456789", "secret-0123456789", TOKEN, PHONE_ID, "v19.0", timed.url)
    graph = GraphClient(settings, attempts=1)
    try:
        for text in ("hola", "¿algo más?"):
            await graph.send(
                {"messaging_product": "whatsapp", "to": "541155550001", "type": "text", "text": {"body": text}}
            )
    finally:
        await graph.close()
        await timed.stop()
    assert list(timed.first_sent) == ["541155550001"]
    assert [call.status for call in timed.calls] == [200, 200]
