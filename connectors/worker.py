"""A thread with its own event loop, where a channel handles guest messages away from the server's loop.

Rasa handles a message with long stretches of synchronous work: NLU inference and policy prediction, and its SQL
tracker store's queries. On the server's event loop, every webhook that arrives meanwhile waits for them, so a
burst of WhatsApp webhooks was acknowledged in seconds (Meta retries slow webhooks). A channel that owns a
``LoopThread`` answers its webhook on the server's loop and hands the messages to this loop, which keeps them in
order and handles them with Rasa's handler; the server's loop stays free to acknowledge.

Both threads share the GIL. While the worker computes, the server's loop waits for it at every step of a request
(each socket read and write gives it up), and Python hands it over only every ``sys.getswitchinterval()``, 5 ms by
default: several such waits per webhook. Starting the thread lowers the interval to 1 ms (SWITCH_INTERVAL): in the
webhook burst the acknowledgement's p50 went from 79 ms to 5 ms, for a little more switching overhead.

Objects bound to an event loop (aiohttp sessions, asyncio Redis clients, tasks) must be created and closed on the
loop that uses them: the channel gives this loop its own and closes them here (``run``) before ``stop``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")
SWITCH_INTERVAL = 0.001  # seconds; Python's default is 0.005


class LoopThread:
    """An event loop running forever in a daemon thread, started on first use and stopped by ``stop``."""

    def __init__(self, name: str) -> None:
        """No thread yet: ``start`` (or the first ``call_soon``) starts it."""
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> asyncio.AbstractEventLoop:
        """Starts the thread (idempotent) and returns its loop."""
        if self._loop is None or self._thread is None or not self._thread.is_alive():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
            self._loop, self._thread = loop, threading.Thread(target=run, name=self.name, daemon=True)
            self._thread.start()
            ready.wait()
        return self._loop

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        """Schedules ``callback(*args)`` on the loop; callbacks run in the order they were scheduled."""
        self.start().call_soon_threadsafe(callback, *args)

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Runs ``work`` on the thread's loop and waits for its result from the caller's loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.start()))

    def stop(self, timeout: float = 10.0) -> None:
        """Stops the loop, joins the thread and closes the loop (tasks still pending are dropped, with a log line)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if thread.is_alive():
            logger.warning("%s: the worker loop did not stop within %s s", self.name, timeout)
            return
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        if pending:
            logger.warning("%s: %d tasks still pending at shutdown", self.name, len(pending))
        loop.close()
        self._loop = self._thread = None
