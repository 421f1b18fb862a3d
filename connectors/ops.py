"""Operations routes of the Rasa server, as a channel (credentials.yml key ``connectors.ops.OpsInput``).

GET /webhooks/ops/health   alive (the process answers)
GET /webhooks/ops/ready    database, Redis (when configured) and a loaded model; 503 names what is missing
GET /webhooks/ops/metrics  Prometheus text (actions/metrics.py), ``Authorization: Bearer $CONSERJE_METRICS_TOKEN``

Building the blueprint also instruments Rasa's message processor (once per process): every logged guest message
counts by channel and kind and feeds the intent-confidence histogram and the fallback counter; every bot message
sent counts by channel and kind; and each conversation is rate limited (GUEST_RATE_LIMIT_PER_MINUTE). These are
the points all channels pass through.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, Event
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from actions import metrics
from actions.ratelimit import RateLimiter, create_rate_limiter
from actions.settings import get_settings
from connectors.rest import error
from connectors.stores import open_engine

_INSTALLED = "_conserje_metrics"
_LIMITED = "_conserje_guest_limit"
RATE_LIMITED_PAYLOAD = "/rate_limited"


def message_kind(message: UserMessage) -> str:
    """text, payload (a button or /intent), voice (a transcribed note) or media (a photo, a file...)."""
    metadata = message.metadata or {}
    if metadata.get("input_mode") == "voice":
        return "voice"
    if metadata.get("media"):
        return "media"
    return "payload" if (message.text or "").startswith("/") else "text"


def bot_kind(data: dict[str, Any]) -> str:
    """The kind of a bot message: buttons, image, audio, custom or text."""
    if data.get("buttons") or data.get("quick_replies"):
        return "buttons"
    if data.get("image") or data.get("attachment"):
        return "image"
    custom = data.get("custom")
    if isinstance(custom, dict) and (custom.get("audio") or custom.get("voice")):
        return "audio"
    return "custom" if custom else "text"


def instrument() -> None:
    """Wraps MessageProcessor.log_message and _send_bot_messages with the counters (idempotent)."""
    if getattr(MessageProcessor, _INSTALLED, False):
        return
    log_message = MessageProcessor.log_message
    send_bot_messages = MessageProcessor._send_bot_messages

    @functools.wraps(log_message)
    async def counted_log_message(
        self: MessageProcessor, message: UserMessage, should_save_tracker: bool = True
    ) -> DialogueStateTracker:
        tracker = await log_message(self, message, should_save_tracker)
        channel = message.input_channel or "unknown"
        metrics.MESSAGES.labels("in", channel, message_kind(message)).inc()
        intent = tracker.latest_message.intent if tracker.latest_message else {}
        name, confidence = intent.get("name"), intent.get("confidence")
        if name and isinstance(confidence, int | float):
            metrics.INTENT_CONFIDENCE.labels(name).observe(float(confidence))
        if name == "nlu_fallback":
            metrics.FALLBACKS.labels(channel).inc()
        return tracker

    async def counted_send_bot_messages(
        events: list[Event], tracker: DialogueStateTracker, output_channel: OutputChannel
    ) -> None:
        # Rasa passes no output channel for a session start triggered through the HTTP API (trigger_intent).
        channel = tracker.get_latest_input_channel() or (output_channel.name() if output_channel else "unknown")
        for event in events:
            if isinstance(event, BotUttered):
                metrics.MESSAGES.labels("out", channel, bot_kind(event.message())).inc()
        await send_bot_messages(events, tracker, output_channel)

    MessageProcessor.log_message = counted_log_message  # type: ignore[method-assign]
    MessageProcessor._send_bot_messages = staticmethod(counted_send_bot_messages)  # type: ignore[method-assign,assignment]
    setattr(MessageProcessor, _INSTALLED, True)


def limit_guests(limiter: RateLimiter) -> None:
    """Wraps MessageProcessor.handle_message with the per-conversation limit (idempotent).

    Over the limit, the first message of the window becomes ``/rate_limited`` (a polite reply in the guest's
    language, domain/limits.yml) and the next ones are dropped until the window ends.
    """
    if getattr(MessageProcessor, _LIMITED, False):
        return
    handle_message = MessageProcessor.handle_message

    @functools.wraps(handle_message)
    async def limited(self: MessageProcessor, message: UserMessage) -> list[dict[str, Any]] | None:
        count = await limiter.hit(f"{message.input_channel}:{message.sender_id}")
        if count > limiter.limit + 1:
            return []
        if count == limiter.limit + 1:
            message = UserMessage(
                RATE_LIMITED_PAYLOAD,
                message.output_channel,
                message.sender_id,
                input_channel=message.input_channel,
                message_id=message.message_id,
                metadata=message.metadata,
            )
        return await handle_message(self, message)

    MessageProcessor.handle_message = limited  # type: ignore[method-assign]
    setattr(MessageProcessor, _LIMITED, True)


class OpsInput(InputChannel):
    """Health, readiness and metrics of the Rasa server."""

    @classmethod
    def name(cls) -> str:
        """URL prefix: /webhooks/ops/..."""
        return "ops"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """No settings of its own: the token comes from CONSERJE_METRICS_TOKEN."""
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The three routes; instruments the processor and limits each guest."""
        settings = get_settings()
        instrument()
        limit_guests(create_rate_limiter(settings.redis_url, settings.guest_rate_limit_per_minute, "conserje:guest:"))
        ops = Blueprint("conserje_ops", __name__)
        engine = open_engine(settings.sync_database_url())

        def database_ok() -> bool:
            try:
                with engine.connect() as connection:
                    connection.execute(sa.text("SELECT 1"))
            except SQLAlchemyError:
                return False
            return True

        async def redis_ok() -> bool:
            from redis import asyncio as redis_asyncio
            from redis.exceptions import RedisError

            client = redis_asyncio.from_url(settings.redis_url or "", socket_timeout=2)
            try:
                return bool(await client.ping())
            except (RedisError, OSError):
                return False
            finally:
                await client.close()

        @ops.route("/health", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @ops.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            checks = {
                "database": "ok" if await asyncio.to_thread(database_ok) else "unavailable",
                "model": "ok" if agent is not None and agent.is_ready() else "not_loaded",
            }
            if settings.redis_url:
                checks["redis"] = "ok" if await redis_ok() else "unavailable"
            ok = all(value == "ok" for value in checks.values())
            return response.json({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)

        @ops.route("/metrics", methods=["GET"])
        async def prometheus(request: Request) -> HTTPResponse:
            if not settings.metrics_token:
                return error(404, "not_found", "Metrics are disabled (CONSERJE_METRICS_TOKEN is not set).")
            if not metrics.authorized(request.headers.get("Authorization"), settings.metrics_token):
                return error(401, "unauthorized", "Missing or wrong bearer token.")
            body, content_type = metrics.exposition()
            return response.raw(body, content_type=content_type)

        return ops
