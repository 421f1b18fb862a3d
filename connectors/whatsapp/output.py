"""Rasa's bot messages as WhatsApp messages, sent through the Graph API client.

Mapping (WhatsApp's limits in brackets): text → text messages [4096 chars each, split at paragraph, line or word];
1–3 buttons → interactive reply buttons [title 20, id 256, body 1024]; 4–10 → an interactive list [row title 24,
row id 200]; more, or a payload too long to be an id → the text with a numbered menu, and the guest's number is
mapped back to the payload by the input channel; image → image by link, except the QR codes we make per guest
(``/media/qr/`` on the action server), which are fetched and uploaded to Meta and sent by media id, so they need
not be public and Meta keeps no link to them;
custom ``{"type": "location", latitude, longitude, name?, address?}`` → a location pin; custom
``{"type": "template", ...}`` → a template message; a template tagged ``"review_request": <id>`` has its wamid
recorded for that request (deliveries.py), so its delivery receipts count in the review stats. Other custom JSON is
never shown raw to a guest.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from rasa.core.channels.channel import OutputChannel

from actions.errors import StoreError
from connectors.whatsapp.deliveries import ReviewDeliveries
from connectors.whatsapp.graph import GraphApiError, GraphClient

logger = logging.getLogger(__name__)
MAX_TEXT = 4096
MAX_BODY = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
UPLOADED_IMAGES = "/media/qr/"  # images made for one guest: sent by upload, never by link
LIST_BUTTON_LABEL = "☰"  # language-neutral: guest-facing words live in domain/, not here


def recipient(wa_id: str) -> str:
    """The number to send to for an inbound ``wa_id``.

    Meta's documented Argentine quirk: mobiles arrive as 54 9 <area+number> (13 digits) but must be addressed as
    54 <area+number>; other numbers are used as they came.
    """
    digits = wa_id.lstrip("+")
    if digits.startswith("549") and len(digits) == 13 and digits.isdigit():
        return "54" + digits[3:]
    return digits


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at a paragraph, line, or word when possible."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def shorten(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def numbered(text: str, buttons: list[dict[str, Any]]) -> str:
    """The text followed by a numbered menu (the fallback when interactive messages cannot carry the options)."""
    lines = [f"{index}. {button.get('title', '')}" for index, button in enumerate(buttons, start=1)]
    return text.rstrip() + "\n\n" + "\n".join(lines)


def _payload(button: dict[str, Any]) -> str:
    return str(button.get("payload") or button.get("title") or "")


def interactive_messages(text: str, buttons: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Graph API message bodies for text with buttons, and the payloads of a numbered menu (empty if none).

    Text longer than an interactive body goes first as plain text; the last part becomes the body.
    """
    payloads = [_payload(button) for button in buttons]
    parts = split_text(text or "…", MAX_BODY) or ["…"]
    lead = [{"type": "text", "text": {"body": part, "preview_url": False}} for part in parts[:-1]]
    body = {"text": parts[-1]}
    if len(buttons) <= MAX_BUTTONS and all(0 < len(payload) <= MAX_BUTTON_ID for payload in payloads):
        replies = [
            {
                "type": "reply",
                "reply": {"id": payload, "title": shorten(str(button.get("title", "")), MAX_BUTTON_TITLE)},
            }
            for payload, button in zip(payloads, buttons, strict=True)
        ]
        interactive = {"type": "button", "body": body, "action": {"buttons": replies}}
        return [*lead, {"type": "interactive", "interactive": interactive}], []
    if len(buttons) <= MAX_ROWS and all(0 < len(payload) <= MAX_ROW_ID for payload in payloads):
        rows = []
        for payload, button in zip(payloads, buttons, strict=True):
            title = " ".join(str(button.get("title", "")).split())
            row: dict[str, Any] = {"id": payload, "title": shorten(title, MAX_ROW_TITLE)}
            if len(title) > MAX_ROW_TITLE:
                row["description"] = shorten(title, MAX_ROW_DESCRIPTION)
            rows.append(row)
        action = {"button": LIST_BUTTON_LABEL, "sections": [{"rows": rows}]}
        return [*lead, {"type": "interactive", "interactive": {"type": "list", "body": body, "action": action}}], []
    menu = [
        {"type": "text", "text": {"body": part, "preview_url": False}} for part in split_text(numbered(text, buttons))
    ]
    return menu, payloads


def location_message(custom: dict[str, Any]) -> dict[str, Any] | None:
    """A location pin from a custom response, or None if the coordinates are not numbers."""
    try:
        pin: dict[str, Any] = {"latitude": float(custom["latitude"]), "longitude": float(custom["longitude"])}
    except (KeyError, TypeError, ValueError):
        return None
    for key in ("name", "address"):
        if custom.get(key):
            pin[key] = str(custom[key])
    return {"type": "location", "location": pin}


class WhatsAppOutput(OutputChannel):
    """Sends one conversation's bot messages; errors are logged (with Meta's code only), never raised to Rasa."""

    @classmethod
    def name(cls) -> str:
        """Channel name, as the input channel's."""
        return "whatsapp"

    def __init__(
        self,
        client: GraphClient,
        menus: dict[str, list[str]] | None = None,
        deliveries: ReviewDeliveries | None = None,
    ) -> None:
        """``menus`` is shared with the input channel: the payloads of the last numbered menu per guest;
        ``deliveries`` records the wamids of review-request templates (None: not recorded)."""
        self.client = client
        self.menus = menus if menus is not None else {}
        self.deliveries = deliveries
        self.sent: list[str] = []  # wamids of what this turn sent

    async def _send(self, recipient_id: str, message: dict[str, Any]) -> list[str]:
        """Sends one message; the wamids Meta answered with (none when the send failed, which is logged)."""
        try:
            result = await self.client.send({"to": recipient(recipient_id), **message})
        except GraphApiError as exc:
            logger.error("whatsapp send failed: type=%s status=%s code=%s", message["type"], exc.status, exc.code)
            return []
        wamids = [str(item["id"]) for item in result.get("messages", []) if isinstance(item, dict) and item.get("id")]
        self.sent.extend(wamids)
        return wamids

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Text, split into WhatsApp-sized messages."""
        for part in split_text(text):
            await self._send(recipient_id, {"type": "text", "text": {"body": part, "preview_url": False}})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Reply buttons, a list, or a numbered menu, depending on how many options there are."""
        messages, menu = interactive_messages(text, buttons)
        if menu:
            self.menus[recipient_id] = menu
        else:
            self.menus.pop(recipient_id, None)
        for message in messages:
            await self._send(recipient_id, message)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Quick replies are buttons on WhatsApp."""
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """An image by link (Meta fetches it; the URL must be public HTTPS in production); a QR code by upload."""
        if UPLOADED_IMAGES in urlsplit(image).path:
            media_id = await self._upload(image)
            if media_id is not None:
                await self._send(recipient_id, {"type": "image", "image": {"id": media_id}})
                return
        await self._send(recipient_id, {"type": "image", "image": {"link": image}})

    async def _upload(self, url: str) -> str | None:
        """Fetches one of our images (without the Graph token) and uploads it; None when either step fails."""
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session,
                session.get(url) as reply,
            ):
                if reply.status != 200:
                    logger.error("whatsapp image fetch failed: status=%s", reply.status)
                    return None
                data, mime_type = await reply.read(), reply.content_type
            return await self.client.upload_media(data, mime_type, "qr.png")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            logger.error("whatsapp image fetch failed: %s", type(exc).__name__)
        except GraphApiError as exc:
            logger.error("whatsapp image upload failed: status=%s code=%s", exc.status, exc.code)
        return None

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        """A document by link when the attachment is a URL; anything else is not shown."""
        if isinstance(attachment, str) and attachment.startswith(("http://", "https://")):
            await self._send(recipient_id, {"type": "document", "document": {"link": attachment}})
        else:
            logger.warning("whatsapp: attachment that is not a URL dropped")

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """Location pins and templates; other custom payloads are logged and not sent."""
        kind = json_message.get("type")
        if kind == "location" and (pin := location_message(json_message)) is not None:
            await self._send(recipient_id, pin)
        elif kind == "template" and isinstance(json_message.get("template"), dict):
            wamids = await self._send(recipient_id, {"type": "template", "template": json_message["template"]})
            await self._track(wamids, json_message.get("review_request"))
        else:
            logger.warning("whatsapp: custom payload of type %r not supported, dropped", kind)

    async def _track(self, wamids: list[str], request_id: Any) -> None:
        """Records the wamids of a review-request template (a store failure costs the stats, never the send)."""
        if self.deliveries is None or not isinstance(request_id, int) or isinstance(request_id, bool):
            return
        for wamid in wamids:
            try:
                await self.deliveries.record(wamid, request_id)
            except StoreError as exc:
                logger.warning("whatsapp: review request %s wamid not recorded (%s)", request_id, exc)
