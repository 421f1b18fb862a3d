"""Review-request delivery and language on real objects: the WhatsApp output sends the tagged template to the Graph
API fake over HTTP and records its wamid in the migrated SQLite database; receipts in Meta's shape, parsed as the
webhook parses them, set delivered_at or delivery_failed_at; stats count them. The request's language comes from
the guest's conversation (the real domain's slots, Tracker.from_dict), else the request's own guess.

Stays in September and October 2033 (double rooms 106-108, 206-208), apart from the other unit tests' stays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import review_actions, review_answers, reviews
from actions.pms.models import BookingRequest, Reservation
from actions.review_actions import ActionReviewRequest
from actions.services import Services
from actions.settings import get_settings
from actions.store.post_stay import ReviewMessageRow, ReviewRequestRow
from connectors.whatsapp.config import WhatsAppConfig
from connectors.whatsapp.deliveries import ReviewDeliveries
from connectors.whatsapp.graph import GraphClient
from connectors.whatsapp.inbound import parse
from connectors.whatsapp.output import WhatsAppOutput
from tests.fakes.graph_api import GraphApiFake, status

TZ = ZoneInfo("America/Argentina/Buenos_Aires")
TOKEN = "EAAG-unit-test-token-0123"
PHONE_ID = "106540352242922"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Hotel time in 2033."""
    return datetime(2033, month, day, hour, minute, tzinfo=TZ)


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


async def book(running: Services, room: int, first: date, name: str, phone: str) -> Reservation:
    request = BookingRequest("double", first, first + timedelta(days=2), 2, name, "guest@example.com", phone)
    return await running.pms.create_reservation(dataclasses.replace(request, room_number=room))


async def sent_request(running: Services, stay: Reservation, sent_at: datetime) -> ReviewRequestRow:
    """The stay's review request, marked sent as dispatch marks it when Rasa takes it."""
    row, _ = await reviews.schedule(running, stay, sent_at - timedelta(days=1))
    async with running.db.session() as session:
        stored = await session.get(ReviewRequestRow, row.id)
        assert stored is not None
        stored.status, stored.sent_at = "sent", sent_at.astimezone(timezone.utc)
    return stored


async def reread(running: Services, request_id: int) -> ReviewRequestRow:
    async with running.db.session() as session:
        row = await session.get(ReviewRequestRow, request_id)
        assert row is not None
        return row


def receipts(*statuses: dict[str, Any]) -> list[Any]:
    """The receipts of a status webhook, as the channel parses it."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5491150001234", "phone_number_id": PHONE_ID},
        "statuses": list(statuses),
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return parse(body, PHONE_ID)[1]


@pytest.fixture
async def ready(running: Services) -> Services:
    await running.pms.start()
    return running


@pytest.fixture
async def fake() -> AsyncIterator[GraphApiFake]:
    server = GraphApiFake(TOKEN, PHONE_ID)
    await server.start()
    for language in ("es_AR", "en_US"):
        server.approve_template("review_request", language, body_parameters=1, quick_replies=5)
    yield server
    await server.stop()


@pytest.fixture
async def output(fake: GraphApiFake, ready: Services) -> AsyncIterator[WhatsAppOutput]:
    """The channel's output for proactive messages, with the deliveries store on the test database."""
    config = WhatsAppConfig("verify-0123456789", "secret-0123456789", TOKEN, PHONE_ID, "v19.0", fake.url)
    client = GraphClient(config, attempts=1)
    deliveries = ReviewDeliveries(get_settings())
    yield WhatsAppOutput(client, deliveries=deliveries)
    await client.close()
    await deliveries.close()


async def test_receipts_set_delivered_or_failed_once_and_stats_count_them(
    ready: Services, output: WhatsAppOutput, fake: GraphApiFake
) -> None:
    assert output.deliveries is not None
    sent_at = at(9, 12, 10)
    guests = {
        "ana": await book(ready, 106, date(2033, 9, 9), "Ana Pérez", "+54 9 11 5555 0901"),
        "bruno": await book(ready, 107, date(2033, 9, 9), "Bruno Díaz", "+54 9 11 5555 0902"),
        "carla": await book(ready, 108, date(2033, 9, 9), "Carla Gómez", "+54 9 11 5555 0903"),
    }
    rows = {name: await sent_request(ready, stay, sent_at) for name, stay in guests.items()}
    wamids = {}
    for name, row in rows.items():
        recipient = reviews.conversation_for(str(row.guest_key))  # the conversation Rasa sends from
        await output.send_custom_json(recipient, review_actions.template(row, name.title(), ready.profile, "es"))
        (wamids[name],) = fake.wamids(str(row.guest_key), "template")
    assert output.sent == list(wamids.values())
    assert all(wamid.startswith("wamid.") for wamid in wamids.values())
    assert not await output.deliveries.record(wamids["ana"], rows["ana"].id)  # recorded once already

    # Ana: read arrives before delivered, and Meta retries both; delivered_at is the delivery's time.
    delivered, read = sent_at + timedelta(minutes=1), sent_at + timedelta(minutes=5)
    ana = str(rows["ana"].guest_key)
    await output.deliveries.apply(receipts(status(wamids["ana"], "read", ana, unix(read))))
    assert (await reread(ready, rows["ana"].id)).delivered_at is not None
    for _ in range(2):
        await output.deliveries.apply(
            receipts(
                status(wamids["ana"], "sent", ana, unix(sent_at)),
                status(wamids["ana"], "delivered", ana, unix(delivered)),
                status(wamids["ana"], "read", ana, unix(read)),
            )
        )
    assert reviews.aware((await reread(ready, rows["ana"].id)).delivered_at) == delivered
    # Bruno: read only (Meta skips "delivered" when the guest reads at once).
    bruno = str(rows["bruno"].guest_key)
    await output.deliveries.apply(receipts(status(wamids["bruno"], "read", bruno, unix(read))))
    # Carla: the template failed (healthy ecosystem limit); her later reminder failing too changes nothing more.
    carla = str(rows["carla"].guest_key)
    failure = (131049, "This message was not delivered to maintain healthy ecosystem engagement.")
    await output.deliveries.apply(receipts(status(wamids["carla"], "failed", carla, unix(delivered), failure)))
    # Receipts of other messages (the bot's replies) match nothing.
    await output.deliveries.apply(receipts(status("wamid.SOMETHINGELSE", "delivered", carla, unix(delivered))))

    stored = {name: await reread(ready, row.id) for name, row in rows.items()}
    assert stored["bruno"].delivered_at is not None and stored["bruno"].delivery_failed_at is None
    assert stored["carla"].delivered_at is None and stored["carla"].delivery_failed_at is not None
    async with ready.db.session() as session:
        message = await session.get(ReviewMessageRow, wamids["carla"])
        assert message is not None and (message.status, message.error_code) == ("failed", 131049)
        assert (await session.get(ReviewMessageRow, wamids["ana"])).status == "read"  # type: ignore[union-attr]

    figures = await review_answers.stats(ready, date(2033, 9, 12), date(2033, 9, 12))
    assert (figures["sent"], figures["delivered"], figures["delivery_failed"]) == (3, 2, 1)
    assert figures["by_segment"]["leisure"]["delivered"] == 2
    assert figures["by_segment"]["leisure"]["delivery_failed"] == 1


async def test_a_receipt_that_overtakes_the_recording_of_its_wamid_still_counts(
    ready: Services, output: WhatsAppOutput
) -> None:
    assert output.deliveries is not None
    sent_at = at(9, 12, 11)
    stay = await book(ready, 106, date(2033, 9, 20), "Diego Ruiz", "+54 9 11 5555 0904")
    row = await sent_request(ready, stay, sent_at)
    wamid, guest = "wamid.HBgNNTQ5MTE1NTU1MDkwNBUCABEYEkVBUkxZUkVDRUlQVDAwMDAxAA==", str(row.guest_key)
    delivered = sent_at + timedelta(seconds=2)
    await output.deliveries.apply(receipts(status(wamid, "delivered", guest, unix(delivered))))  # before the record
    assert (await reread(ready, row.id)).delivered_at is None
    assert await output.deliveries.record(wamid, row.id)
    assert reviews.aware((await reread(ready, row.id)).delivered_at) == delivered
    assert not await output.deliveries.record(wamid, row.id)  # nothing kept twice


def review_tracker(sender: str, row: ReviewRequestRow, **slots: Any) -> Tracker:
    """The guest's WhatsApp conversation as Rasa hands it to action_review_request after trigger_intent."""
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": {"language": "es", **slots},
            "latest_message": {
                "text": "/EXTERNAL_review_request",
                "intent": {"name": "EXTERNAL_review_request", "confidence": 1.0},
                "entities": [{"entity": "review_request", "value": str(row.id)}],
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


async def test_the_request_goes_in_the_language_the_guest_wrote_in(
    ready: Services, domain_dict: dict[str, Any]
) -> None:
    argentine = await book(ready, 206, date(2033, 10, 9), "Eva Torres", "+54 9 11 5555 0904")
    british = await book(ready, 207, date(2033, 10, 9), "Fiona Smith", "+44 7700 900904")
    quiet = await book(ready, 208, date(2033, 10, 9), "Gabriel Ruiz", "+54 9 11 5555 0905")
    rows = [await sent_request(ready, stay, at(10, 12, 10)) for stay in (argentine, british, quiet)]
    assert [row.language for row in rows] == ["es", "en", "es"]  # the country code's guess at scheduling

    async def run(sender: str, row: ReviewRequestRow, **slots: Any) -> dict[str, Any]:
        dispatcher = CollectingDispatcher()
        await ActionReviewRequest().run(dispatcher, review_tracker(sender, row, **slots), domain_dict)
        (message,) = dispatcher.messages
        return dict(message["custom"])

    # Eva wrote in English from her Argentine number: the English template, and the request now says en.
    eva = await run("5491155550904", rows[0], guest_language="en")
    assert eva["template"]["language"] == {"code": "en_US"} and eva["review_request"] == rows[0].id
    assert eva["template"]["components"][1]["parameters"][0]["payload"] == '/give_rating{"rating": 1, "language": "en"}'
    assert (await reread(ready, rows[0].id)).language == "en"
    # Fiona never wrote (the language slot holds its default, es): the request's own guess stands.
    fiona = await run("447700900904", rows[1])
    assert fiona["template"]["language"] == {"code": "en_US"}
    assert (await reread(ready, rows[1].id)).language == "en"
    gabriel = await run("5491155550905", rows[2], language="en")  # "language" alone is not the guest's choice
    assert gabriel["template"]["language"] == {"code": "es_AR"}
    assert (await reread(ready, rows[2].id)).language == "es"


def test_the_request_runs_in_the_guest_s_whatsapp_conversation() -> None:
    assert reviews.conversation_for("541155550904") == "5491155550904"  # Argentine mobile: WhatsApp's 549 form
    assert reviews.conversation_for("5491155550904") == "5491155550904"
    assert reviews.conversation_for("447700900904") == "447700900904"
