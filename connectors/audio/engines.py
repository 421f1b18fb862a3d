"""Speech-to-text engines behind one port, chosen per language by configuration.

    SpeechEngine              port: ``await transcribe(pcm, language)`` → Transcript (text may be empty)
    ├── PocketSphinxEngine    offline, the en-us model shipped with pocketsphinx, biased by the domain model (lm.py)
    └── HttpEngine            an OpenAI-compatible ``POST /v1/audio/transcriptions`` (whisper.cpp's server,
                              faster-whisper servers, hosted APIs), multipart WAV, ``verbose_json`` answers

``engines_from_env`` reads ``STT_ENGINE_<LANG>`` (``pocketsphinx``, ``http`` or empty for none) for each language;
English defaults to ``pocketsphinx``, Spanish to none (PocketSphinx ships no Spanish model).
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from actions.errors import ConfigError, ServiceError
from connectors.audio.decode import Pcm
from connectors.audio.lm import DomainModel, domain_model, shipped_model_dir

LANGUAGES = ("es", "en")
DEFAULT_ENGINES = {"en": "pocketsphinx", "es": ""}
CALIBRATION = "calibrate"
CALIBRATION_GRAMMAR = "#JSGF V1.0; grammar calibrate; public <calibrate> = the;"
FILLERS = frozenset({"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]", "[BREATH]", "[COUGH]", "[UM]", "[UH]"})


class SpeechEngineError(ServiceError):
    """The engine failed (service down, refused the audio); the guest is asked to type."""


@dataclass(frozen=True)
class Transcript:
    """What an engine heard: ``confidence`` in [0, 1], or None when the engine gives none."""

    text: str
    confidence: float | None
    engine: str


class SpeechEngine(ABC):
    """Port: speech to text for one language."""

    name = "engine"
    noise_floor = 0.0  # comfort-noise amplitude the decoder should mix in for this engine (decode.py)

    @abstractmethod
    async def transcribe(self, pcm: Pcm, language: str) -> Transcript:
        """The words in ``pcm``.

        Raises:
            SpeechEngineError: the engine failed.
        """

    def prepare(self) -> None:  # noqa: B027 - engines without models need nothing
        """Loads models ahead of the first note (at start-up)."""

    async def close(self) -> None:  # noqa: B027 - engines without connections need nothing
        """Releases connections."""


class PocketSphinxEngine(SpeechEngine):
    """CMU PocketSphinx with its en-us acoustic model and either our domain model or its general one.

    Confidence is the mean posterior probability of the recognised words (from the lattice). One decoder per
    engine, used by one thread at a time, in a worker thread so the event loop never blocks.
    """

    name = "pocketsphinx"
    noise_floor = 0.03

    def __init__(self, model: DomainModel | None = None, *, biased: bool = True) -> None:
        """``biased`` False uses the package's general English model (the benchmark's baseline)."""
        self.model = model
        self.biased = biased
        self._decoder: Any = None
        self._search = ""
        self._lock = threading.Lock()

    def _load(self) -> Any:
        from pocketsphinx import Decoder

        if self._decoder is None:
            options: dict[str, Any] = {"hmm": str(shipped_model_dir() / "en-us"), "loglevel": "FATAL"}
            if self.biased:
                model = self.model or domain_model()
                options.update(lm=str(model.lm), dict=str(model.dictionary))
            decoder = Decoder(**options)
            self._search = decoder.current_search()
            decoder.add_jsgf_string(CALIBRATION, CALIBRATION_GRAMMAR)
            self._decoder = decoder
        return self._decoder

    def prepare(self) -> None:
        """Builds the domain model if the training data changed, and loads the decoder."""
        with self._lock:
            self._load()

    def decode(self, pcm: Pcm) -> Transcript:
        """Synchronous decoding (the benchmark calls this directly)."""
        with self._lock:
            decoder = self._load()
            # PocketSphinx adapts its feature normalisation from one utterance to the next (setting the cepstral
            # mean or turning noise removal off does not stop it). A first pass over the same note with a one-word
            # grammar (about a tenth of the real search's cost) sets that state from the note itself, so each note
            # is decoded the same whatever came before it.
            decoder.activate_search(CALIBRATION)
            decoder.start_utt()
            decoder.process_raw(pcm.data, full_utt=True)
            decoder.end_utt()
            decoder.activate_search(self._search)
            decoder.start_utt()
            decoder.process_raw(pcm.data, full_utt=True)
            decoder.end_utt()
            hypothesis = decoder.hyp()
            if hypothesis is None or not hypothesis.hypstr.strip():
                return Transcript("", 0.0, self.name)
            posteriors = [segment.prob for segment in decoder.seg() if segment.word.split("(")[0] not in FILLERS]
        confidence = sum(posteriors) / len(posteriors) if posteriors else 0.0
        return Transcript(hypothesis.hypstr.strip(), round(min(max(confidence, 0.0), 1.0), 3), self.name)

    async def transcribe(self, pcm: Pcm, language: str) -> Transcript:
        """Decodes in a worker thread."""
        return await asyncio.to_thread(self.decode, pcm)


class HttpEngine(SpeechEngine):
    """An OpenAI-compatible transcription endpoint.

    Confidence, when the server returns segments (``verbose_json``), is exp(mean ``avg_logprob``) weighted by
    segment length; servers answering plain ``{"text"}`` give no confidence and their transcript is used as is.
    """

    name = "http"

    def __init__(self, url: str, *, model: str = "whisper-1", api_key: str = "", timeout_seconds: float = 60.0) -> None:
        """``url`` is the server's base (``…/v1/audio/transcriptions`` is appended unless already there)."""
        base = url.rstrip("/")
        self.url = base if base.endswith("/audio/transcriptions") else f"{base}/v1/audio/transcriptions"
        self.model = model
        self.api_key = api_key
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            self._session = aiohttp.ClientSession(timeout=self.timeout, headers=headers)
        return self._session

    async def transcribe(self, pcm: Pcm, language: str) -> Transcript:
        """POSTs the audio as multipart WAV with the language and ``response_format=verbose_json``."""
        form = aiohttp.FormData()
        form.add_field("file", pcm.wav(), filename="voice.wav", content_type="audio/wav")
        form.add_field("model", self.model)
        form.add_field("language", language)
        form.add_field("response_format", "verbose_json")
        try:
            async with self._session_now().post(self.url, data=form) as reply:
                body = await reply.json(content_type=None)
                status = reply.status
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise SpeechEngineError(f"transcription service unreachable or unreadable: {type(exc).__name__}") from exc
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise SpeechEngineError(f"transcription service answered HTTP {status}")
        return Transcript(" ".join(body["text"].split()), _confidence(body.get("segments")), self.name)

    async def close(self) -> None:
        """Closes the HTTP session."""
        if self._session is not None and not self._session.closed:
            await self._session.close()


def _confidence(segments: Any) -> float | None:
    """exp of the duration-weighted mean ``avg_logprob`` of Whisper-style segments, or None."""
    if not isinstance(segments, list):
        return None
    total = weight = 0.0
    for segment in segments:
        if isinstance(segment, dict) and isinstance(segment.get("avg_logprob"), int | float):
            span = max(float(segment.get("end", 0)) - float(segment.get("start", 0)), 0.01)
            total += float(segment["avg_logprob"]) * span
            weight += span
    return round(math.exp(total / weight), 3) if weight else None


def engine_for(kind: str, language: str, environ: Mapping[str, str]) -> SpeechEngine | None:
    """The engine named ``kind`` for ``language`` (None for an empty name or ``none``).

    Raises:
        ConfigError: unknown engine, PocketSphinx for a language other than English, or http without its URL.
    """
    kind = kind.strip().lower()
    variable = f"STT_ENGINE_{language.upper()}"
    if kind in ("", "none", "off"):
        return None
    if kind == "pocketsphinx":
        if language != "en":
            raise ConfigError(f"{variable}=pocketsphinx: the pocketsphinx package ships an English model only")
        return PocketSphinxEngine()
    if kind == "http":
        url = environ.get("STT_HTTP_URL", "").strip()
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{variable}=http needs STT_HTTP_URL (http(s) base URL of the transcription server)")
        return HttpEngine(
            url,
            model=environ.get("STT_HTTP_MODEL", "").strip() or "whisper-1",
            api_key=environ.get("STT_HTTP_API_KEY", "").strip(),
            timeout_seconds=float(environ.get("STT_HTTP_TIMEOUT_SECONDS", "") or 60),
        )
    raise ConfigError(f"{variable}={kind!r}: use pocketsphinx, http or leave it empty")


def engines_from_env(environ: Mapping[str, str] | None = None) -> dict[str, SpeechEngine]:
    """The configured engine of every language that has one.

    Raises:
        ConfigError: see ``engine_for``.
    """
    env = os.environ if environ is None else environ
    engines: dict[str, SpeechEngine] = {}
    for language in LANGUAGES:
        engine = engine_for(env.get(f"STT_ENGINE_{language.upper()}", DEFAULT_ENGINES[language]), language, env)
        if engine is not None:
            engines[language] = engine
    return engines
