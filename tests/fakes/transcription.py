"""A local OpenAI-compatible speech-to-text server (``POST /v1/audio/transcriptions``) over real HTTP.

Speaks the documented API: multipart/form-data with ``file`` (the audio), ``model``, optional ``language`` and
``response_format`` (``json``: ``{"text"}``; ``verbose_json``: adds ``language``, ``duration`` and ``segments``
with ``avg_logprob``). Requires ``Authorization: Bearer <api key>`` when built with one (401 otherwise, in OpenAI's
error shape). It cannot recognise speech: ``answers`` maps a language to the text to return, and every request is
recorded (``requests``) so tests check what the engine sent. ``fail_with`` makes the next answer an HTTP error.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass
class Received:
    """One transcription request: the form fields and facts about the audio file."""

    fields: dict[str, str]
    filename: str
    content_type: str
    audio: bytes

    def wav_seconds(self) -> float:
        """Duration of the WAV file sent (ValueError if it is not a WAV)."""
        with wave.open(io.BytesIO(self.audio)) as audio:
            return audio.getnframes() / audio.getframerate()


class TranscriptionFake:
    """The fake: ``await start()``, ``url`` (the server's base), ``answers``, ``requests``, ``fail_with``."""

    def __init__(self, api_key: str = "", answers: dict[str, str] | None = None) -> None:
        """Nothing listens until start()."""
        self.api_key = api_key
        self.answers = answers or {}
        self.avg_logprob = -0.1
        self.requests: list[Received] = []
        self.fail_with: int | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Base URL (the engine appends /v1/audio/transcriptions)."""
        return f"http://127.0.0.1:{self.port}"

    async def _transcribe(self, request: web.Request) -> web.Response:
        if self.api_key and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            error = {
                "message": "Incorrect API key provided",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
            return web.json_response({"error": error}, status=401)
        fields: dict[str, str] = {}
        file: tuple[str, str, bytes] | None = None
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if part.name == "file":
                file = (part.filename or "", part.headers.get("Content-Type", ""), await part.read())
            elif part.name:
                fields[part.name] = await part.text()
        if file is None or not fields.get("model"):
            error = {"message": "file and model are required", "type": "invalid_request_error", "code": None}
            return web.json_response({"error": error}, status=400)
        received = Received(fields, *file)
        self.requests.append(received)
        if self.fail_with is not None:
            status, self.fail_with = self.fail_with, None
            return web.json_response({"error": {"message": "server error", "type": "server_error"}}, status=status)
        language = fields.get("language", "")
        text = self.answers.get(language, "")
        if fields.get("response_format") != "verbose_json":
            return web.json_response({"text": text})
        duration = received.wav_seconds()
        segments: list[dict[str, Any]] = [
            {"id": 0, "start": 0.0, "end": duration, "text": text, "avg_logprob": self.avg_logprob}
        ]
        body = {"task": "transcribe", "language": language, "duration": duration, "text": text, "segments": segments}
        return web.json_response(body)

    async def start(self) -> None:
        """Listens on a free port of 127.0.0.1 in the running event loop."""
        app = web.Application(client_max_size=30 * 1024 * 1024)
        app.router.add_post("/v1/audio/transcriptions", self._transcribe)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Closes the port."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
