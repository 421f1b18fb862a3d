"""Meta's Graph API over one shared aiohttp session: send messages, mark them read, fetch inbound media.

    ServiceError (actions/errors.py)
    └── GraphApiError        Meta refused or failed a call; ``code`` is Meta's error code, ``retryable`` whether
                             backing off can help (5xx, HTTP 429, codes 130429 and 131056, transport errors)

Retries with exponential backoff happen here, once, for every call; callers see one GraphApiError at the end.
Logs carry status and Meta's code, never phone numbers, names or message text.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import aiohttp

from actions.errors import ServiceError
from connectors.media import MEDIA_LIMITS
from connectors.whatsapp.config import WhatsAppConfig
from connectors.whatsapp.payloads import MediaInfo, SendResult

logger = logging.getLogger(__name__)
RETRYABLE_CODES = frozenset({130429, 131056})  # throughput limit; pair rate limit (too many to one number)
MAX_RETRY_AFTER = 30.0


class GraphApiError(ServiceError):
    """A Graph API call failed for good."""

    def __init__(self, status: int, code: int | None, title: str, retryable: bool) -> None:
        """Keeps what is safe to log: HTTP status, Meta's code and error type."""
        super().__init__(f"Graph API error: HTTP {status}, code {code}, {title}")
        self.status, self.code, self.title, self.retryable = status, code, title, retryable


def _error_from(status: int, body: Any) -> GraphApiError:
    """Meta's ``{"error": {"code", "type", ...}}`` as a GraphApiError (the message may quote guest data)."""
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) and isinstance(error.get("code"), int) else None
    title = str(error.get("type", "error")) if isinstance(error, dict) else "unreadable body"
    retryable = status >= 500 or status == 429 or code in RETRYABLE_CODES
    return GraphApiError(status, code, title, retryable)


class GraphClient:
    """Async client of the few Graph API endpoints conserje uses."""

    def __init__(
        self,
        config: WhatsAppConfig,
        *,
        attempts: int = 4,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = 15.0,
    ) -> None:
        """No I/O here: the session is opened on first use, inside the server's event loop."""
        self.config = config
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """The process's shared session (one connection pool for every Graph call)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self.timeout, headers={"Authorization": f"Bearer {self.config.access_token}"}
            )
        return self._session

    async def close(self) -> None:
        """Closes the shared session (server shutdown)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def _call(
        self,
        method: str,
        url: str,
        payload: dict[str, Any] | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
    ) -> Any:
        """One call (JSON ``payload``, or a multipart ``form`` built afresh per attempt) with retries; returns the
        decoded body.

        Raises:
            GraphApiError: Meta refused the call, or it kept failing after every attempt.
        """
        last: GraphApiError | None = None
        for attempt in range(self.attempts):
            delay = self.backoff_seconds * (2**attempt)
            try:
                async with self.session().request(method, url, json=payload, data=form() if form else None) as reply:
                    try:
                        body = await reply.json(content_type=None)
                    except ValueError:
                        body = None
                    if 200 <= reply.status < 300 and body is not None:
                        return body
                    last = _error_from(reply.status, body)
                    retry_after = reply.headers.get("Retry-After", "")
                    if retry_after.isdigit():
                        delay = min(float(retry_after), MAX_RETRY_AFTER)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                last = GraphApiError(0, None, type(exc).__name__, retryable=True)
            logger.warning(
                "whatsapp graph %s failed: status=%s code=%s type=%s attempt=%d",
                method,
                last.status,
                last.code,
                last.title,
                attempt + 1,
            )
            if not last.retryable or attempt + 1 == self.attempts:
                break
            await asyncio.sleep(delay)
        assert last is not None
        raise last

    async def send(self, message: dict[str, Any]) -> SendResult:
        """POST /{phone_number_id}/messages with ``messaging_product`` added."""
        url = f"{self.config.graph_url}/{self.config.phone_number_id}/messages"
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
        return cast(SendResult, await self._call("POST", url, body))

    async def mark_read(self, message_id: str) -> None:
        """Blue ticks for an inbound message."""
        url = f"{self.config.graph_url}/{self.config.phone_number_id}/messages"
        await self._call("POST", url, {"messaging_product": "whatsapp", "status": "read", "message_id": message_id})

    async def upload_media(self, data: bytes, mime_type: str, filename: str) -> str:
        """POST /{phone_number_id}/media (multipart): the id to send the medium by (e.g. a voice note).

        Raises:
            GraphApiError: Meta refused the upload or answered without an id.
        """

        def form() -> aiohttp.FormData:
            fields = aiohttp.FormData()
            fields.add_field("messaging_product", "whatsapp")
            fields.add_field("type", mime_type)
            fields.add_field("file", data, filename=filename, content_type=mime_type)
            return fields

        body = await self._call("POST", f"{self.config.graph_url}/{self.config.phone_number_id}/media", form=form)
        if not isinstance(body, dict) or not body.get("id"):
            raise GraphApiError(200, None, "upload answered without an id", retryable=False)
        return str(body["id"])

    async def media_info(self, media_id: str) -> MediaInfo:
        """GET /{media_id}: a download URL valid for a few minutes, the MIME type and the size."""
        url = f"{self.config.graph_url}/{media_id}?phone_number_id={self.config.phone_number_id}"
        return cast(MediaInfo, await self._call("GET", url))

    async def download(self, media_id: str, kind: str, directory: Path) -> Path:
        """Fetches an inbound medium into ``directory`` (id → URL → bytes, bearer token on both calls).

        Raises:
            GraphApiError: Meta failed, or the file is larger than WhatsApp allows for ``kind`` (code None, 413).
        """
        limit = MEDIA_LIMITS.get(kind, MEDIA_LIMITS["document"])
        info = await self.media_info(media_id)
        if int(info.get("file_size") or 0) > limit:
            raise GraphApiError(413, None, f"{kind} larger than {limit} bytes", retryable=False)
        try:
            async with self.session().get(info["url"]) as reply:
                if reply.status != 200:
                    raise _error_from(reply.status, None)
                data = bytearray()
                async for chunk in reply.content.iter_chunked(64 * 1024):
                    data.extend(chunk)
                    if len(data) > limit:
                        raise GraphApiError(413, None, f"{kind} larger than {limit} bytes", retryable=False)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise GraphApiError(0, None, type(exc).__name__, retryable=True) from exc
        extension = mimetypes.guess_extension((info.get("mime_type") or "").split(";")[0].strip()) or ".bin"
        safe_id = "".join(char for char in media_id if char.isalnum() or char in "-_") or "media"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{safe_id}{extension}"
        await asyncio.to_thread(path.write_bytes, bytes(data))
        return path
