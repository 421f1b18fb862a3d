"""A local Graph API (WhatsApp Cloud API subset) over real HTTP, answering in Meta's documented shapes.

Served by aiohttp on 127.0.0.1 (a free port), either inside the test's event loop (``await start()``) or in a
thread of its own for tests that drive subprocess servers (``start_in_thread()``). Like Meta it requires
``Authorization: Bearer <access token>`` (401, code 190 otherwise), checks the phone number id, and validates
message bodies against WhatsApp's limits (400, code 100 "Invalid parameter"): text ≤ 4096; interactive body ≤ 1024;
1–3 reply buttons with unique ids ≤ 256 and titles ≤ 20; list rows ≤ 10 with ids ≤ 200, titles ≤ 24, descriptions
≤ 72, button label ≤ 20; templates only if approved (``approve_template``: 132001 otherwise) and filled with their
body parameters and quick-reply payloads (132000 otherwise). Sends answer ``{"messaging_product": "whatsapp",
"contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid.<base64>"}]}``, templates with ``"message_status":
"accepted"`` in the message as Meta documents; ``status: read`` answers ``{"success": true}``. ``wamids(number)``
gives the ids answered for a number's messages, and ``status()`` builds the ``statuses`` item of the webhook Meta
posts later about one of them (sent / delivered / read / failed, in its documented shape).

Media: ``add_media(id, data, mime)`` then GET /{version}/{id} → ``{url, mime_type, sha256, file_size, id}`` and
GET that URL (bearer required) → the bytes. Uploads: POST /{version}/{phone_number_id}/media as multipart
(``messaging_product=whatsapp``, ``type``, ``file``; audio ≤ 16 MB) → ``{"id"}``; a message may then send that
medium by ``{"id": ...}`` (an unknown id is refused like Meta does); ``uploaded(id)`` returns the bytes and type.

Switches: ``fail_next(kind, times)`` with kind ``"500"``, ``"429"``, ``"131056"`` (pair rate limit, HTTP 400),
``"130429"`` (throughput limit, HTTP 400) or ``"400"`` (code 100, not retryable); ``delay`` seconds before answering.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

FAILURES: dict[str, tuple[int, int, str]] = {
    "500": (500, 1, "An unknown error occurred"),
    "429": (429, 4, "Application request limit reached"),
    "131056": (400, 131056, "(Business Account, Consumer Account) pair rate limit hit"),
    "130429": (400, 130429, "Rate limit hit"),
    "400": (400, 100, "Invalid parameter"),
}


@dataclass
class Call:
    """One request the fake received."""

    method: str
    path: str
    body: Any
    authorized: bool
    status: int
    answer: Any = None  # the JSON answered, for a send the wamid in it


def wamid(number: str, serial: int) -> str:
    """A message id shaped like Meta's: ``wamid.`` and URL-safe base64 of opaque bytes naming number and serial."""
    opaque = f"\x18\x0d{number}\x15\x02\x00\x11{serial:020d}".encode()
    return "wamid." + base64.urlsafe_b64encode(opaque).decode().rstrip("=")


def status(
    message_id: str, state: str, recipient: str, timestamp: int, error: tuple[int, str] | None = None
) -> dict[str, Any]:
    """One ``statuses`` item of the webhook Meta posts about a message we sent (WhatsApp Cloud API, field
    ``messages``): ``sent`` and ``delivered`` carry the conversation and pricing, ``failed`` its ``errors``."""
    item: dict[str, Any] = {
        "id": message_id,
        "status": state,
        "timestamp": str(timestamp),
        "recipient_id": recipient,
    }
    if state in ("sent", "delivered"):
        item["conversation"] = {"id": hashlib.md5(recipient.encode()).hexdigest(), "origin": {"type": "utility"}}
        if state == "sent":
            item["conversation"]["expiration_timestamp"] = str(timestamp + 24 * 3600)
        item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "utility"}
    if error is not None:
        code, title = error
        item["errors"] = [
            {
                "code": code,
                "title": title,
                "message": title,
                "error_data": {"details": title},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }
        ]
    return item


def meta_error(status: int, code: int, message: str) -> web.Response:
    """Meta's error body."""
    body = {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEfFake"}}
    return web.json_response(body, status=status)


class Invalid(Exception):
    """A body WhatsApp would refuse; becomes a 400 with code 100."""


class TemplateRefused(Exception):
    """A template message Meta refuses: 132001 unknown name/language, 132000 wrong parameter count."""

    def __init__(self, code: int, message: str) -> None:
        """Meta's error code and message."""
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Template:
    """An approved message template: how many body parameters it takes and how many quick-reply buttons it has."""

    body_parameters: int
    quick_replies: int


def check_template(template: dict[str, Any], approved: dict[tuple[str, str], Template]) -> None:
    """Raises TemplateRefused as the Cloud API does for a template that is not approved or not filled right."""
    key = (str(template.get("name", "")), str((template.get("language") or {}).get("code", "")))
    if key not in approved:
        raise TemplateRefused(132001, "(#132001) Template name does not exist in the translation")
    components = template.get("components") or []
    body = [item for item in components if item.get("type") == "body"]
    buttons = [item for item in components if item.get("type") == "button"]
    given = len(body[0].get("parameters") or []) if body else 0
    indexes = sorted(int(item.get("index", -1)) for item in buttons if item.get("sub_type") == "quick_reply")
    payloads_ok = all(
        [param.get("type") for param in item.get("parameters") or []] == ["payload"]
        and 0 < len(item["parameters"][0].get("payload", "")) <= 256
        for item in buttons
    )
    if given != approved[key].body_parameters or indexes != list(range(approved[key].quick_replies)) or not payloads_ok:
        raise TemplateRefused(132000, "(#132000) Number of parameters does not match the expected number of params")


def _check_interactive(interactive: dict[str, Any]) -> None:
    body = (interactive.get("body") or {}).get("text", "")
    if not body or len(body) > 1024:
        raise Invalid("interactive body must be 1-1024 characters")
    action = interactive.get("action") or {}
    if interactive.get("type") == "button":
        buttons = action.get("buttons") or []
        ids = [button["reply"]["id"] for button in buttons]
        if not 1 <= len(buttons) <= 3 or len(set(ids)) != len(ids):
            raise Invalid("1 to 3 buttons with unique ids")
        for button in buttons:
            reply = button["reply"]
            if button.get("type") != "reply" or not 0 < len(reply["title"]) <= 20 or len(reply["id"]) > 256:
                raise Invalid("button title 1-20, id up to 256 characters")
    elif interactive.get("type") == "list":
        label = action.get("button", "")
        rows = [row for section in action.get("sections") or [] for row in section.get("rows") or []]
        if not 0 < len(label) <= 20 or not 1 <= len(rows) <= 10:
            raise Invalid("list button label 1-20 characters, 1-10 rows")
        for row in rows:
            if not 0 < len(row["title"]) <= 24 or len(row["id"]) > 200 or len(row.get("description", "")) > 72:
                raise Invalid("row title 1-24, id up to 200, description up to 72 characters")
    else:
        raise Invalid("unsupported interactive type")


def check_message(body: dict[str, Any]) -> None:
    """Raises Invalid for what the Cloud API would refuse."""
    if body.get("messaging_product") != "whatsapp":
        raise Invalid("messaging_product must be whatsapp")
    if body.get("status") == "read":
        if not body.get("message_id"):
            raise Invalid("message_id is required")
        return
    to, kind = str(body.get("to", "")), body.get("type", "text")
    if not to.isdigit():
        raise Invalid("to must be a phone number")
    if kind == "text":
        text = (body.get("text") or {}).get("body", "")
        if not 0 < len(text) <= 4096:
            raise Invalid("text body must be 1-4096 characters")
    elif kind == "interactive":
        _check_interactive(body.get("interactive") or {})
    elif kind in ("image", "audio", "document", "video"):
        media = body.get(kind) or {}
        if not media.get("link") and not media.get("id"):
            raise Invalid("media needs a link or an id")
    elif kind == "location":
        location = body.get("location") or {}
        if not all(isinstance(location.get(key), int | float) for key in ("latitude", "longitude")):
            raise Invalid("location needs numeric latitude and longitude")
    elif kind != "template":
        raise Invalid(f"unsupported type {kind}")


class GraphApiFake:
    """The fake: ``url`` (use as WHATSAPP_API_BASE_URL), ``calls``, ``sent()``, switches and media."""

    def __init__(self, access_token: str, phone_number_id: str, version: str = "v19.0") -> None:
        """Nothing listens until start()."""
        self.access_token, self.phone_number_id, self.version = access_token, phone_number_id, version
        self.calls: list[Call] = []
        self.delay = 0.0
        self._failures: list[str] = []
        self._media: dict[str, tuple[bytes, str]] = {}
        self.templates: dict[tuple[str, str], Template] = {}  # approved ones, by (name, language code)
        self._uploads: dict[str, tuple[bytes, str]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Base URL, without the version."""
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, kind: str, times: int = 1) -> None:
        """The next ``times`` calls fail like Meta does for ``kind`` (see FAILURES)."""
        with self._lock:
            self._failures.extend([kind] * times)

    def approve_template(self, name: str, language: str, body_parameters: int, quick_replies: int) -> None:
        """A template the business has had approved; any other is refused (132001) when sent."""
        self.templates[(name, language)] = Template(body_parameters, quick_replies)

    def add_media(self, media_id: str, data: bytes, mime_type: str) -> None:
        """An inbound medium Meta holds for us."""
        self._media[media_id] = (data, mime_type)

    def uploaded(self, media_id: str) -> tuple[bytes, str]:
        """Bytes and MIME type of a medium we uploaded (KeyError if there is none)."""
        with self._lock:
            return self._uploads[media_id]

    def sent(self) -> list[dict[str, Any]]:
        """Bodies of the messages accepted for delivery (read receipts excluded), in order."""
        with self._lock:
            return [
                call.body
                for call in self.calls
                if call.status == 200 and call.path.endswith("/messages") and call.body.get("status") != "read"
            ]

    def read_receipts(self) -> list[str]:
        """Message ids marked as read."""
        with self._lock:
            reads = [call.body for call in self.calls if call.status == 200 and isinstance(call.body, dict)]
            return [body["message_id"] for body in reads if body.get("status") == "read"]

    def wait_until(self, condition: Callable[[GraphApiFake], bool], seconds: float = 60.0) -> None:
        """Polls (from a test thread) until ``condition(self)`` holds; AssertionError on timeout."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition(self):
                return
            time.sleep(0.1)
        raise AssertionError(f"condition not met within {seconds}s; sent: {self.sent()}")

    def reset(self) -> None:
        """Forgets calls and pending failures."""
        with self._lock:
            self.calls.clear()
            self._failures.clear()

    # -- HTTP ------------------------------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/download/{media_id}", self._download)  # before the catch-all media info route
        app.router.add_post("/{version}/{phone_number_id}/messages", self._messages)
        app.router.add_post("/{version}/{phone_number_id}/media", self._upload)
        app.router.add_get("/{version}/{media_id}", self._media_info)
        return app

    def wamids(self, number: str, kind: str | None = None) -> list[str]:
        """Message ids answered for the messages accepted for ``number`` (of one ``type`` if given), in order."""
        with self._lock:
            return [
                call.answer["messages"][0]["id"]
                for call in self.calls
                if call.status == 200
                and isinstance(call.answer, dict)
                and call.answer.get("messages")
                and call.body.get("to") == number
                and kind in (None, call.body.get("type"))
            ]

    def _record(self, request: web.Request, body: Any, status: int, answer: Any = None) -> None:
        authorized = request.headers.get("Authorization") == f"Bearer {self.access_token}"
        with self._lock:
            self.calls.append(Call(request.method, request.path, body, authorized, status, answer))

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.access_token}"

    async def _messages(self, request: web.Request) -> web.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not self._authorized(request):
            self._record(request, body, 401)
            return meta_error(401, 190, "Invalid OAuth access token")
        target = (request.match_info["phone_number_id"], request.match_info["version"])
        if target != (self.phone_number_id, self.version):
            self._record(request, body, 400)
            return meta_error(400, 100, "Unsupported post request")
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure:
            status, code, message = FAILURES[failure]
            self._record(request, body, status)
            return meta_error(status, code, message)
        try:
            if not isinstance(body, dict):
                raise Invalid("body must be JSON")
            check_message(body)
            medium = body.get(str(body.get("type"))) or {}
            if isinstance(medium, dict) and medium.get("id") and medium["id"] not in self._uploads:
                raise Invalid("unknown media id")
            if body.get("type") == "template":
                check_template(body.get("template") or {}, self.templates)
        except TemplateRefused as exc:
            self._record(request, body, 400)
            return meta_error(400, exc.code, str(exc))
        except (Invalid, KeyError, TypeError, ValueError) as exc:
            self._record(request, body, 400)
            return meta_error(400, 100, f"Invalid parameter: {exc}")
        if body.get("status") == "read":
            self._record(request, body, 200)
            return web.json_response({"success": True})
        sent: dict[str, Any] = {"id": wamid(str(body["to"]), next(self._ids))}
        if body.get("type") == "template":
            sent["message_status"] = "accepted"
        answer = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
            "messages": [sent],
        }
        self._record(request, body, 200, answer)
        return web.json_response(answer)

    async def _upload(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            self._record(request, None, 401)
            return meta_error(401, 190, "Invalid OAuth access token")
        fields: dict[str, Any] = {}
        try:
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if part.name == "file":
                    fields["file"] = (await part.read(), part.headers.get("Content-Type", ""))
                elif part.name:
                    fields[part.name] = await part.text()
        except (ValueError, AssertionError, KeyError):
            fields = {}
        summary = {key: value for key, value in fields.items() if key != "file"}
        file = fields.get("file")
        valid = fields.get("messaging_product") == "whatsapp" and bool(fields.get("type")) and file is not None
        if not valid or not file[0] or len(file[0]) > 16 * 1024 * 1024:
            self._record(request, summary, 400)
            return meta_error(400, 100, "Invalid parameter: messaging_product, type and a file of at most 16 MB")
        media_id = f"{next(self._ids) + 900000000000000}"
        with self._lock:
            self._uploads[media_id] = (bytes(file[0]), str(fields["type"]))
        self._record(request, {**summary, "id": media_id, "size": len(file[0])}, 200)
        return web.json_response({"id": media_id})

    async def _media_info(self, request: web.Request) -> web.Response:
        media_id = request.match_info["media_id"]
        self._record(request, None, 200 if self._authorized(request) else 401)
        if not self._authorized(request):
            return meta_error(401, 190, "Invalid OAuth access token")
        if media_id not in self._media:
            return meta_error(400, 100, "Unsupported get request")
        data, mime = self._media[media_id]
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.url}/download/{media_id}",
                "mime_type": mime,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": len(data),
                "id": media_id,
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        media_id = request.match_info["media_id"]
        self._record(request, None, 200 if self._authorized(request) else 401)
        if not self._authorized(request):
            return meta_error(401, 190, "Invalid OAuth access token")
        if media_id not in self._media:
            return web.Response(status=404)
        data, mime = self._media[media_id]
        return web.Response(body=data, content_type=mime)

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listens on 127.0.0.1 in the running event loop."""
        self._runner = web.AppRunner(self._app())
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Closes the port."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start_in_thread(self) -> None:
        """Serves from a thread with its own event loop (for synchronous tests)."""
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.start())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self.stop())
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="graph-api-fake", daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise RuntimeError("Graph API fake did not start")

    def stop_thread(self) -> None:
        """Stops the thread started by start_in_thread()."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
