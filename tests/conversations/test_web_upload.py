"""The web widget's photo and voice-note upload through the real Rasa server, with a real socket.io client.

The client joins a session the way the widget does (session_request → session_confirm), uploads to
POST /webhooks/web/upload with its session and socket ids, and reads the assistant's answer from bot_uttered.
Voice notes are real speech (espeak-ng, recorded as the widget does: WebM/Opus), heard by the real speech-to-text
service with the default settings (English offline, no Spanish engine, spoken replies on).
"""

from __future__ import annotations

import io
import queue
import subprocess
import uuid
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from scripts.stack import ROOT, Stack
from tests.conversations.conftest import running_stack
from tests.conversations.domain_text import unsupported_reply
from tests.conversations.test_voice_notes import response_text
from tests.unit.test_audio import probe

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


def webm(text: str) -> bytes:
    """``text`` spoken by espeak-ng, as a browser's MediaRecorder records it: WebM with Opus at 48 kHz."""
    speech = subprocess.run(["espeak-ng", "-v", "en-us", "--stdout", "--", text], capture_output=True, check=True)
    return subprocess.run(
        [
            *["ffmpeg", "-nostdin", "-loglevel", "error", "-i", "-", "-ac", "1", "-ar", "48000"],
            *["-c:a", "libopus", "-b:a", "32k", "-f", "webm", "-"],
        ],
        input=speech.stdout,
        capture_output=True,
        check=True,
    ).stdout


def spoken(stack: Stack, answer: dict[str, Any], tmp_path: Path) -> None:
    """The answer's ``audio`` URL serves an OGG/Opus mono note of its words."""
    assert answer["audio"].startswith("/webhooks/web/audio/"), answer
    note = requests.get(f"{stack.rasa_url}{answer['audio']}", timeout=WAIT)
    assert note.status_code == 200 and note.headers["Content-Type"] == "audio/ogg"
    path = tmp_path / "reply.ogg"
    path.write_bytes(note.content)
    assert probe(path) == {"codec_name": "opus", "channels": 1, "sample_rate": "48000", "format": "ogg"}


def english(widget: Widget) -> None:
    """Writes in English first (the language a note is heard in), and forgets the answers."""
    widget.say("hello, I have a question about my stay")
    while not widget.said.empty():
        widget.said.get()


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


def test_a_silent_recording_is_answered_in_the_conversations_language(stack: Stack, widget: Widget) -> None:
    english(widget)
    recording = wav()
    reply = widget.upload(recording, "voice.wav", voice="true")
    assert reply.status_code == 200, reply.text
    assert reply.json()["media"]["kind"] == "audio"
    assert widget.said.get(timeout=WAIT)["text"] == response_text("utter_voice_unreadable", "en")
    metadata = last_user_event(stack, widget.session_id)["metadata"]
    assert metadata["input_mode"] == "voice" and metadata["voice_outcome"] == "no_speech"
    media = metadata["media"]
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


@pytest.mark.parametrize(
    ("utterance", "intent", "reply_contains"),
    [("where is the hotel", "ask_location", "Gorriti"), ("what time is breakfast", "ask_hours", "reakfast")],
)
def test_a_spoken_question_is_answered_with_text_and_its_words_spoken(
    stack: Stack, widget: Widget, tmp_path: Path, utterance: str, intent: str, reply_contains: str
) -> None:
    english(widget)
    assert widget.upload(webm(utterance), "voice.webm", voice="true").status_code == 200
    answer = widget.said.get(timeout=WAIT)
    assert reply_contains in answer["text"], answer
    spoken(stack, answer, tmp_path)
    user = last_user_event(stack, widget.session_id)
    assert user["text"] == utterance and user["parse_data"]["intent"]["name"] == intent
    metadata = user["metadata"]
    assert metadata["input_mode"] == "voice" and metadata["stt_engine"] == "pocketsphinx"
    assert 0.5 <= metadata["confidence"] <= 1 and metadata["media"]["mime_type"] == "audio/webm"
    widget.say("thanks")  # a typed message: typed answers carry no audio
    assert "audio" not in widget.said.get(timeout=WAIT)


def test_a_spanish_note_without_an_engine_is_told_to_type_in_spanish(
    stack: Stack, widget: Widget, tmp_path: Path
) -> None:
    # No words yet: the hotel's language, Spanish, which has no engine; nothing is transcribed, nothing invented.
    assert widget.upload(webm("hola"), "voice.webm", voice="true").status_code == 200
    answer = widget.said.get(timeout=WAIT)
    assert answer["text"] == response_text("utter_voice_unavailable", "es")
    spoken(stack, answer, tmp_path)
    user = last_user_event(stack, widget.session_id)
    assert user["parse_data"]["intent"]["name"] == "voice_unavailable"
    assert user["metadata"]["voice_outcome"] == "no_engine" and "confidence" not in user["metadata"]


@pytest.mark.parametrize(
    "name",
    ["..%2F..%2Fcredentials.yml", "%2E%2E%2Fvoice.webm", "0" * 64 + ".ogg", "A" * 64 + ".ogg", "0" * 64, "x.ogg"],
)
def test_the_audio_route_serves_only_reply_notes(stack: Stack, name: str) -> None:
    reply = requests.get(f"{stack.rasa_url}/webhooks/web/audio/{name}", timeout=WAIT)
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "not_found"


def corrupt() -> bytes:
    """A WebM header (so the upload is accepted) followed by bytes no decoder reads."""
    return b"\x1a\x45\xdf\xa3\x9fB\x86\x81\x01B\x82\x84webm" + bytes(range(256)) * 64


def rambling() -> bytes:
    """Well over two minutes of speech."""
    return webm("I would like to ask about the pool and the breakfast and the spa and the parking. " * 40)


@pytest.mark.parametrize(
    ("recording", "reply", "outcome"),
    [(corrupt, "utter_voice_unreadable", "unreadable"), (rambling, "utter_voice_too_long", "too_long")],
    ids=["corrupt", "over-two-minutes"],
)
def test_a_note_that_cannot_be_heard_gets_a_polite_reply(
    stack: Stack, widget: Widget, recording: Callable[[], bytes], reply: str, outcome: str
) -> None:
    english(widget)
    assert widget.upload(recording(), "voice.webm", voice="true").status_code == 200
    assert widget.said.get(timeout=WAIT)["text"] == response_text(reply, "en")
    assert last_user_event(stack, widget.session_id)["metadata"]["voice_outcome"] == outcome


@pytest.fixture(scope="module")
def quiet_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Both servers with spoken replies off (VOICE_REPLIES=off)."""
    with running_stack(tmp_path_factory, "quiet-stack", VOICE_REPLIES="off") as running:
        yield running


def test_with_spoken_replies_off_a_note_is_heard_and_answered_in_text_only(quiet_stack: Stack) -> None:
    quiet = Widget(quiet_stack)
    try:
        english(quiet)
        assert quiet.upload(webm("what time is breakfast"), "voice.webm", voice="true").status_code == 200
        answer = quiet.said.get(timeout=WAIT)
        assert "reakfast" in answer["text"] and "audio" not in answer, answer
        assert last_user_event(quiet_stack, quiet.session_id)["metadata"]["input_mode"] == "voice"
    finally:
        quiet.client.disconnect()
