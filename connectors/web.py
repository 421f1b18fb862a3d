"""Web chat channel: serves a small chat page whose widget talks to Rasa's socket.io channel.

GET /webhooks/web/ is the page, /webhooks/web/widget.js, widget.css and socket.io.min.js its assets (all from
connectors/web_static/, no CDN). The conversation itself goes over the `socketio` channel configured in
credentials.yml (user_uttered / bot_uttered, session_persistence). POST /webhooks/web/upload takes the widget's
photos and voice notes (connectors/web_upload.py) and passes them to Rasa as a message of that socket.io
conversation, so the replies appear in the widget. A recording is first heard (connectors/web_voice.py); the
replies to it carry the URL of their spoken words, GET /webhooks/web/audio/<name>.ogg.
socket.io.min.js is socket-io-client's dist build, vendored by `make web-vendor` (see the Makefile).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.settings import ROOT
from connectors import web_upload
from connectors.audio.service import voice_service
from connectors.media import unsupported_payload
from connectors.rest import error
from connectors.web_voice import WebVoice

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "web_static"
ASSETS = {
    "widget.js": "application/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "socket.io.min.js": "application/javascript; charset=utf-8",
}


def load_assets(base: str) -> tuple[str, dict[str, bytes]]:
    """The page (with its asset base path filled in) and the assets' bytes, read once when the channel starts."""
    page = (STATIC / "index.html").read_text(encoding="utf-8").replace("{{base}}", base)
    return page, {name: (STATIC / name).read_bytes() for name in ASSETS}


def serve(body: bytes, content_type: str) -> Callable[[Request], Coroutine[Any, Any, HTTPResponse]]:
    """A handler answering with one static file (fixed routes: a request's path never reaches the filesystem)."""

    async def handler(_request: Request) -> HTTPResponse:
        return response.raw(body, content_type=content_type, headers={"Cache-Control": "no-cache"})

    return handler


def socketio_channel(app: Any) -> SocketIOInput | None:
    """The running socket.io channel (Rasa keeps the input channels in ``app.ctx.input_channels``)."""
    for channel in getattr(app.ctx, "input_channels", None) or []:
        if isinstance(channel, SocketIOInput) and channel.sio is not None:
            return channel
    return None


class WebChatInput(InputChannel):
    """The web chat page, its static assets and the media upload; text travels over the socket.io channel."""

    def __init__(self, media_dir: Path | None = None) -> None:
        """``media_dir``: where uploads are stored (var/media/web)."""
        self.media_dir = media_dir or ROOT / "var" / "media" / "web"

    @classmethod
    def name(cls) -> str:
        """Mounted at /webhooks/web/."""
        return "web"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """The channel takes no settings.

        Raises:
            ConfigError: invalid STT_*/VOICE_* settings (the voice service is built here), naming the variable.
        """
        voice_service()
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health route, the page, its assets, the upload and the spoken replies."""
        base = f"/webhooks/{self.url_prefix()}/"
        page, assets = load_assets(base)
        voices = WebVoice(self.media_dir / "audio", base)
        web = Blueprint("conserje_web", __name__)

        @web.route("/", methods=["GET"])
        async def index(_request: Request) -> HTTPResponse:
            return response.html(page, headers={"Cache-Control": "no-cache"})

        @web.route("/health", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        for asset in ASSETS:
            web.add_route(
                serve(assets[asset], ASSETS[asset]), f"/{asset}", methods=["GET"], name=asset.replace(".", "_")
            )

        @web.route("/upload", methods=["POST"])
        async def upload(request: Request) -> HTTPResponse:
            if len(request.body or b"") > web_upload.MAX_REQUEST_BYTES:
                return error(413, "file_too_large", "The upload is larger than any accepted file.")
            if not (request.content_type or "").startswith("multipart/form-data"):
                return error(400, "invalid_form", "Send the file as multipart/form-data.")
            channel = socketio_channel(request.app)
            if channel is None:
                return error(404, "no_socketio", "The socket.io channel is not configured.")
            try:
                session_id, sid, data, voice = web_upload.form_fields(request.form, request.files)
                if channel.session_persistence and session_id not in channel.sio.rooms(sid, channel.namespace):
                    raise web_upload.UploadError(403, "unknown_session", "This socket has not joined that session.")
                accepted = web_upload.check(data, voice)
            except web_upload.UploadError as refused:
                return error(refused.status, refused.code, refused.message)
            media = await web_upload.store(accepted, self.media_dir)
            message_id = uuid.uuid4().hex
            logger.info("web upload: %s %s, %d bytes", media["kind"], accepted.mime_type, len(accepted.data))
            sender_id = session_id if channel.session_persistence else sid
            text, output = unsupported_payload(media["kind"]), channel.get_output_channel()
            heard: dict[str, Any] = {}
            if media["kind"] == "audio":
                text, heard, output = await voices.listen(media, sender_id, output)
            await on_new_message(
                UserMessage(
                    text,
                    output,
                    sender_id,
                    input_channel=channel.name(),
                    message_id=message_id,
                    metadata={"channel": "web", "message_id": message_id, "media": media, **heard},
                )
            )
            public = {"kind": accepted.kind, "mime_type": accepted.mime_type, "size": len(accepted.data)}
            return response.json({"status": "received", "message_id": message_id, "media": public})

        @web.route("/audio/<name:str>", methods=["GET"])
        async def audio(_request: Request, name: str) -> HTTPResponse:
            note = await voices.read(name)
            if note is None:
                return error(404, "not_found", "No such audio.")
            return response.raw(note, content_type="audio/ogg", headers={"Cache-Control": "private, max-age=86400"})

        return web
