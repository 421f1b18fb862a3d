"""The web widget's photo and voice-note upload through the real Rasa server, with a real socket.io client.

The client joins a session the way the widget does (session_request → session_confirm), uploads to
POST /webhooks/web/upload with its session and socket ids, and reads the assistant's answer from bot_uttered.
"""

from __future__ import annotations

import io
import queue
import uuid
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from scripts.stack import ROOT, Stack
from tests.conversations.domain_text import unsupported_reply

PHOTO = ROOT / "media" / "photos" / "facade.jpg"
WAIT = 30

pytestmark = pytest.mark.conversation


class Widget:
    """A socket.io client in a session of its own, collecting what the assistant says."""

    def __init__(self, stack: Stack) -> None:
        """Connects and joins a fresh session."""
        self.stack = stack
        self.client = socketio.Client(reconnection=False)
        self.said: queue.Queue[dict[str, Any]] = queue.Queue()
        confirmed: queue.Queue[str] = queue.Queue()
        self.client.on("bot_uttered", self.said.put)
        self.client.on("session_confirm", lambda session: confirmed.put(str(session)))
        self.client.connect(stack.rasa_url, socketio_path="socket.io", transports=["websocket"])
        self.session_id = uuid.uuid4().hex
        self.client.emit("session_request", {"session_id": self.session_id})
        assert confirmed.get(timeout=WAIT) == self.session_id

    def say(self, text: str) -> dict[str, Any]:
        """Sends a text message like the widget and returns the first answer."""
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})
        return self.said.get(timeout=WAIT)

    def upload(self, data: bytes, filename: str, **fields: str) -> requests.Response:
        """POSTs a file to the upload endpoint with this widget's ids (``fields`` override or add form fields)."""
        form = {"session_id": self.session_id, "sid": self.client.get_sid() or "", **fields}
        return requests.post(
            f"{self.stack.rasa_url}/webhooks/web/upload",
            data=form,
            files={"file": (filename, data, "application/octet-stream")},
            timeout=WAIT,
        )


@pytest.fixture
def widget(stack: Stack) -> Iterator[Widget]:
    """A connected widget; disconnected afterwards."""
    connected = Widget(stack)
    yield connected
    connected.client.disconnect()


def wav(seconds: float = 0.5) -> bytes:
    """A real WAV file: mono 16-bit silence."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * int(16000 * seconds))
    return buffer.getvalue()


def last_user_event(stack: Stack, session_id: str) -> dict[str, Any]:
    """The conversation's newest user event."""
    return [event for event in stack.tracker(session_id)["events"] if event["event"] == "user"][-1]


def test_a_photo_is_stored_passed_to_rasa_with_its_media_and_answered_in_the_widget(
    stack: Stack, widget: Widget
) -> None:
    photo = PHOTO.read_bytes()
    reply = widget.upload(photo, "IMG_0001.jpg")
    assert reply.status_code == 200, reply.text
    assert reply.json()["media"] == {"kind": "image", "mime_type": "image/jpeg", "size": len(photo)}
    answer = widget.said.get(timeout=WAIT)
    assert answer["text"] == unsupported_reply("es", "image")  # no words yet: the hotel's language
    user = last_user_event(stack, widget.session_id)
    assert user["input_channel"] == "socketio" and user["parse_data"]["intent"]["name"] == "unsupported_message"
    media = user["metadata"]["media"]
    assert media["kind"] == "image" and media["mime_type"] == "image/jpeg" and media["size"] == len(photo)
    assert Path(media["path"]).parent == ROOT / "var" / "media" / "web"
    assert Path(media["path"]).read_bytes() == photo


def test_a_voice_note_is_answered_in_the_conversations_language(stack: Stack, widget: Widget) -> None:
    widget.say("hello, I have a question about my stay")
    while not widget.said.empty():
        widget.said.get()
    recording = wav()
    reply = widget.upload(recording, "voice.wav", voice="true")
    assert reply.status_code == 200, reply.text
    assert reply.json()["media"]["kind"] == "audio"
    assert widget.said.get(timeout=WAIT)["text"] == unsupported_reply("en", "audio")
    media = last_user_event(stack, widget.session_id)["metadata"]["media"]
    assert media == {
        "kind": "audio",
        "mime_type": "audio/wav",
        "path": media["path"],
        "size": len(recording),
        "voice": True,
    }


@pytest.mark.parametrize(
    ("data", "filename", "status", "code"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "menu.pdf", 415, "unsupported_type"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "anim.gif", 415, "unsupported_type"),
        (b"\xff\xd8\xff\xe0" + b"\0" * (5 * 1024 * 1024), "huge.jpg", 413, "file_too_large"),
        (b"", "empty.jpg", 400, "empty_file"),
    ],
    ids=["pdf", "gif", "image-over-5MB", "empty"],
)
def test_a_refused_file_gets_a_json_4xx_and_reaches_nobody(
    stack: Stack, widget: Widget, data: bytes, filename: str, status: int, code: str
) -> None:
    reply = widget.upload(data, filename)
    assert reply.status_code == status and reply.json()["error"]["code"] == code
    assert not [event for event in stack.tracker(widget.session_id)["events"] if event["event"] == "user"]


def test_audio_over_16_mb_is_refused(widget: Widget) -> None:
    reply = widget.upload(b"ID3\x04\0\0\0\0\0\0" + b"\0" * (16 * 1024 * 1024), "long.mp3")
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "file_too_large"


def test_uploads_need_a_socket_of_that_session_and_a_form(stack: Stack, widget: Widget) -> None:
    photo = PHOTO.read_bytes()
    stranger = widget.upload(photo, "a.jpg", session_id=uuid.uuid4().hex)
    assert stranger.status_code == 403 and stranger.json()["error"]["code"] == "unknown_session"
    no_ids = requests.post(
        f"{stack.rasa_url}/webhooks/web/upload", files={"file": ("a.jpg", photo, "image/jpeg")}, timeout=WAIT
    )
    assert no_ids.status_code == 400 and no_ids.json()["error"]["code"] == "missing_session"
    no_file = requests.post(
        f"{stack.rasa_url}/webhooks/web/upload",
        data={"session_id": widget.session_id, "sid": widget.client.get_sid() or ""},
        files={"other": ("x", b"x")},
        timeout=WAIT,
    )
    assert no_file.status_code == 400 and no_file.json()["error"]["code"] == "missing_file"
    as_json = requests.post(f"{stack.rasa_url}/webhooks/web/upload", json={"file": "x"}, timeout=WAIT)
    assert as_json.status_code == 400 and as_json.json()["error"]["code"] == "invalid_form"
