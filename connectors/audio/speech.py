"""Text to speech: espeak-ng in the guest's language → an OGG/Opus mono voice note, cached by (text, voice).

WhatsApp shows a play button for ``audio/ogg`` with the Opus codec; notes are kept ≤ 512 KB by lowering the Opus
bitrate for long texts (24 kbit/s down to 6). Text is cleaned for speaking first: links, emoji and markup are not
read aloud. The cache holds the finished OGG bytes:

    SpeechCache         port: ``get(key)`` / ``put(key, data)``
    ├── DiskCache       files under var/tts/, oldest evicted beyond a size cap
    └── RedisCache      ``conserje:tts:<key>`` with a TTL (several Rasa servers share it), used with REDIS_URL
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import unicodedata
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from connectors.audio.decode import AudioError, run

logger = logging.getLogger(__name__)
VOICES = {"es": "es-419", "en": "en-us"}
MAX_NOTE_BYTES = 512 * 1024
MAX_BITRATE = 24_000
MIN_BITRATE = 6_000
WORDS_PER_MINUTE = 160
_LINK = re.compile(r"https?://\S+|www\.\S+")
_MARKUP = re.compile(r"[*_~`#>|]+")


def speakable(text: str) -> str:
    """``text`` without links, emoji, symbols and markup, whitespace collapsed."""
    text = _MARKUP.sub(" ", _LINK.sub(" ", text))
    kept = "".join(char for char in text if not unicodedata.category(char).startswith(("So", "Sk", "Cs", "Co")))
    return " ".join(kept.split())


def cache_key(text: str, voice: str) -> str:
    """SHA-256 of the voice and text."""
    return hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()


async def synthesise(text: str, voice: str, *, max_bytes: int = MAX_NOTE_BYTES) -> bytes:
    """An OGG/Opus mono voice note of ``text`` spoken by espeak-ng's ``voice``, at most ``max_bytes``.

    Raises:
        AudioError: ``unreadable`` if espeak-ng or ffmpeg fail, ``too_long`` if even the lowest bitrate is too big.
    """
    wav = await run(["espeak-ng", "-v", voice, "-s", str(WORDS_PER_MINUTE), "--stdout", "--", text])
    seconds = max((len(wav) - 44) / (22_050 * 2), 0.1)  # espeak-ng writes 22.05 kHz 16-bit mono WAV
    bitrate = int(min(MAX_BITRATE, max(MIN_BITRATE, max_bytes * 8 * 0.8 / seconds)))
    while True:
        command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", "-", "-ac", "1", "-ar", "48000"]
        command += ["-c:a", "libopus", "-b:a", str(bitrate), "-application", "voip", "-f", "ogg", "-"]
        note = await run(command, stdin=wav)
        if len(note) <= max_bytes:
            return note
        if bitrate == MIN_BITRATE:
            raise AudioError("too_long", f"{len(note)} bytes at {bitrate} bit/s")
        bitrate = max(MIN_BITRATE, int(bitrate * 0.7))  # Opus overshoots its target on some speech


class SpeechCache(ABC):
    """Port: finished voice notes by key."""

    @abstractmethod
    async def get(self, key: str) -> bytes | None:
        """The cached note, or None."""

    @abstractmethod
    async def put(self, key: str, data: bytes) -> None:
        """Stores a note (failures are logged, never raised: the cache is an optimisation)."""

    async def close(self) -> None:  # noqa: B027 - the disk cache holds nothing open
        """Releases connections."""


class DiskCache(SpeechCache):
    """Files ``<key>.ogg`` in ``directory``; beyond ``max_bytes`` the least recently used are deleted."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        """No I/O until first use."""
        self.directory = directory
        self.max_bytes = max_bytes

    def _get(self, key: str) -> bytes | None:
        path = self.directory / f"{key}.ogg"
        try:
            data = path.read_bytes()
            path.touch()  # recently used
            return data
        except OSError:
            return None

    def _put(self, key: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = self.directory / f"{key}.part"
        partial.write_bytes(data)
        partial.replace(self.directory / f"{key}.ogg")
        files = []
        for path in self.directory.glob("*.ogg"):
            try:
                stat = path.stat()
            except OSError:
                continue
            files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files, key=lambda entry: entry[0]):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size

    async def get(self, key: str) -> bytes | None:
        """Reads in a worker thread."""
        return await asyncio.to_thread(self._get, key)

    async def put(self, key: str, data: bytes) -> None:
        """Writes (atomically) and evicts in a worker thread."""
        try:
            await asyncio.to_thread(self._put, key, data)
        except OSError as exc:
            logger.warning("tts cache write failed: %s", type(exc).__name__)

    def size(self) -> int:
        """Bytes held (tests, health)."""
        return sum(path.stat().st_size for path in self.directory.glob("*.ogg")) if self.directory.exists() else 0


class RedisCache(SpeechCache):
    """Notes in Redis for ``ttl_seconds`` (Redis's own maxmemory policy caps the size)."""

    def __init__(self, redis_url: str, ttl_seconds: int = 7 * 24 * 3600, prefix: str = "conserje:tts:") -> None:
        """Connects on first use."""
        from redis import asyncio as redis_asyncio  # imported here: Redis is optional

        self.client: Any = redis_asyncio.from_url(redis_url)
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix

    async def get(self, key: str) -> bytes | None:
        """GET, None on a miss or an error."""
        from redis.exceptions import RedisError

        try:
            value = await self.client.get(self.prefix + key)
        except RedisError as exc:
            logger.warning("tts cache read failed: %s", type(exc).__name__)
            return None
        return bytes(value) if value is not None else None

    async def put(self, key: str, data: bytes) -> None:
        """SET with the TTL."""
        from redis.exceptions import RedisError

        try:
            await self.client.set(self.prefix + key, data, ex=self.ttl_seconds)
        except RedisError as exc:
            logger.warning("tts cache write failed: %s", type(exc).__name__)

    async def close(self) -> None:
        """Closes the connection pool."""
        await self.client.close()


class Speaker:
    """Voice notes for reply texts, from the cache or freshly synthesised."""

    def __init__(self, cache: SpeechCache) -> None:
        """``cache`` keeps finished notes."""
        self.cache = cache

    async def note(self, text: str, language: str) -> bytes | None:
        """The voice note of ``text`` in ``language`` (None when there is nothing to say or synthesis failed)."""
        words = speakable(text)
        if not words:
            return None
        voice = VOICES.get(language, VOICES["en"])
        key = cache_key(words, voice)
        cached = await self.cache.get(key)
        if cached is not None:
            return cached
        try:
            note = await synthesise(words, voice)
        except AudioError as exc:
            logger.warning("tts failed: %s", exc.reason)
            return None
        await self.cache.put(key, note)
        return note
