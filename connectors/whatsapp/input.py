"""WhatsApp Cloud API input channel: the webhook Meta calls, acknowledged at once and handled in the background.

GET  /webhooks/whatsapp/webhook  subscription check: hub.mode=subscribe and our verify token → hub.challenge, else 403
POST /webhooks/whatsapp/webhook  body ≤ 3 MB (413), X-Hub-Signature-256 on the raw bytes (401 missing, 403 wrong),
                                 JSON (400), then 200 at once; messages go to per-guest queues (inbound.py),
                                 are de-duplicated by id (dedupe.py), marked read, and passed to Rasa
GET  /webhooks/whatsapp/         health, with counters of the delivery receipts seen

Message types: text as is; tapped buttons, list rows and template quick replies send their payload (e.g.
``/ask_hours{"facility": "pool"}``); a number answering a numbered menu is mapped back to its payload; location
and media with a caption as text plus metadata; media are downloaded to var/media/whatsapp. Types with nothing to
say (sticker, reaction, contacts, captionless media, unknown) send ``unsupported_payload`` (default
``/nlu_fallback``: the guest gets the fallback reply in their language) with ``whatsapp_type`` in the metadata.
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

from actions.errors import StoreError
from actions.settings import ROOT, get_settings
from connectors.rest import error
from connectors.whatsapp import config as whatsapp_config
from connectors.whatsapp import signature
from connectors.whatsapp.dedupe import SeenMessages, create_seen_messages
from connectors.whatsapp.graph import GraphApiError, GraphClient
from connectors.whatsapp.inbound import Inbound, SenderQueues, parse
from connectors.whatsapp.output import WhatsAppOutput

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 3 * 1024 * 1024
DEFAULT_UNSUPPORTED_PAYLOAD = "/nlu_fallback"


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
        settings = whatsapp_config.load(credentials)
        unsupported = str((credentials or {}).get("unsupported_payload") or DEFAULT_UNSUPPORTED_PAYLOAD)
        return cls(settings, unsupported_payload=unsupported)

    def __init__(
        self,
        settings: whatsapp_config.WhatsAppConfig,
        *,
        unsupported_payload: str = DEFAULT_UNSUPPORTED_PAYLOAD,
        seen: SeenMessages | None = None,
        media_dir: Path | None = None,
    ) -> None:
        """No I/O: the HTTP session and the seen-ids store connect on first use."""
        self.settings = settings
        self.unsupported_payload = unsupported_payload
        self.client = GraphClient(settings)
        self._seen = seen
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

    def get_output_channel(self) -> WhatsAppOutput:
        """An output channel for proactive messages (e.g. Rasa's /conversations/.../trigger_intent)."""
        return WhatsAppOutput(self.client, self.menus)

    def _spawn(self, work: Awaitable[Any]) -> None:
        """Runs ``work`` in the background, keeping a reference so the task is not garbage-collected."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _mark_read(self, message_id: str) -> None:
        try:
            await self.client.mark_read(message_id)
        except GraphApiError as exc:
            logger.warning("whatsapp mark-as-read failed: status=%s code=%s", exc.status, exc.code)

    def _text_for(self, item: Inbound) -> str:
        """What Rasa reads for ``item``: its text, a menu choice's payload, or the unsupported payload."""
        text = (item.text or "").strip()
        menu = self.menus.get(item.sender)
        if menu and text.isdigit() and 1 <= int(text) <= len(menu):
            item.metadata["menu_choice"] = int(text)
            return menu[int(text) - 1]
        return text or self.unsupported_payload

    async def _handle(self, item: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """One guest message, in its guest's turn: dedupe, read receipt, media, Rasa."""
        try:
            if not await self.seen.first_time(item.message_id):
                logger.info("whatsapp: duplicate message %s ignored", item.message_id)
                return
        except StoreError as exc:
            # Better a rare double answer than a lost guest message.
            logger.warning("whatsapp: dedupe store failed (%s); handling the message anyway", exc)
        self._spawn(self._mark_read(item.message_id))
        if item.media_id:
            try:
                path = await self.client.download(item.media_id, item.kind, self.media_dir)
                item.metadata["media"]["path"] = str(path)
            except GraphApiError as exc:
                logger.warning("whatsapp media download failed: status=%s code=%s", exc.status, exc.code)
                item.metadata["media"]["error"] = exc.title
        output = WhatsAppOutput(self.client, self.menus)
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

    def _record(self, body: Any) -> list[Inbound]:
        """Parses the body, counts its receipts (logging failures by code only), returns its messages."""
        messages, receipts = parse(body, self.settings.phone_number_id)
        for receipt in receipts:
            self.receipts[receipt.status] += 1
            if receipt.status == "failed":
                logger.warning("whatsapp message %s failed: codes=%s", receipt.message_id, receipt.error_codes)
        return messages

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health route, subscription check and the webhook."""
        webhook = Blueprint(f"conserje_{self.name()}", __name__)

        async def handle(item: Inbound) -> None:
            await self._handle(item, on_new_message)

        @webhook.listener("before_server_stop")
        async def drain(_app: Any, _loop: Any) -> None:
            if self.queues is not None:
                await self.queues.join(timeout=20)

        @webhook.listener("after_server_stop")
        async def close(_app: Any, _loop: Any) -> None:
            await self.client.close()
            if self._seen is not None:
                await self._seen.close()

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            busy = self.queues.busy if self.queues else 0
            return response.json({"status": "ok", "receipts": dict(self.receipts), "busy_senders": busy})

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
            if self.queues is None:
                self.queues = SenderQueues(handle)
            # Queued synchronously, in order, before the 200: the batch is accepted whole or not at all.
            for item in self._record(body):
                self.queues.submit(item)
            return response.json({"status": "received"})

        return webhook
