"""Voice notes on WhatsApp: a captionless audio message is heard (connectors/audio/) before Rasa reads it, and when
the guest spoke, every text reply is also sent as a voice note (OGG/Opus uploaded to the Graph API).

input.py calls ``await transcribe(item)`` once the medium is downloaded and wraps its output with
``speaking(output, item)``; nothing else in the channel knows about audio.
"""

from __future__ import annotations

import logging
from typing import Any

from connectors.audio.service import voice_message, voice_service
from connectors.whatsapp.graph import GraphApiError, GraphClient
from connectors.whatsapp.inbound import Inbound
from connectors.whatsapp.output import WhatsAppOutput

logger = logging.getLogger(__name__)
NOTE_MIME = "audio/ogg"


async def transcribe(item: Inbound) -> None:
    """Replaces a captionless audio message's missing text by what the guest said (or a voice_* payload)."""
    media = item.metadata.get("media")
    if item.kind != "audio" or (item.text or "").strip() or not isinstance(media, dict):
        return
    item.text, extra = await voice_message(media, item.sender, item.sender)
    item.metadata.update(extra)


class SpokenOutput(WhatsAppOutput):
    """WhatsAppOutput that follows every text (and text with buttons) with the same words as a voice note."""

    def __init__(self, client: GraphClient, menus: dict[str, list[str]], language: str) -> None:
        """``language`` picks the voice (the language the guest spoke in)."""
        super().__init__(client, menus)
        self.language = language

    async def _speak(self, recipient_id: str, text: str) -> None:
        note = await voice_service().speak(text, self.language)
        if note is None:
            return
        try:
            media_id = await self.client.upload_media(note, NOTE_MIME, "reply.ogg")
        except GraphApiError as exc:
            logger.error("whatsapp voice note upload failed: status=%s code=%s", exc.status, exc.code)
            return
        await self._send(recipient_id, {"type": "audio", "audio": {"id": media_id}})

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """The text, then the voice note."""
        await super().send_text_message(recipient_id, text, **kwargs)
        await self._speak(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """The buttons message, then its text as a voice note (the options stay buttons)."""
        await super().send_text_with_buttons(recipient_id, text, buttons, **kwargs)
        await self._speak(recipient_id, text)


def speaking(output: WhatsAppOutput, item: Inbound) -> WhatsAppOutput:
    """``output`` as a SpokenOutput when the guest sent a voice note and spoken replies are on."""
    if item.metadata.get("input_mode") != "voice" or not voice_service().config.replies:
        return output
    return SpokenOutput(output.client, output.menus, str(item.metadata.get("voice_language") or "en"))
