"""Web chat channel: serves a small chat page whose widget talks to Rasa's socket.io channel.

GET /webhooks/web/ is the page, /webhooks/web/widget.js, widget.css and socket.io.min.js its assets (all from
connectors/web_static/, no CDN). The conversation itself goes over the `socketio` channel configured in
credentials.yml (user_uttered / bot_uttered, session_persistence), so this channel never handles a message.
socket.io.min.js is socket-io-client's dist build, vendored by `make web-vendor` (see the Makefile).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

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


class WebChatInput(InputChannel):
    """The web chat page and its static assets; messages travel over the socket.io channel."""

    @classmethod
    def name(cls) -> str:
        """Mounted at /webhooks/web/."""
        return "web"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """The channel takes no settings."""
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health route, the page and its assets."""
        page, assets = load_assets(f"/webhooks/{self.url_prefix()}/")
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

        return web
