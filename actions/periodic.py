"""Background jobs of the action server: each runs every N seconds while the server runs, started after it starts and
cancelled before it stops. Used by the QR clean-up (actions/qr.py), the review-request scheduler (actions/reviews.py)
and the retry of staff decisions the guest was not told of (actions/stay_requests.py).

A job that fails with a ServiceError (or OSError) is logged by name and tried again at the next turn; anything else
is a bug and ends that job with Sanic's error log, never the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sanic import Sanic

from actions import clock
from actions.errors import ServiceError
from actions.services import Services, services

logger = logging.getLogger(__name__)
Job = Callable[[Services, datetime], Awaitable[object]]


async def run_every(name: str, seconds: float, job: Job) -> None:
    """Runs ``job`` (with the services and the hotel's now) every ``seconds``, forever."""
    while True:
        running = services()
        try:
            await job(running, clock.now(running.profile.tz))
        except (ServiceError, OSError) as exc:
            logger.warning("periodic_job_failed", extra={"job": name, "error": type(exc).__name__})
        await asyncio.sleep(seconds)


def attach(app: Sanic, name: str, seconds: Callable[[Services], float], job: Job) -> None:
    """Runs ``job`` every ``seconds(services)`` while ``app`` runs (0 or less: not at all)."""
    tasks: list[asyncio.Task[Any]] = []

    @app.after_server_start
    async def _start(_app: Sanic, _loop: Any) -> None:
        every = seconds(services())
        if every > 0:
            tasks.append(asyncio.ensure_future(run_every(name, every, job)))

    @app.before_server_stop
    async def _stop(_app: Sanic, _loop: Any) -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
