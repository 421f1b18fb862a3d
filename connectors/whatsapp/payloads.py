"""Typed shapes of Meta's WhatsApp Cloud API webhook and Graph API bodies (only the fields conserje reads).

Webhook: ``{"object": "whatsapp_business_account", "entry": [{"id", "changes": [{"field": "messages",
"value": {...}}]}]}`` where ``value`` carries ``messages`` (guest input), ``statuses`` (delivery receipts) or both,
plus ``metadata`` (our phone number) and ``contacts`` (the guest's profile name and wa_id).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from typing_extensions import NotRequired


class Profile(TypedDict):
    """The guest's WhatsApp profile."""

    name: str


class Contact(TypedDict):
    """A sender of the messages in the same change."""

    profile: NotRequired[Profile]
    wa_id: str


class Metadata(TypedDict):
    """The business phone number that received the messages."""

    display_phone_number: str
    phone_number_id: str


class Text(TypedDict):
    """Body of a text message."""

    body: str


class Reply(TypedDict):
    """A tapped reply button or list row: ``id`` is the payload we sent."""

    id: str
    title: str
    description: NotRequired[str]


class Interactive(TypedDict):
    """An answer to an interactive message."""

    type: Literal["button_reply", "list_reply"] | str
    button_reply: NotRequired[Reply]
    list_reply: NotRequired[Reply]


class TemplateButton(TypedDict):
    """A tapped quick-reply button of a template message."""

    payload: str
    text: str


class Location(TypedDict):
    """A shared location."""

    latitude: float
    longitude: float
    name: NotRequired[str]
    address: NotRequired[str]
    url: NotRequired[str]


class Media(TypedDict):
    """An image, audio, document, video or sticker: Meta keeps the bytes, we get an id."""

    id: str
    mime_type: NotRequired[str]
    sha256: NotRequired[str]
    caption: NotRequired[str]
    filename: NotRequired[str]
    voice: NotRequired[bool]
    animated: NotRequired[bool]


class Reaction(TypedDict):
    """An emoji reaction to one of our messages (empty emoji: the reaction was removed)."""

    message_id: str
    emoji: NotRequired[str]


# Functional form because the sender's key is "from", a Python keyword.
Message = TypedDict(
    "Message",
    {
        "from": str,
        "id": str,
        "timestamp": str,
        "type": str,
        "text": NotRequired[Text],
        "interactive": NotRequired[Interactive],
        "button": NotRequired[TemplateButton],
        "location": NotRequired[Location],
        "image": NotRequired[Media],
        "audio": NotRequired[Media],
        "document": NotRequired[Media],
        "video": NotRequired[Media],
        "sticker": NotRequired[Media],
        "reaction": NotRequired[Reaction],
        "contacts": NotRequired[list[dict[str, Any]]],
    },
)
"""One inbound message: ``type`` names the key that holds its content."""


class StatusError(TypedDict):
    """Why a message could not be delivered."""

    code: int
    title: NotRequired[str]


class Status(TypedDict):
    """A delivery receipt for one of our messages."""

    id: str
    status: Literal["sent", "delivered", "read", "failed"] | str
    timestamp: NotRequired[str]
    recipient_id: str
    errors: NotRequired[list[StatusError]]


class Value(TypedDict):
    """The content of one change."""

    messaging_product: Literal["whatsapp"]
    metadata: Metadata
    contacts: NotRequired[list[Contact]]
    messages: NotRequired[list[Message]]
    statuses: NotRequired[list[Status]]


class Change(TypedDict):
    """One change notification; conserje reads field ``messages``."""

    field: str
    value: Value


class Entry(TypedDict):
    """The changes of one WhatsApp Business Account."""

    id: str
    changes: list[Change]


class Webhook(TypedDict):
    """A webhook POST body."""

    object: Literal["whatsapp_business_account"]
    entry: list[Entry]


class SentMessage(TypedDict):
    """One message id in a send answer."""

    id: str


class SendResult(TypedDict):
    """Graph API answer to POST /{phone_number_id}/messages."""

    messaging_product: Literal["whatsapp"]
    contacts: list[dict[str, str]]
    messages: list[SentMessage]


class GraphErrorBody(TypedDict):
    """Graph API error: ``{"error": {"message", "type", "code", "error_subcode"?, "fbtrace_id"}}``."""

    message: str
    type: str
    code: int
    error_subcode: NotRequired[int]
    fbtrace_id: NotRequired[str]


class MediaInfo(TypedDict):
    """Graph API answer to GET /{media_id}: a short-lived URL that needs the bearer token."""

    messaging_product: Literal["whatsapp"]
    url: str
    mime_type: str
    sha256: str
    file_size: int | str
    id: str
