"""HTTP transport to QloApps' webservice (QloApps 1.7, https://devdocs.qloapps.com/webservice/), and its errors.

Calls go to ``{QLOAPPS_URL}/api/<resource>?output_format=JSON`` with HTTP Basic auth (API key as user, empty
password), one shared aiohttp session and a timeout per request. Writes are XML, the body format QloApps documents
(its object resources parse nothing else). Kept apart from the adapter (actions/pms/qloapps.py) so that what the
port's operations ask QloApps for reads without the session, auth and status handling around every request.

Errors (all PMSError, so the resilience wrappers see every transport failure):
    PMSError             unreachable, timed out, key refused (401/403), server error, reply not JSON; the message
                         names the call, never QloApps' text nor guest data.
     +-- Refused         HTTP 400: QloApps rejected the request's content (e.g. no room free any more).
HTTP 404 is no error: the call returns None.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Mapping
from typing import Any

import aiohttp

from actions.pms import qloapps_json as qj
from actions.pms.port import PMSError


class Refused(PMSError):
    """QloApps answered HTTP 400: it rejected the request's content (e.g. no room free any more)."""


def decode(status: int, body: bytes, what: str) -> Any:
    """A webservice reply's JSON; None for HTTP 404; PMSError (never with QloApps' text) for the rest."""
    if status == 404:
        return None
    if status in (401, 403):
        raise PMSError(f"QloApps refused the webservice key (HTTP {status}, {what})")
    if status == 400:
        raise Refused(f"QloApps rejected the request ({what})")
    if not 200 <= status < 300:
        raise PMSError(f"QloApps failed (HTTP {status}, {what})")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise PMSError(f"QloApps sent a reply that is not JSON ({what})") from exc


async def gather_all(*calls: Awaitable[Any]) -> list[Any]:
    """Runs calls concurrently; the first failure is raised once all have finished (none is left unobserved)."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)


class QloAppsClient:
    """One QloApps webservice: its URL, key, timeout and the aiohttp session the calls share."""

    def __init__(
        self, base_url: str, api_key: str, timeout: float, session: aiohttp.ClientSession | None = None
    ) -> None:
        """Configures the client; nothing is connected until the first call.

        Args:
            base_url: the QloApps site (``https://hotel.example``); ``/api`` is added.
            api_key: the webservice key (sent as Basic auth user name).
            timeout: seconds allowed for each request.
            session: the process's shared session; when None one is created on first use and closed by close().
        """
        self.base_url = base_url.rstrip("/").removesuffix("/api")
        self._auth = aiohttp.BasicAuth(api_key, "")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._owns_session = session is None

    async def close(self) -> None:
        """Closes the session this client created (a session passed in belongs to its owner)."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def call(
        self, method: str, resource: str, params: Mapping[str, str] | None = None, xml: str | None = None
    ) -> Any:
        """One webservice call; the decoded JSON, or None for HTTP 404.

        Raises:
            PMSError: unreachable, timed out, key refused, server error or not JSON (Refused for HTTP 400).
        """
        what = f"{method} {resource.split('/')[0]}"
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/xml"} if xml is not None else None
        try:
            async with self._session.request(
                method,
                f"{self.base_url}/api/{resource}",
                params={"output_format": "JSON", **(params or {})},
                data=xml.encode() if xml is not None else None,
                headers=headers,
                auth=self._auth,
                timeout=self._timeout,
            ) as reply:
                status, body = reply.status, await reply.read()
        except asyncio.TimeoutError as exc:
            raise PMSError(f"QloApps did not answer in time ({what})") from exc
        except aiohttp.ClientError as exc:
            raise PMSError(f"QloApps is unreachable ({what}: {type(exc).__name__})") from exc
        return decode(status, body, what)

    async def listing(self, resource: str, node: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """The records of a listing (404 and an empty listing alike give [])."""
        data = await self.call("GET", resource, params)
        with qj.parsing(f"GET {resource}"):
            return qj.rows(data, node)
