"""What every channel agrees on about guest media and messages without words.

Media metadata: a guest's photo, voice note or document reaches Rasa as a user message whose metadata holds
``{"media": {"kind", "mime_type", "path", "size", ...}}`` (``MediaMetadata``), whichever channel it came from
(connectors/whatsapp/input.py, connectors/web_upload.py), so the media pipeline (e.g. speech-to-text for
``kind == "audio"``) reads one shape. ``path`` is the stored file; ``error`` replaces it when fetching failed.

A message Rasa cannot read (a sticker, a reaction, a shared contact, a photo without a caption, a type WhatsApp
added later) is sent as ``/unsupported_message{"message_kind": <kind>}``: a rule answers with
``utter_unsupported_message`` (domain/channels.yml), whose variation fits the kind and the conversation's language
(the ``language`` slot; the hotel's default, Spanish, when the guest has not written yet).
"""

from __future__ import annotations

import json

from typing_extensions import NotRequired, TypedDict

MB = 1024 * 1024
# WhatsApp's limits per kind (Meta's "supported media types"); the web upload uses the same for image and audio.
MEDIA_LIMITS = {"audio": 16 * MB, "image": 5 * MB, "video": 16 * MB, "document": 100 * MB}
UNSUPPORTED_INTENT = "unsupported_message"
# Kinds utter_unsupported_message has a variation for; anything else is "other".
UNSUPPORTED_KINDS = frozenset({"sticker", "reaction", "contacts", "image", "audio", "document", "video"})


class MediaMetadata(TypedDict):
    """``metadata["media"]`` of a user message that carried a file."""

    kind: str  # image, audio, document, video
    mime_type: NotRequired[str]
    path: NotRequired[str]  # where the bytes are stored (absent when fetching failed)
    size: NotRequired[int]  # bytes
    voice: NotRequired[bool]  # a voice note recorded in the app (WhatsApp) or the widget, not a music file
    id: NotRequired[str]  # WhatsApp's media id
    filename: NotRequired[str]  # documents
    error: NotRequired[str]  # why the file could not be fetched


def unsupported_payload(kind: str) -> str:
    """What Rasa reads for a message of ``kind`` that carries no words."""
    known = kind if kind in UNSUPPORTED_KINDS else "other"
    return f"/{UNSUPPORTED_INTENT}" + json.dumps({"message_kind": known}, separators=(",", ":"))
