"""Voice notes for any channel: a downloaded audio file → what Rasa should read, and reply texts → voice notes.

``VoiceService.message(path, language)`` returns the text for Rasa and metadata:
- a confident transcript is the user message itself (metadata ``input_mode: voice``, ``confidence``, engine);
- a transcript below ``VOICE_CONFIRM_BELOW`` becomes ``/voice_confirm{"voice_transcript": …}``: the guest is asked
  "Did you mean …?" and only a yes sends the transcript on (domain/voice.yml);
- no engine for the language → ``/voice_unavailable`` (the guest is told to type); too long or too large →
  ``/voice_too_long``; corrupt, silent or engine failure → ``/voice_unreadable``. Never a made-up transcript.
Every outcome is counted (``counters``, shown on the WhatsApp health route), e.g. ``no_engine`` for notes in a
language without an engine; Prometheus gets ``conserje_stt_seconds`` and ``conserje_stt_failures_total{reason}``.

Configuration (environment, read when the first channel asks): ``STT_ENGINE_EN`` / ``STT_ENGINE_ES`` (engines.py),
``VOICE_MAX_SECONDS`` (120), ``VOICE_CONFIRM_BELOW`` (0.5), ``VOICE_REPLIES`` (on), ``TTS_CACHE_MB`` (50).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from actions import metrics
from actions.errors import ConfigError
from actions.settings import ROOT
from connectors.audio.decode import MAX_BYTES, AudioError, decode
from connectors.audio.engines import LANGUAGES, SpeechEngine, SpeechEngineError, engines_from_env
from connectors.audio.speech import DiskCache, RedisCache, Speaker, SpeechCache

logger = logging.getLogger(__name__)
# Calling codes of countries whose guests most likely speak Spanish (a first guess before they write).
SPANISH_CALLING_CODES = (
    "54",
    "34",
    "52",
    "56",
    "57",
    "51",
    "58",
    "591",
    "593",
    "595",
    "598",
    "502",
    "503",
    "504",
    "505",
    "506",
    "507",
    "53",
    "1787",
    "1809",
    "1829",
    "1849",
    "240",
)
OUTCOME_PAYLOADS = {
    "no_engine": "voice_unavailable",
    "too_long": "voice_too_long",
    "too_large": "voice_too_long",
    "unreadable": "voice_unreadable",
    "no_speech": "voice_unreadable",
    "engine_failed": "voice_unreadable",
}


@dataclass(frozen=True)
class VoiceConfig:
    """Limits and switches of the voice pipeline."""

    max_seconds: float = 120.0
    max_bytes: int = MAX_BYTES
    confirm_below: float = 0.5
    replies: bool = True
    cache_bytes: int = 50 * 1024 * 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> VoiceConfig:
        """Reads the VOICE_* and TTS_* variables.

        Raises:
            ConfigError: a value is not a number in range or not on/off; the message names the variable.
        """
        env = os.environ if environ is None else environ

        def number(name: str, default: float, low: float, high: float) -> float:
            raw = env.get(name, "").strip()
            try:
                value = float(raw) if raw else default
            except ValueError:
                raise ConfigError(f"{name} must be a number, got {raw!r}") from None
            if not low <= value <= high:
                raise ConfigError(f"{name} must be between {low:g} and {high:g}")
            return value

        replies = env.get("VOICE_REPLIES", "on").strip().lower()
        if replies not in ("on", "off", "true", "false", "1", "0", "yes", "no"):
            raise ConfigError("VOICE_REPLIES must be on or off")
        return cls(
            max_seconds=number("VOICE_MAX_SECONDS", 120, 1, 900),
            confirm_below=number("VOICE_CONFIRM_BELOW", 0.5, 0, 1),
            replies=replies in ("on", "true", "1", "yes"),
            cache_bytes=int(number("TTS_CACHE_MB", 50, 1, 10_000) * 1024 * 1024),
        )


@dataclass
class Heard:
    """The result of listening to one note: an ``outcome`` and, for ``transcript``, the words."""

    outcome: str
    text: str = ""
    confidence: float | None = None
    engine: str = ""
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class VoiceService:
    """Speech in (engines per language) and speech out (espeak-ng with a cache), with outcome counters."""

    def __init__(self, config: VoiceConfig, engines: dict[str, SpeechEngine], cache: SpeechCache) -> None:
        """``engines`` maps a language to its engine; a language missing from it has none."""
        self.config = config
        self.engines = engines
        self.speaker = Speaker(cache)
        self.counters: Counter[str] = Counter()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> VoiceService:
        """Engines and limits from the environment; the reply cache in Redis with REDIS_URL, else var/tts/.

        Raises:
            ConfigError: see VoiceConfig.from_env and engines_from_env.
        """
        env = os.environ if environ is None else environ
        config = VoiceConfig.from_env(env)
        redis_url = env.get("REDIS_URL", "").strip()
        cache: SpeechCache = RedisCache(redis_url) if redis_url else DiskCache(ROOT / "var" / "tts", config.cache_bytes)
        return cls(config, engines_from_env(env), cache)

    async def hear(self, path: Path | None, language: str, *, too_large: bool = False) -> Heard:
        """Listens to the file at ``path`` as ``language``; counts the outcome.

        ``path`` is None when the channel could not fetch the file (``too_large`` when it was refused for its size).
        """
        heard = Heard("too_large") if too_large and language in self.engines else await self._hear(path, language)
        self.counters[heard.outcome] += 1
        if heard.outcome != "transcript":
            metrics.STT_FAILURES.labels(engine=heard.engine or "none", reason=heard.outcome).inc()
        if heard.outcome == "transcript" and self.needs_confirmation(heard):
            self.counters["low_confidence"] += 1
        logger.info(
            "voice note: outcome=%s language=%s engine=%s seconds=%.1f confidence=%s",
            heard.outcome,
            language,
            heard.engine or "-",
            heard.seconds,
            heard.confidence,
        )
        return heard

    async def _hear(self, path: Path | None, language: str) -> Heard:
        engine = self.engines.get(language)
        if engine is None:
            return Heard("no_engine")
        if path is None:
            return Heard("unreadable")
        try:
            pcm = await decode(
                path, self.config.max_seconds, max_bytes=self.config.max_bytes, noise_floor=engine.noise_floor
            )
        except AudioError as exc:
            logger.info("voice note not decoded: %s", exc)
            return Heard(exc.reason)
        except OSError as exc:
            logger.warning("voice note file unavailable: %s", type(exc).__name__)
            return Heard("unreadable")
        started = time.perf_counter()
        try:
            transcript = await engine.transcribe(pcm, language)
        except SpeechEngineError as exc:
            logger.warning("speech engine %s failed: %s", engine.name, exc)
            return Heard("engine_failed", engine=engine.name, seconds=pcm.seconds)
        metrics.STT_SECONDS.labels(engine=engine.name, language=language).observe(time.perf_counter() - started)
        if not transcript.text:
            return Heard("no_speech", engine=engine.name, seconds=pcm.seconds)
        return Heard("transcript", transcript.text, transcript.confidence, engine.name, pcm.seconds)

    def needs_confirmation(self, heard: Heard) -> bool:
        """A transcript whose confidence is known and below the threshold."""
        return heard.confidence is not None and heard.confidence < self.config.confirm_below

    def as_message(self, heard: Heard, language: str) -> tuple[str, dict[str, Any]]:
        """The text Rasa reads for ``heard`` and the metadata to add to the message."""
        metadata: dict[str, Any] = {"input_mode": "voice", "voice_outcome": heard.outcome, "voice_language": language}
        if heard.outcome != "transcript":
            payload = OUTCOME_PAYLOADS.get(heard.outcome, "voice_unreadable")
            return f"/{payload}{json.dumps({'language': language})}", metadata
        metadata.update(confidence=heard.confidence, stt_engine=heard.engine, voice_seconds=round(heard.seconds, 1))
        if self.needs_confirmation(heard):
            entities = {"voice_transcript": heard.text, "language": language}
            return f"/voice_confirm{json.dumps(entities, ensure_ascii=False)}", metadata
        return heard.text, metadata

    async def message(self, path: Path | None, language: str, *, too_large: bool = False) -> tuple[str, dict[str, Any]]:
        """``hear`` then ``as_message``: what a channel hands to Rasa for a voice note."""
        return self.as_message(await self.hear(path, language, too_large=too_large), language)

    async def speak(self, text: str, language: str) -> bytes | None:
        """An OGG/Opus voice note of a reply, or None (nothing speakable, or synthesis failed)."""
        note = await self.speaker.note(text, language)
        self.counters["spoken" if note else "not_spoken"] += 1
        return note

    async def close(self) -> None:
        """Closes engine sessions and the cache."""
        for engine in self.engines.values():
            await engine.close()
        await self.speaker.cache.close()


def language_from_number(number: str) -> str:
    """A first guess from the calling code: Spanish for Spanish-speaking countries, English otherwise."""
    digits = "".join(char for char in number if char.isdigit())
    return "es" if digits.startswith(SPANISH_CALLING_CODES) else "en"


async def conversation_language(sender_id: str) -> str | None:
    """The ``language`` slot of the guest's conversation in Rasa's tracker store, None if there is none yet.

    Read through the running Rasa server's agent (this runs inside the Rasa process); any failure means "unknown".
    """
    from rasa.shared.core.events import UserUttered
    from sanic import Sanic

    for app in list(Sanic._app_registry.values()):
        agent = getattr(app.ctx, "agent", None)
        store = getattr(agent, "tracker_store", None)
        if store is None:
            continue
        try:
            tracker = await store.retrieve(sender_id)
        except Exception as exc:  # a store failure must not lose the voice note
            logger.warning("voice note: conversation language unavailable: %s", type(exc).__name__)
            return None
        if tracker is None or not any(isinstance(event, UserUttered) for event in tracker.events):
            return None
        language = tracker.get_slot("language")
        return str(language) if language in LANGUAGES else None
    return None


async def guest_language(sender_id: str, number: str = "") -> str:
    """The conversation's language once the guest has written; before that, a guess from the phone number."""
    return await conversation_language(sender_id) or (language_from_number(number) if number else "es")


async def voice_message(media: Mapping[str, Any], sender_id: str, number: str = "") -> tuple[str, dict[str, Any]]:
    """What Rasa reads for a voice note a channel received, described by ``metadata["media"]`` (connectors/media.py):
    the guest's language, then the note (or the reason it could not be fetched) heard in it."""
    language = await guest_language(sender_id, number)
    path = media.get("path")
    too_large = "larger than" in str(media.get("error", ""))
    return await voice_service().message(Path(path) if path else None, language, too_large=too_large)


@lru_cache(maxsize=1)
def voice_service() -> VoiceService:
    """The process's voice service, built from the environment on first use (a channel's start-up), its speech
    models loaded then rather than on a guest's first note.

    Raises:
        ConfigError: the voice configuration is invalid.
    """
    service = VoiceService.from_env()
    for engine in service.engines.values():
        engine.prepare()
    return service
