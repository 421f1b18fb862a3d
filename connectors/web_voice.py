"""Voice notes in the web widget: an uploaded recording is heard (connectors/audio/) before Rasa reads it, and when
the guest spoke, every text reply carries the URL of the same words as an OGG/Opus file the widget plays.

web.py calls ``await voice.listen(media, sender_id, output)`` for an uploaded audio file and serves
``GET <base>audio/<name>.ogg`` with ``voice.read(name)``. Reply notes come from the voice service (espeak-ng, its
cache) and are kept under var/media/web/audio/ with a size cap (TTS_CACHE_MB); their names are an HMAC of the note
with a key of this process, so a reply's URL cannot be derived from its text (replies may name the guest).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import OutputChannel

from connectors.audio.service import voice_message, voice_service
from connectors.audio.speech import DiskCache
from connectors.socket_io import SocketIOOutput

NOTE_NAME = re.compile(r"[0-9a-f]{64}\.ogg")


class WebVoice:
    """Listening to the widget's recordings and keeping the spoken replies it plays."""

    def __init__(self, directory: Path, base: str) -> None:
        """Reply notes under ``directory``, served at ``base`` + ``audio/<name>.ogg``."""
        self.notes = DiskCache(directory, voice_service().config.cache_bytes)
        self.base = base
        self.key = secrets.token_bytes(32)

    async def listen(
        self, media: Mapping[str, Any], sender_id: str, output: OutputChannel
    ) -> tuple[str, dict[str, Any], OutputChannel]:
        """What Rasa reads for the recording, the metadata to add, and ``output`` made to speak when the guest
        spoke and spoken replies are on."""
        text, metadata = await voice_message(media, sender_id)
        if isinstance(output, SocketIOOutput) and voice_service().config.replies:
            output = SpokenSocketIOOutput(output, self, str(metadata.get("voice_language") or "en"))
        return text, metadata, output

    async def url(self, text: str, language: str) -> str | None:
        """The URL of ``text`` spoken in ``language``, None when there is nothing to say or synthesis failed."""
        note = await voice_service().speak(text, language)
        if note is None:
            return None
        key = hmac.new(self.key, hashlib.sha256(note).digest(), "sha256").hexdigest()
        await self.notes.put(key, note)
        return f"{self.base}audio/{key}.ogg"

    async def read(self, name: str) -> bytes | None:
        """The note called ``name`` (``<64 hex digits>.ogg``); None for any other name or an evicted note."""
        if not NOTE_NAME.fullmatch(name):
            return None
        return await self.notes.get(name.removesuffix(".ogg"))


class SpokenSocketIOOutput(SocketIOOutput):
    """SocketIOOutput whose text messages (with or without buttons) also carry ``audio``: the URL of their words
    spoken."""

    def __init__(self, output: SocketIOOutput, voice: WebVoice, language: str) -> None:
        """Emits on ``output``'s server and event; ``language`` picks the voice (the one the guest spoke in)."""
        super().__init__(output.sio, output.bot_message_evt)
        self.voice = voice
        self.language = language

    async def _send_message(self, socket_id: str, response: Any) -> None:
        words = response.get("text") if isinstance(response, dict) else None
        if isinstance(words, str) and words.strip():
            url = await self.voice.url(words, self.language)
            if url is not None:
                response = {**response, "audio": url}
        await super()._send_message(socket_id, response)
