"""Rasa's socket.io channel with session persistence that works on python-socketio 5 (the web widget's transport).

Rasa 3.6's `session_request` handler calls `AsyncServer.enter_room` without awaiting it; on python-socketio
>= 5.10 that method is a coroutine, so the socket never joins its session's room and, with
`session_persistence: true`, every bot message is emitted to an empty room: the guest sees no answer. This
channel keeps Rasa's name ("socketio"), settings and events and only replaces that handler.

Its output channel also fixes custom payloads: Rasa passes their keys to `AsyncServer.emit` as arguments, which
raises for any key emit does not take (e.g. the location pin's `type`); here they reach the widget as
`{"custom": payload}` (the widget shows a location as a map link). Typed messages (`user_uttered`) get this output
too, through a handler that also ignores malformed events instead of raising on them.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput
from sanic import Blueprint

logger = logging.getLogger(__name__)
# The widget sends back the id the server gave it (uuid4 hex); anything else gets a fresh session.
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class SocketIOOutput(RasaSocketIOOutput):
    """Rasa's socket.io output whose custom payloads are emitted as a message ``{"custom": payload}``."""

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """The payload as the ``custom`` field of a bot message."""
        await self._send_message(recipient_id, {"custom": json_message})


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socketio channel whose sockets really join their session's room."""

    def get_output_channel(self) -> SocketIOOutput | None:
        """The output with working custom payloads (None without a socket.io server, as in Rasa)."""
        return SocketIOOutput(self.sio, self.bot_message_evt) if self.sio is not None else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint, with the `session_request` handler replaced."""
        webhook = super().blueprint(on_new_message)
        sio = self.sio

        async def session_request(sid: str, data: dict[str, Any] | None) -> None:
            requested = (data or {}).get("session_id")
            session_id = requested if isinstance(requested, str) and SESSION_ID.match(requested) else uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            logger.debug(f"Socket {sid} joined session {session_id}.")

        async def user_uttered(sid: str, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message", ""), str):
                logger.info("socketio: malformed %s event ignored", self.user_message_evt)
                return
            if self.session_persistence:
                sender_id = data.get("session_id")
                if not isinstance(sender_id, str) or not SESSION_ID.match(sender_id):
                    logger.info("socketio: message without a valid session_id ignored")
                    return
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            output = SocketIOOutput(sio, self.bot_message_evt)
            metadata = metadata if isinstance(metadata, dict) else {}
            await on_new_message(
                UserMessage(data.get("message", ""), output, sender_id, input_channel=self.name(), metadata=metadata)
            )

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, user_uttered, namespace=self.namespace)
        return webhook
