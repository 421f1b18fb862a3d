"""WhatsApp Cloud API input channel: the webhook Meta calls, acknowledged at once and handled in the background.

GET  /webhooks/whatsapp/webhook  subscription check: hub.mode=subscribe and our verify token → hub.challenge, else 403
POST /webhooks/whatsapp/webhook  body ≤ 3 MB (413), X-Hub-Signature-256 on the raw bytes (401 missing, 403 wrong),
                                 JSON (400), then 200 at once; messages go to per-guest queues (inbound.py),
                                 are de-duplicated by id (dedupe.py), marked read, and passed to Rasa
GET  /webhooks/whatsapp/         health, with counters of the delivery receipts seen

Delivery receipts (``statuses``) are counted on the server's loop and handed to the worker's loop like messages;
there the delivered / read / failed ones of review-request templates update their requests (deliveries.py, SQL
in a worker thread), so no database call ever delays the acknowledgement.

Threads: the webhook is answered on the server's event loop, which does nothing else for it (size, signature,
JSON, parse, hand-over). The messages are queued and handled on the channel's own loop thread (connectors/worker.py),
because Rasa's handling of a message blocks its loop for tens of milliseconds at a time (NLU, SQL tracker store).
That thread owns its Graph API session and de-duplication store; the server's loop keeps another Graph API client
for proactive messages. On shutdown the queues are drained (up to 20 s) before the thread stops.

Message types: text as is; tapped buttons, list rows and template quick replies send their payload (e.g.
``/ask_hours{"facility": "pool"}``); a number answering a numbered menu is mapped back to its payload; location
and media with a caption as text plus metadata; media are downloaded to var/media/whatsapp and described in
``metadata["media"]`` (connectors/media.py). Types with nothing to say (sticker, reaction, contacts, captionless
media, unknown) send ``/unsupported_message{"message_kind": ...}``: a polite reply that fits the type, in the
guest's language. A removed reaction (empty emoji) is not answered. A captionless voice note is first transcribed
(voice.py, connectors/audio/); replies to it also go as voice notes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import metrics
from actions.errors import StoreError
from actions.settings import ROOT, get_settings
from connectors import speedups
from connectors.media import unsupported_payload
from connectors.rest import error
from connectors.whatsapp import config as whatsapp_config
from connectors.whatsapp import signature, voice
from connectors.whatsapp.dedupe import SeenMessages, create_seen_messages
from connectors.whatsapp.deliveries import TRACKED, ReviewDeliveries
from connectors.whatsapp.graph import GraphApiError, GraphClient
from connectors.whatsapp.inbound import Inbound, Receipt, SenderQueues, parse
from connectors.whatsapp.output import WhatsAppOutput
from connectors.worker import LoopThread

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 3 * 1024 * 1024
DRAIN_SECONDS = 20.0


class WhatsAppInput(InputChannel):
    """Meta's WhatsApp Cloud API as a Rasa channel (credentials.yml key ``connectors.whatsapp.WhatsAppInput``)."""

    @classmethod
    def name(cls) -> str:
        """URL prefix and ``input_channel`` of the messages: /webhooks/whatsapp/..."""
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Builds the channel from credentials.yml, falling back to the WHATSAPP_* environment variables.

        Raises:
            ConfigError: a credential is missing or a placeholder; the message names the variable.
        """
        voice.voice_service()  # invalid STT_*/VOICE_* settings stop start-up too, naming the variable
        return cls(whatsapp_config.load(credentials))

    def __init__(
        self,
        settings: whatsapp_config.WhatsAppConfig,
        *,
        seen: SeenMessages | None = None,
        media_dir: Path | None = None,
        deliveries: ReviewDeliveries | None = None,
    ) -> None:
        """No I/O: the worker thread, the HTTP sessions and the seen-ids and deliveries stores start on first use."""
        self.settings = settings
        self.client = GraphClient(settings)  # the server's loop: proactive messages
        self.worker_client = GraphClient(settings)  # the worker's loop: replies, read receipts, media
        self.worker = LoopThread("whatsapp-worker")
        self._seen = seen
        self._deliveries = deliveries
        self.media_dir = media_dir or ROOT / "var" / "media" / "whatsapp"
        self.menus: dict[str, list[str]] = {}
        self.receipts: Counter[str] = Counter()
        self._background: set[asyncio.Task[Any]] = set()
        self.queues: SenderQueues | None = None

    @property
    def seen(self) -> SeenMessages:
        """The de-duplication store (Redis with REDIS_URL, else our database), created on first use."""
        if self._seen is None:
            self._seen = create_seen_messages(get_settings())
        return self._seen

    @property
    def deliveries(self) -> ReviewDeliveries:
        """Review-request templates by wamid and their receipts (our SQL database), created on first use."""
        if self._deliveries is None:
            self._deliveries = ReviewDeliveries(get_settings())
        return self._deliveries

    def get_output_channel(self) -> WhatsAppOutput:
        """An output channel for proactive messages (e.g. Rasa's /conversations/.../trigger_intent)."""
        return WhatsAppOutput(self.client, self.menus, self.deliveries)

    def _spawn(self, work: Awaitable[Any]) -> None:
        """Runs ``work`` in the background, keeping a reference so the task is not garbage-collected."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _mark_read(self, message_id: str) -> None:
        try:
            await self.worker_client.mark_read(message_id)
        except GraphApiError as exc:
            logger.warning("whatsapp mark-as-read failed: status=%s code=%s", exc.status, exc.code)

    def _text_for(self, item: Inbound) -> str:
        """What Rasa reads for ``item``: its text, a menu choice's payload, or the polite reply's payload."""
        text = (item.text or "").strip()
        menu = self.menus.get(item.sender)
        if menu and text.isdigit() and 1 <= int(text) <= len(menu):
            item.metadata["menu_choice"] = int(text)
            return menu[int(text) - 1]
        return text or unsupported_payload(item.kind)

    async def _handle(self, item: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """One guest message, in its guest's turn (on the worker's loop): dedupe, read receipt, media, Rasa."""
        try:
            if not await self.seen.first_time(item.message_id):
                logger.info("whatsapp: duplicate message %s ignored", item.message_id)
                metrics.WEBHOOK_DUPLICATES.labels(self.name()).inc()
                return
        except StoreError as exc:
            # Better a rare double answer than a lost guest message.
            logger.warning("whatsapp: dedupe store failed (%s); handling the message anyway", exc)
        self._spawn(self._mark_read(item.message_id))
        if item.media_id:
            try:
                path = await self.worker_client.download(item.media_id, item.kind, self.media_dir)
                item.metadata["media"].update(path=str(path), size=path.stat().st_size)
            except GraphApiError as exc:
                logger.warning("whatsapp media download failed: status=%s code=%s", exc.status, exc.code)
                item.metadata["media"]["error"] = exc.title
        await voice.transcribe(item)
        output = voice.speaking(WhatsAppOutput(self.worker_client, self.menus), item)
        await on_new_message(
            UserMessage(
                self._text_for(item),
                output,
                item.sender,
                input_channel=self.name(),
                message_id=item.message_id,
                metadata=item.metadata,
            )
        )

    def _record(self, body: Any) -> tuple[list[Inbound], list[Receipt]]:
        """Parses the body, counts its receipts (logging failures by code only); its messages and the receipts
        that may concern a review request (delivered, read, failed)."""
        messages, receipts = parse(body, self.settings.phone_number_id)
        for receipt in receipts:
            self.receipts[receipt.status] += 1
            if receipt.status == "failed":
                logger.warning("whatsapp message %s failed: codes=%s", receipt.message_id, receipt.error_codes)
        return messages, [receipt for receipt in receipts if receipt.status in TRACKED]

    def _track(self, receipts: list[Receipt]) -> None:
        """On the worker's loop: applies the receipts to review requests in the background (SQL in a thread)."""
        self._spawn(self.deliveries.apply(receipts))

    def _enqueue(self, items: list[Inbound], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """On the worker's loop: queues one webhook's messages, in order, behind their guests' earlier ones."""
        if self.queues is None:

            async def handle(item: Inbound) -> None:
                await self._handle(item, on_new_message)

            self.queues = SenderQueues(handle)
        for item in items:
            self.queues.submit(item)

    async def _drain(self) -> None:
        """On the worker's loop, at shutdown: finishes the queued messages, then closes what the loop opened."""
        if self.queues is not None:
            await self.queues.join(timeout=DRAIN_SECONDS)
        if self._background:
            await asyncio.wait(list(self._background), timeout=5)
        await self.worker_client.close()
        if self._seen is not None:
            await self._seen.close()
        if self._deliveries is not None:
            await self._deliveries.close()
        await speedups.close_sessions()  # the action-server connections this loop kept alive

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health route, subscription check and the webhook."""
        webhook = Blueprint(f"conserje_{self.name()}", __name__)

        @webhook.listener("after_server_start")
        async def freeze(_app: Any, _loop: Any) -> None:
            speedups.freeze_heap()  # the model is loaded (before_server_start): no more full-heap GC pauses

        @webhook.listener("before_server_stop")
        async def drain(_app: Any, _loop: Any) -> None:
            if self.worker.running:
                await self.worker.run(self._drain())
                self.worker.stop()

        @webhook.listener("after_server_stop")
        async def close(_app: Any, _loop: Any) -> None:
            await self.client.close()

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            busy = self.queues.busy if self.queues else 0
            voice_notes = dict(voice.voice_service().counters)
            return response.json(
                {"status": "ok", "receipts": dict(self.receipts), "busy_senders": busy, "voice_notes": voice_notes}
            )

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            answer = signature.challenge_answer(
                self.settings.verify_token,
                request.args.get("hub.mode"),
                request.args.get("hub.verify_token"),
                request.args.get("hub.challenge"),
            )
            if answer is None:
                return error(403, "verification_failed", "Wrong mode or verify token.")
            return response.text(answer)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            raw = request.body or b""
            if len(raw) > MAX_BODY_BYTES:
                return error(413, "body_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
            verdict = signature.check(self.settings.app_secret, raw, request.headers.get(signature.SIGNATURE_HEADER))
            if verdict is signature.Verdict.MISSING:
                return error(401, "signature_missing", f"The {signature.SIGNATURE_HEADER} header is required.")
            if verdict is signature.Verdict.WRONG:
                return error(403, "signature_invalid", "The signature does not match the body.")
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                return error(400, "invalid_json", "The body must be JSON.")
            if not isinstance(body, dict):
                return error(400, "invalid_json", "The body must be a JSON object.")
            messages, receipts = self._record(body)
            if messages:
                # Handed over in one piece before the 200, in arrival order (the worker's callbacks run in order).
                self.worker.call_soon(self._enqueue, messages, on_new_message)
            if receipts:
                self.worker.call_soon(self._track, receipts)
            return response.json({"status": "received"})

        return webhook
