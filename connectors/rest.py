"""REST channel with strict input checking: malformed requests get a JSON 4xx instead of a 500 or a silent [].

Same URL and reply format as Rasa's `rest` channel (POST /webhooks/rest/webhook with {"sender", "message",
"metadata"?}; the reply is the list of bot messages), so every REST client keeps working.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors import speedups

logger = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 20_000
MAX_SENDER_CHARS = 255


def error(status: int, code: str, message: str) -> HTTPResponse:
    """The project's JSON error body."""
    return response.json({"error": {"code": code, "message": message}}, status=status)


def parse_body(raw: bytes) -> tuple[dict[str, Any] | None, HTTPResponse | None]:
    """The request's fields, or the 4xx that explains what is wrong with them."""
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        return None, error(400, "invalid_json", "The body must be a JSON object.")
    if not isinstance(body, dict):
        return None, error(400, "invalid_json", "The body must be a JSON object.")
    sender, message, metadata = body.get("sender"), body.get("message"), body.get("metadata")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        return None, error(
            400, "invalid_sender", f"`sender` must be a non-empty string of at most {MAX_SENDER_CHARS} characters."
        )
    if not isinstance(message, str):
        return None, error(400, "invalid_message", "`message` must be a string.")
    if not message.strip():
        return None, error(400, "empty_message", "`message` is empty.")
    if len(message) > MAX_MESSAGE_CHARS:
        return None, error(413, "message_too_long", f"`message` is longer than {MAX_MESSAGE_CHARS} characters.")
    if metadata is not None and not isinstance(metadata, dict):
        return None, error(400, "invalid_metadata", "`metadata` must be a JSON object.")
    return {"sender": sender, "message": message, "metadata": metadata}, None


class RestInput(RasaRestInput):
    """Rasa's REST channel, validating requests before they reach the assistant."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health route and the webhook."""
        speedups.install()
        webhook = Blueprint("conserje_rest", __name__)

        @webhook.after_server_stop
        async def close_sessions(_app: Any, _loop: Any) -> None:
            await speedups.close_sessions()  # the action server's kept-alive connections

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            fields, problem = parse_body(request.body)
            if problem is not None or fields is None:
                return problem or error(400, "invalid_request", "Invalid request.")
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(
                    fields["message"],
                    collector,
                    fields["sender"],
                    input_channel=self.name(),
                    metadata=fields["metadata"],
                )
            )
            return response.json(collector.messages)

        return webhook
