"""In-process locks per key (a booking code and what is being done to it), for read-then-write steps that two
conversations or two desk scanners could run at once against the same booking.

A lock lives as long as someone holds or waits for it (weak values), so the table never grows with the bookings
seen. These serialise one action server process; the database constraints and idempotency keys stay the guard
across processes.
"""

from __future__ import annotations

import asyncio
import weakref

_LOCKS: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def keyed(key: str) -> asyncio.Lock:
    """The lock of ``key`` (the same object for every caller while any of them holds or waits for it)."""
    lock = _LOCKS.get(key)
    if lock is None:
        lock = _LOCKS[key] = asyncio.Lock()
    return lock
