"""Rasa's socket.io channel with session persistence that works on python-socketio 5 (the web widget's transport).

Rasa 3.6's `session_request` handler calls `AsyncServer.enter_room` without awaiting it; on python-socketio
>= 5.10 that method is a coroutine, so the socket never joins its session's room and, with
`session_persistence: true`, every bot message is emitted to an empty room: the guest sees no answer. This
channel keeps Rasa's name ("socketio"), settings and events and only replaces that handler.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint

logger = logging.getLogger(__name__)
# The widget sends back the id the server gave it (uuid4 hex); anything else gets a fresh session.
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socketio channel whose sockets really join their session's room."""

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

        sio.on("session_request", session_request, namespace=self.namespace)
        return webhook
