"""Photos and voice notes from the web widget: checked, stored, and described like WhatsApp's media.

``POST /webhooks/web/upload`` (connectors/web.py) takes multipart/form-data with ``file``, ``session_id`` (the
widget's conversation, as in socket.io's ``user_uttered``), ``sid`` (the widget's socket.io id: the socket must have
joined that session, so a page cannot post into somebody else's conversation) and ``voice`` ("true" for a recording
made in the widget). The type is read from the file's first bytes, never trusted from the browser:

    image  JPEG, PNG, WebP                           ≤ 5 MB   (WhatsApp's limit)
    audio  WebM, Ogg/Opus, WAV, MP3, M4A (MPEG-4)    ≤ 16 MB

Errors are JSON 4xx: 400 (not a form, a field missing), 403 (socket not in that session), 413 (too large for its
kind), 415 (any other type). An accepted file is stored as var/media/web/<uuid>.<ext> and passed to Rasa with
``metadata["media"]`` in the shape of connectors/media.py, like a WhatsApp photo or voice note.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.media import MEDIA_LIMITS, MediaMetadata

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "audio/webm": ".webm",
    "audio/ogg": ".ogg",
    "audio/wav": ".wav",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
}
M4A_BRANDS = (b"M4A ", b"M4B ", b"mp41", b"mp42", b"isom", b"iso5", b"iso6", b"dash")
# Largest accepted request: the largest file plus room for the other fields and the multipart framing.
MAX_REQUEST_BYTES = max(MEDIA_LIMITS["image"], MEDIA_LIMITS["audio"]) + 64 * 1024


class UploadError(Exception):
    """A refused upload: HTTP status, error code and a message for the API caller."""

    def __init__(self, status: int, code: str, message: str) -> None:
        """Keeps what the JSON error body needs."""
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Upload:
    """An accepted file: its kind, its real MIME type and its bytes."""

    kind: str
    mime_type: str
    data: bytes
    voice: bool


def sniff(data: bytes) -> tuple[str, str] | None:
    """(kind, MIME type) from the file's signature, or None when it is not an accepted type."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image", "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image", "image/webp"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio", "audio/wav"
    if data.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in data[:64]:  # EBML header with DocType webm
        return "audio", "audio/webm"
    if data.startswith(b"OggS") and b"OpusHead" in data[:128]:
        return "audio", "audio/ogg"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio", "audio/mpeg"
    if data[4:8] == b"ftyp" and data[8:12] in M4A_BRANDS:
        return "audio", "audio/mp4"
    return None


def check(data: bytes, voice: bool) -> Upload:
    """The upload when its type and size are accepted.

    Raises:
        UploadError: 415 for a type not listed above, 413 for a file over its kind's limit, 400 for an empty file.
    """
    if not data:
        raise UploadError(400, "empty_file", "The file is empty.")
    found = sniff(data)
    if found is None:
        raise UploadError(
            415, "unsupported_type", "Send a JPEG, PNG or WebP photo, or a WebM, Ogg/Opus, WAV, MP3 or M4A recording."
        )
    kind, mime_type = found
    limit = MEDIA_LIMITS[kind]
    if len(data) > limit:
        raise UploadError(413, "file_too_large", f"A {kind} file may have at most {limit // (1024 * 1024)} MB.")
    return Upload(kind, mime_type, data, voice and kind == "audio")


async def store(upload: Upload, directory: Path) -> MediaMetadata:
    """Writes the file under ``directory`` with a random name; returns its media metadata."""
    path = directory / f"{uuid.uuid4().hex}{EXTENSIONS[upload.mime_type]}"

    def write() -> None:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(upload.data)

    await asyncio.to_thread(write)
    media: MediaMetadata = {"kind": upload.kind, "mime_type": upload.mime_type, "path": str(path)}
    media["size"] = len(upload.data)
    if upload.voice:
        media["voice"] = True
    return media


def form_fields(form: Any, files: Any) -> tuple[str, str, bytes, bool]:
    """session_id, sid, the file's bytes and the voice flag from a parsed multipart form.

    Raises:
        UploadError: 400 when a field is missing.
    """
    session_id = str((form.get("session_id") if form else None) or "")
    sid = str((form.get("sid") if form else None) or "")
    upload = files.get("file") if files else None
    if not session_id or not sid:
        raise UploadError(400, "missing_session", "The form needs `session_id` and `sid` from the widget's socket.")
    if upload is None:
        raise UploadError(400, "missing_file", "The form needs a `file`.")
    voice = str((form.get("voice") if form else None) or "").lower() == "true"
    return session_id, sid, bytes(upload.body or b""), voice
