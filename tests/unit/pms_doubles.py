"""Real doubles and fixtures for the PMS resilience tests: a scripted HTTP server and the local PMS behind it.

The local PMS runs on the migrated SQLite of the session. Failures are real: ``GatewayPMS`` is the local PMS
reached through a real HTTP server on 127.0.0.1 (``ScriptedServer``) that can be slow, answer 500 or send
garbage, or through a closed port (connection refused), and it turns those into PMSError the way a remote
adapter must. Test modules load the fixtures with ``pytest_plugins = ["tests.unit.pms_doubles"]``.
Bookings use dates in 2031, away from the other tests' occupancy.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from actions.pms.local import LocalPMS
from actions.pms.models import BookingRequest
from actions.pms.port import PMSError
from actions.pms.resilience import READS, WRITES
from actions.profile import load_profile
from actions.profile_models import HotelProfile
from actions.settings import Settings
from actions.store.db import Database
from scripts.stack import free_port

NOW = datetime(2031, 1, 1, 12, tzinfo=timezone.utc)


def stay(month: int, nights: int = 2) -> tuple[date, date]:
    """A stay in 2031 (one month per test keeps bookings of different tests apart)."""
    check_in = date(2031, month, 10)
    return check_in, check_in + timedelta(days=nights)


def booking(month: int) -> BookingRequest:
    """A booking of a double room for ``stay(month)``."""
    check_in, check_out = stay(month)
    return BookingRequest("double", check_in, check_out, 2, "Ada Lovelace", "ada@example.com", "+54 9 11 5555-0000")


class SteppedClock:
    """A monotonic clock that moves only when the test says so (passed as the ``clock`` function)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ScriptedServer:
    """A real HTTP server: GET /<operation> answers {"ok": true}, or what the script says for that operation."""

    def __init__(self) -> None:
        self.script: dict[str, list[str]] = defaultdict(list)
        self.hits: Counter[str] = Counter()
        self.slow_seconds = 0.5
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        operation = request.match_info["operation"]
        self.hits[operation] += 1
        behaviour = self.script[operation].pop(0) if self.script[operation] else "ok"
        if behaviour == "500":
            return web.Response(status=500, text="Internal Server Error")
        if behaviour == "garbage":
            return web.Response(text="<html>maintenance</html>", content_type="application/json")
        if behaviour == "slow":
            await asyncio.sleep(self.slow_seconds)
        return web.json_response({"ok": True})


class GatewayPMS(LocalPMS):
    """The local PMS behind an HTTP gateway: every operation first asks ``base_url``/<operation>.

    Transport errors, non-200 statuses and malformed replies become PMSError (transport error chained), which
    is what a remote adapter must do; then the local PMS answers. ``calls`` counts operations that reached it.
    """

    def __init__(self, db: Database, profile: HotelProfile, session: aiohttp.ClientSession, base_url: str) -> None:
        super().__init__(db, profile)
        self.session = session
        self.base_url = base_url
        self.calls: Counter[str] = Counter()

    async def gateway(self, operation: str) -> None:
        self.calls[operation] += 1
        try:
            async with self.session.get(f"{self.base_url}/{operation}") as response:
                if response.status != 200:
                    raise PMSError(f"{operation}: HTTP {response.status}")
                body = await response.json(content_type=None)
        except aiohttp.ClientError as exc:
            raise PMSError(f"{operation}: {type(exc).__name__}") from exc
        except ValueError as exc:
            raise PMSError(f"{operation}: malformed reply") from exc
        if body != {"ok": True}:
            raise PMSError(f"{operation}: malformed reply")


def _through_gateway(name: str) -> Callable[..., Awaitable[Any]]:
    async def operation(self: GatewayPMS, *args: Any, **kwargs: Any) -> Any:
        await self.gateway(name)
        return await getattr(LocalPMS, name)(self, *args, **kwargs)

    operation.__name__ = name
    return operation


for _name in READS | WRITES:  # every operation of the port goes through the gateway first
    setattr(GatewayPMS, _name, _through_gateway(_name))


class LeakyGatewayPMS(GatewayPMS):
    """A careless adapter: lets aiohttp's exception out instead of raising PMSError."""

    async def gateway(self, operation: str) -> None:
        self.calls[operation] += 1
        async with self.session.get(f"{self.base_url}/{operation}") as response:
            response.raise_for_status()


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    """Our database engine on the session's migrated SQLite."""
    database = Database(Settings(database_url=sqlite_url))
    yield database
    await database.close()


@pytest.fixture
def profile() -> HotelProfile:
    """The shipped hotel profile (hotel.yml)."""
    return load_profile()


@pytest.fixture
async def local(db: Database, profile: HotelProfile) -> LocalPMS:
    """The local PMS with the profile's rooms seeded."""
    pms = LocalPMS(db, profile)
    await pms.seed_rooms()
    return pms


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    """The scripted HTTP server, listening on 127.0.0.1."""
    scripted = ScriptedServer()
    app = web.Application()
    app.router.add_get("/{operation}", scripted.handle)
    running = TestServer(app, host="127.0.0.1")
    await running.start_server()
    scripted.url = str(running.make_url("")).rstrip("/")
    yield scripted
    await running.close()


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    """One aiohttp session for the test, as the action server has one per process."""
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def closed_url() -> str:
    """A URL on a port nobody listens on: connecting is refused."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
async def remote(
    local: LocalPMS, db: Database, profile: HotelProfile, http_session: aiohttp.ClientSession, server: ScriptedServer
) -> GatewayPMS:
    """The local PMS behind the scripted server (answers "ok" unless scripted otherwise)."""
    return GatewayPMS(db, profile, http_session, server.url)


@pytest.fixture
async def down(db: Database, profile: HotelProfile, http_session: aiohttp.ClientSession, closed_url: str) -> GatewayPMS:
    """The local PMS behind a gateway that is down (connection refused)."""
    return GatewayPMS(db, profile, http_session, closed_url)
