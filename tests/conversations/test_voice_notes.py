"""Voice notes through the real Rasa and action servers: real speech (espeak-ng), real decoding (ffmpeg), real
recognition (PocketSphinx with the domain model), real spoken replies; Meta's Graph API played by the local fake,
which serves the guest's note as media and receives our uploaded voice notes.

The stack is test_whatsapp's (its fixtures, a stack of this module's own), with the default voice settings: English
offline, no Spanish engine, notes up to 120 s, spoken replies on. English guests write from +1 numbers (the language
guess before their first message); Spanish ones from +54.
"""

from __future__ import annotations

import subprocess
import time
import zlib
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from connectors.audio.speech import MAX_NOTE_BYTES, synthesise
from scripts.stack import ROOT, Stack
from tests.conversations import test_whatsapp as whatsapp
from tests.conversations.test_whatsapp import message, post, to, webhook
from tests.fakes.graph_api import GraphApiFake
from tests.unit.test_audio import probe

pytestmark = pytest.mark.conversation
graph, wa_stack, _clean = whatsapp.graph, whatsapp.wa_stack, whatsapp._clean  # its fixtures; this module's own stack
_media_ids = count(700000000000001)


def voice_note(graph: GraphApiFake, sender: str, audio: bytes, mime_type: str = "audio/ogg; codecs=opus") -> dict:
    """A WhatsApp voice note from ``sender`` whose bytes the fake serves as media."""
    media_id = str(next(_media_ids))
    graph.add_media(media_id, audio, mime_type.split(";")[0])
    return message(sender, "audio", id=media_id, mime_type=mime_type, voice=True)


def speech(text: str) -> bytes:
    """``text`` spoken by espeak-ng as an OGG/Opus voice note (a guest's recording)."""
    import asyncio

    return asyncio.run(synthesise(text, "en-us"))


def replies(graph: GraphApiFake, number: str, at_least: int = 2, seconds: float = 90) -> list[dict[str, Any]]:
    """The messages sent to ``number``, once there are ``at_least`` including a voice note."""
    graph.wait_until(
        lambda fake: len(to(fake, number)) >= at_least and any(body["type"] == "audio" for body in to(fake, number)),
        seconds,
    )
    return to(graph, number)


def words(body: dict[str, Any]) -> str:
    """The text of a text or interactive message."""
    if body["type"] == "text":
        return str(body["text"]["body"])
    if body["type"] == "interactive":
        return str(body["interactive"]["body"]["text"])
    return ""


def check_voice_reply(graph: GraphApiFake, sent: list[dict[str, Any]], tmp_path: Path) -> bytes:
    """The voice note among ``sent`` is an uploaded OGG/Opus mono file ≤ 512 KB; returns its bytes."""
    (audio,) = [body for body in sent if body["type"] == "audio"][:1]
    data, mime = graph.uploaded(audio["audio"]["id"])
    assert mime == "audio/ogg" and 0 < len(data) <= MAX_NOTE_BYTES
    path = tmp_path / "reply.ogg"
    path.write_bytes(data)
    assert probe(path) == {"codec_name": "opus", "channels": 1, "sample_rate": "48000", "format": "ogg"}
    return data


def last_user(stack: Stack, sender: str) -> dict[str, Any]:
    """The guest's last message as Rasa recorded it (Rasa saves the tracker just after sending the replies)."""
    deadline = time.monotonic() + 15
    while True:
        users = [event for event in stack.tracker(sender)["events"] if event["event"] == "user"]
        if users or time.monotonic() > deadline:
            return users[-1]
        time.sleep(0.2)


def response_text(name: str, language: str) -> str:
    """The text of a domain/voice.yml response in ``language``."""
    domain = yaml.safe_load((ROOT / "domain" / "voice.yml").read_text(encoding="utf-8"))
    for variation in domain["responses"][name]:
        if variation["condition"][0]["value"] == language:
            return str(variation["text"])
    raise AssertionError(f"{name} has no {language} variation")


@pytest.mark.parametrize(
    ("utterance", "intent", "action", "reply_contains"),
    [
        ("hello", "greet", "action_greet", "How can I help?"),
        ("where is the hotel", "ask_location", "action_location", "Gorriti"),
        ("is the pool open now", "ask_hours", "action_hours", "pool"),
        ("what time is breakfast", "ask_hours", "action_hours", "reakfast"),
    ],
)
def test_a_spoken_question_gets_its_answer_as_text_and_as_a_voice_note(
    wa_stack: Stack,
    graph: GraphApiFake,
    tmp_path: Path,
    utterance: str,
    intent: str,
    action: str,
    reply_contains: str,
) -> None:
    sender = f"1415555{zlib.crc32(utterance.encode()) % 10000:04d}"
    assert post(wa_stack, webhook(voice_note(graph, sender, speech(utterance)))).status_code == 200
    sent = replies(graph, sender)
    assert any(reply_contains in words(body) for body in sent), sent
    check_voice_reply(graph, sent, tmp_path)
    user = last_user(wa_stack, sender)
    assert user["text"] == utterance and user["parse_data"]["intent"]["name"] == intent
    assert user["metadata"]["input_mode"] == "voice" and user["metadata"]["stt_engine"] == "pocketsphinx"
    assert 0.5 <= user["metadata"]["confidence"] <= 1
    actions = [event["name"] for event in wa_stack.tracker(sender)["events"] if event["event"] == "action"]
    assert action in actions


def test_a_spanish_note_without_an_engine_is_told_to_type_in_spanish_and_counted(
    wa_stack: Stack, graph: GraphApiFake, tmp_path: Path
) -> None:
    before = requests.get(f"{wa_stack.rasa_url}/webhooks/whatsapp/", timeout=10).json()["voice_notes"]
    sender = "5491155550400"
    spanish = speech("hola")  # any recording: with no Spanish engine nothing is transcribed, nothing is invented
    assert post(wa_stack, webhook(voice_note(graph, sender, spanish))).status_code == 200
    sent = replies(graph, "541155550400")
    assert response_text("utter_voice_unavailable", "es") in [words(body) for body in sent]
    check_voice_reply(graph, sent, tmp_path)
    user = last_user(wa_stack, sender)
    assert (
        user["parse_data"]["intent"]["name"] == "voice_unavailable" and user["metadata"]["voice_outcome"] == "no_engine"
    )
    after = requests.get(f"{wa_stack.rasa_url}/webhooks/whatsapp/", timeout=10).json()["voice_notes"]
    assert after["no_engine"] == before.get("no_engine", 0) + 1


def test_corrupt_audio_gets_a_polite_reply(wa_stack: Stack, graph: GraphApiFake) -> None:
    sender = "14155550501"
    corrupt = b"OggS\x00\x02" + bytes(range(256)) * 64
    post(wa_stack, webhook(voice_note(graph, sender, corrupt)))
    sent = replies(graph, sender)
    assert response_text("utter_voice_unreadable", "en") in [words(body) for body in sent]
    assert last_user(wa_stack, sender)["metadata"]["voice_outcome"] == "unreadable"


def test_a_note_over_the_duration_limit_gets_a_polite_reply(wa_stack: Stack, graph: GraphApiFake) -> None:
    sender = "14155550502"
    rambling = speech("I would like to ask about the pool and the breakfast and the spa and the parking. " * 40)
    post(wa_stack, webhook(voice_note(graph, sender, rambling)))
    sent = replies(graph, sender)
    assert response_text("utter_voice_too_long", "en") in [words(body) for body in sent]
    assert last_user(wa_stack, sender)["metadata"]["voice_outcome"] == "too_long"


def tap(stack: Stack, graph: GraphApiFake, button: dict[str, Any], sender: str = "14155550503") -> list[dict]:
    """The guest taps a reply button; returns what was sent back."""
    graph.reset()
    post(stack, webhook(message(sender, "interactive", type="button_reply", button_reply=button["reply"])))
    graph.wait_until(lambda fake: bool(to(fake, sender)))
    return to(graph, sender)


def test_a_doubtful_transcript_is_confirmed_before_acting(wa_stack: Stack, graph: GraphApiFake) -> None:
    sender = "14155550503"
    # A hurried, muffled recording: PocketSphinx hears something, with little confidence.
    mumbled = subprocess.run(
        [
            *["ffmpeg", "-loglevel", "error", "-i", "-", "-af", "lowpass=f=900,volume=0.6,atempo=1.35"],
            *["-c:a", "libopus", "-b:a", "8k", "-ac", "1", "-f", "ogg", "-"],
        ],
        input=speech("is the pool open now"),
        capture_output=True,
        check=True,
    ).stdout
    post(wa_stack, webhook(voice_note(graph, sender, mumbled)))
    sent = replies(graph, sender)
    question = next(body for body in sent if body["type"] == "interactive")
    assert last_user(wa_stack, sender)["metadata"]["confidence"] < 0.5
    heard = wa_stack.tracker(sender)["slots"]["voice_transcript"]
    assert heard and question["interactive"]["body"]["text"] == f"Did you mean “{heard}”?"
    yes, no = question["interactive"]["action"]["buttons"]
    assert (yes["reply"]["id"], no["reply"]["id"]) == (heard, "/voice_rejected")

    assert response_text("utter_voice_rejected", "en") in [words(body) for body in tap(wa_stack, graph, no)]
    tap(wa_stack, graph, yes)
    deadline = time.monotonic() + 15
    while last_user(wa_stack, sender)["text"] != heard and time.monotonic() < deadline:
        time.sleep(0.2)
    assert last_user(wa_stack, sender)["text"] == heard  # "Yes" goes on with exactly what was heard
