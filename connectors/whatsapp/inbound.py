"""From a webhook body to the guest messages and delivery receipts in it (pure), and per-guest ordering.

A body may hold several entries, changes and messages (a batch); ``parse`` returns every one, in Meta's order
sorted by timestamp per sender, skipping malformed items instead of refusing the whole batch. ``SenderQueues``
runs each guest's messages one after the other and different guests in parallel (a bounded number at once).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from connectors.whatsapp.payloads import Message

logger = logging.getLogger(__name__)
MEDIA_TYPES = ("image", "audio", "document", "video", "sticker")
SUPPORTED_MEDIA = ("image", "audio", "document")


@dataclass
class Inbound:
    """One guest message, ready for Rasa: ``text`` is None when the type carries no text (a polite reply)."""

    sender: str
    message_id: str
    kind: str
    text: str | None
    metadata: dict[str, Any]
    media_id: str | None = None


@dataclass
class Receipt:
    """A delivery receipt: status of one of our messages, Meta's error codes when it failed, and when (Unix time)."""

    message_id: str
    status: str
    error_codes: list[int] = field(default_factory=list)
    timestamp: int | None = None


def _text_of(message: Message) -> tuple[str | None, dict[str, Any]]:
    """The text Rasa should see for a message, and the type-specific metadata."""
    kind = message.get("type", "unknown")
    if kind == "text":
        return str(message.get("text", {}).get("body", "")), {}
    if kind == "interactive":
        interactive = message.get("interactive", {})
        reply = interactive.get("button_reply") or interactive.get("list_reply")
        if reply and reply.get("id"):
            return str(reply["id"]), {"reply_title": str(reply.get("title", ""))}
        return None, {}
    if kind == "button":
        button = message.get("button", {})
        return (str(button.get("payload") or button.get("text") or "") or None), {}
    if kind == "location":
        location = dict(message.get("location", {}))
        words = " ".join(str(location.get(key, "")) for key in ("name", "address")).strip()
        text = words or f"{location.get('latitude')}, {location.get('longitude')}"
        return text, {"location": location}
    if kind in SUPPORTED_MEDIA:
        media = cast(dict[str, Any], message.get(kind) or {})  # a TypedDict cannot be indexed by a variable key
        caption = str(media.get("caption") or "").strip()
        info = {"kind": kind, **{key: media[key] for key in ("id", "mime_type", "filename", "voice") if key in media}}
        return (caption or None), {"media": info}
    if kind == "reaction":
        reaction = message.get("reaction", {})
        return None, {"reaction": {"emoji": str(reaction.get("emoji", "")), "message_id": reaction.get("message_id")}}
    return None, {}


def parse(body: Any, phone_number_id: str | None = None) -> tuple[list[Inbound], list[Receipt]]:
    """Guest messages and receipts of a webhook body (changes for another phone number are ignored)."""
    messages: list[Inbound] = []
    receipts: list[Receipt] = []
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account":
        return messages, receipts
    for entry in body.get("entry") or []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or value.get("messaging_product", "whatsapp") != "whatsapp":
                continue
            ours = (value.get("metadata") or {}).get("phone_number_id")
            if phone_number_id and ours and str(ours) != phone_number_id:
                continue
            names = {
                str(contact.get("wa_id")): str((contact.get("profile") or {}).get("name", ""))
                for contact in value.get("contacts") or []
                if isinstance(contact, dict)
            }
            for message in value.get("messages") or []:
                item = _inbound(message, names)
                if item is not None:
                    messages.append(item)
            for status in value.get("statuses") or []:
                if isinstance(status, dict) and status.get("id") and status.get("status"):
                    errors = [e for e in status.get("errors") or [] if isinstance(e, dict)]
                    codes = [int(e["code"]) for e in errors if isinstance(e.get("code"), int)]
                    stamp = str(status.get("timestamp") or "")
                    when = int(stamp) if stamp.isdigit() else None
                    receipts.append(Receipt(str(status["id"]), str(status["status"]), codes, when))
    order = {item.sender: index for index, item in reversed(list(enumerate(messages)))}
    messages.sort(key=lambda item: (order[item.sender], int(item.metadata.get("timestamp") or 0)))
    return messages, receipts


def _inbound(message: Any, names: dict[str, str]) -> Inbound | None:
    if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
        logger.warning("whatsapp: message without id or sender skipped")
        return None
    sender = str(message["from"])
    kind = str(message.get("type") or "unknown")
    text, extra = _text_of(message)  # type: ignore[arg-type]
    if kind == "reaction" and not extra["reaction"]["emoji"]:
        return None  # the guest took a reaction back: nothing to answer
    timestamp = str(message.get("timestamp") or "")
    metadata: dict[str, Any] = {
        "channel": "whatsapp",
        "wa_id": sender,
        "profile_name": names.get(sender, ""),
        "message_id": str(message["id"]),
        "timestamp": timestamp if timestamp.isdigit() else "",
        "whatsapp_type": kind,
        **extra,
    }
    media_id = extra.get("media", {}).get("id") if kind in SUPPORTED_MEDIA else None
    return Inbound(sender, str(message["id"]), kind, text, metadata, media_id)


class SenderQueues:
    """One FIFO and one worker task per guest; a worker ends when its guest's queue is empty.

    At most ``max_active`` messages are handled at once (a semaphore, first come first served): Rasa's work is
    mostly CPU, so a burst of new guests waits its turn instead of slowing every conversation down together.
    """

    def __init__(self, handle: Callable[[Inbound], Awaitable[None]], max_active: int = 16) -> None:
        """``handle`` processes one message; its exceptions are logged and do not stop the queue."""
        self.handle = handle
        self._queues: dict[str, deque[Inbound]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._active = asyncio.Semaphore(max_active)

    def submit(self, item: Inbound) -> None:
        """Queues ``item`` behind its guest's earlier messages (synchronous: arrival order is kept)."""
        self._queues.setdefault(item.sender, deque()).append(item)
        if item.sender not in self._workers:
            self._workers[item.sender] = asyncio.create_task(self._drain(item.sender))

    async def _drain(self, sender: str) -> None:
        queue = self._queues[sender]
        while queue:
            item = queue.popleft()
            try:
                async with self._active:
                    await self.handle(item)
            except Exception:  # one bad message must not stall the guest's queue
                logger.exception("whatsapp: handling message %s failed", item.message_id)
        # No await between the emptiness check and the clean-up: submit() cannot interleave here.
        del self._queues[sender]
        del self._workers[sender]

    @property
    def busy(self) -> int:
        """Guests with messages in flight."""
        return len(self._workers)

    async def join(self, timeout: float = 30.0) -> None:
        """Waits for every queued message (shutdown, tests)."""
        workers = list(self._workers.values())
        if workers:
            await asyncio.wait(workers, timeout=timeout)
