"""Resilience as PMS adapters around the PMS adapter (the shape of rasa's FailSafeTrackerStore).

Each layer is itself a ``PMS`` that delegates to ``inner``, so actions never see a try/except for timeouts or
retries, and any adapter (local, QloApps, a dotted path) gets the same behaviour. factory.py builds the chain:

    CachedAvailabilityPMS( CircuitBreakerPMS( RetryingPMS( TimeoutPMS( adapter ))))

Why this order, from the inside out:

- TimeoutPMS is innermost, so each attempt has its own deadline: a hung attempt becomes a PMSError that the
  retry layer can act on (a deadline around the retries would cancel the retries themselves).
- RetryingPMS is inside the breaker, so the breaker counts one failure per guest request, after the retries have
  been spent: a blip that one retry absorbs never moves the breaker, and a real outage opens it after
  ``failures`` requests, not ``failures`` attempts. While the breaker is open nothing below it runs: no retries
  hammer a PMS that is down.
- The breaker sees the real errors: transport failures, timeouts and malformed replies all arrive as PMSError
  (with the transport exception chained as ``__cause__``), and nothing between it and the adapter swallows them.
- CachedAvailabilityPMS is outermost, so a cache hit needs neither the PMS nor the breaker: while the PMS is
  down, guests still get recent availability; a booking then fails fast and politely.

What counts as a failure: ``ServiceError`` (PMSError from a remote PMS, StoreError from the local one). Business
outcomes (RoomUnavailable, ReservationNotFound, InvalidStay: ``ConserjeError`` that are not ``ServiceError``)
mean the PMS answered: they are never retried and count as successes for the breaker. Other exceptions are bugs;
they pass through untouched and are not counted either way.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, TypeVar

import aiohttp

from actions import metrics
from actions.errors import ConserjeError, ServiceError
from actions.pms.cache import AvailabilityCache, availability_key
from actions.pms.models import BookingRequest, Cancellation, Charge, Offer, Reservation, RoomTypeInfo, Status
from actions.pms.port import PMS, PMSError

logger = logging.getLogger(__name__)

T = TypeVar("T")
P = TypeVar("P", bound=PMS)
BreakerState = Literal["closed", "open", "half_open"]

READS = frozenset(
    {"room_types", "availability", "get_reservation", "find_reservations", "next_arrival", "reservations_on", "folio"}
)
WRITES = frozenset({"create_reservation", "cancel_reservation", "set_times", "post_charge", "set_status"})
# Writes after which availability may have changed (a check-out frees the remaining nights).
INVALIDATING = frozenset({"create_reservation", "cancel_reservation", "set_status"})


class DelegatingPMS(PMS):
    """A PMS that forwards every operation to ``inner`` through ``_call``; the layers below override ``_call``."""

    def __init__(self, inner: PMS) -> None:
        """Wraps ``inner`` (an adapter or another layer)."""
        self.inner = inner

    async def _call(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        """Runs one operation of the port; ``call`` starts a fresh attempt each time it is called."""
        return await call()

    async def room_types(self) -> list[RoomTypeInfo]:
        """See PMS.room_types."""
        return await self._call("room_types", self.inner.room_types)

    async def availability(
        self, check_in: date, check_out: date, guests: int, room_type: str | None = None
    ) -> list[Offer]:
        """See PMS.availability."""
        return await self._call("availability", lambda: self.inner.availability(check_in, check_out, guests, room_type))

    async def create_reservation(self, request: BookingRequest) -> Reservation:
        """See PMS.create_reservation."""
        return await self._call("create_reservation", lambda: self.inner.create_reservation(request))

    async def get_reservation(self, code: str) -> Reservation | None:
        """See PMS.get_reservation."""
        return await self._call("get_reservation", lambda: self.inner.get_reservation(code))

    async def find_reservations(self, phone: str | None = None, email: str | None = None) -> list[Reservation]:
        """See PMS.find_reservations."""
        return await self._call("find_reservations", lambda: self.inner.find_reservations(phone, email))

    async def cancel_reservation(self, code: str, now: datetime) -> Cancellation:
        """See PMS.cancel_reservation."""
        return await self._call("cancel_reservation", lambda: self.inner.cancel_reservation(code, now))

    async def next_arrival(self, room_number: int, day: date) -> Reservation | None:
        """See PMS.next_arrival."""
        return await self._call("next_arrival", lambda: self.inner.next_arrival(room_number, day))

    async def set_times(
        self, code: str, checkin_time: str | None = None, checkout_time: str | None = None
    ) -> Reservation:
        """See PMS.set_times."""
        return await self._call("set_times", lambda: self.inner.set_times(code, checkin_time, checkout_time))

    async def post_charge(self, code: str, description: str, amount: Decimal, key: str | None = None) -> Charge:
        """See PMS.post_charge."""
        return await self._call("post_charge", lambda: self.inner.post_charge(code, description, amount, key))

    async def folio(self, code: str) -> list[Charge]:
        """See PMS.folio."""
        return await self._call("folio", lambda: self.inner.folio(code))

    async def set_status(self, code: str, status: Status) -> Reservation:
        """See PMS.set_status."""
        return await self._call("set_status", lambda: self.inner.set_status(code, status))

    async def reservations_on(self, day: date) -> dict[str, list[Reservation]]:
        """See PMS.reservations_on."""
        return await self._call("reservations_on", lambda: self.inner.reservations_on(day))

    async def start(self) -> None:
        """Starts the inner PMS (no timeout or retry: a start-up failure must stop start-up, loudly)."""
        await self.inner.start()

    async def close(self) -> None:
        """Closes the inner PMS."""
        await self.inner.close()


def find_layer(pms: PMS, kind: type[P]) -> P | None:
    """The first layer of type ``kind`` in a chain (e.g. the breaker, for /ready and metrics), or None."""
    current: PMS | None = pms
    while current is not None:
        if isinstance(current, kind):
            return current
        current = current.inner if isinstance(current, DelegatingPMS) else None
    return None


class TimeoutPMS(DelegatingPMS):
    """Every operation under a deadline; a timeout, or a raw transport error an adapter let out, is a PMSError.

    A write that times out may still have happened on the PMS; it is not retried (see RetryingPMS), so at worst
    the guest is told it failed and staff see the booking, never a double booking.
    """

    def __init__(self, inner: PMS, seconds: float) -> None:
        """``seconds`` per attempt (PMS_TIMEOUT_SECONDS)."""
        super().__init__(inner)
        if seconds <= 0:
            raise ValueError("the timeout must be positive")
        self.seconds = seconds

    async def _call(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        """Runs the attempt under ``asyncio.wait_for``; the abandoned attempt is cancelled."""
        try:
            return await asyncio.wait_for(call(), self.seconds)
        except asyncio.TimeoutError as exc:
            raise PMSError(f"{operation} timed out after {self.seconds:g}s") from exc
        except (aiohttp.ClientError, OSError) as exc:
            # Adapters should raise PMSError themselves; one that does not still must not blind the breaker.
            raise PMSError(f"{operation} failed: {type(exc).__name__}") from exc


class RetryingPMS(DelegatingPMS):
    """Retries reads that failed (ServiceError) with exponential backoff and full jitter; never writes.

    Writes are not idempotent on most PMSs (a retried booking may book twice), and business outcomes are
    answers, not failures: neither is retried.
    """

    def __init__(self, inner: PMS, retries: int, base_delay: float = 0.1, max_delay: float = 2.0) -> None:
        """``retries`` extra attempts after the first (PMS_READ_RETRIES); delays in seconds."""
        super().__init__(inner)
        if retries < 0 or base_delay < 0 or max_delay < base_delay:
            raise ValueError("retries and delays must be non-negative, with max_delay >= base_delay")
        self.retries = retries
        self.base_delay = base_delay
        self.max_delay = max_delay

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based): uniform in [0, capped exponential]."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))

    async def _call(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        """Up to ``retries + 1`` attempts for a read, exactly one for anything else."""
        if operation not in READS:
            return await call()
        attempt = 0
        while True:
            try:
                return await call()
            except ServiceError as exc:
                if attempt >= self.retries:
                    raise
                delay = self.backoff(attempt)
                logger.info(
                    "pms_retry",
                    extra={"operation": operation, "attempt": attempt + 1, "error": str(exc), "delay": delay},
                )
                attempt += 1
                await asyncio.sleep(delay)


class CircuitBreakerPMS(DelegatingPMS):
    """Stops calling a PMS that keeps failing, and tries it again after a cool-down.

    closed: calls go through; ``failures`` consecutive ServiceErrors open the circuit (a success or a business
    outcome resets the count). open: calls fail fast with PMSError("circuit open"), the PMS is not called.
    half_open (``cooldown`` seconds after opening): exactly one trial call goes through while the others still
    fail fast; its success closes the circuit, its failure opens it for another cool-down.
    """

    def __init__(self, inner: PMS, failures: int, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        """``failures`` (PMS_BREAKER_FAILURES), ``cooldown`` seconds (PMS_BREAKER_COOLDOWN_SECONDS).

        ``clock`` returns seconds on a monotonic scale; tests pass their own function to step through time.
        """
        super().__init__(inner)
        if failures < 1 or cooldown <= 0:
            raise ValueError("failures must be at least 1 and the cool-down positive")
        self.threshold = failures
        self.cooldown = cooldown
        self._clock = clock
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        """ "closed", "open" or "half_open" (an open circuit whose cool-down has passed), for /ready and metrics."""
        if self._state == "open" and self._clock() - self._opened_at >= self.cooldown:
            self._state = "half_open"
        return self._state

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success (for metrics)."""
        return self._failures

    def _open(self) -> None:
        self._state = "open"
        self._opened_at = self._clock()
        logger.warning("pms_circuit_open", extra={"failures": self._failures, "cooldown": self.cooldown})

    def _record_failure(self, trial: bool) -> None:
        self._failures += 1
        if trial or (self._state == "closed" and self._failures >= self.threshold):
            self._open()

    def _record_success(self, trial: bool) -> None:
        if trial:
            logger.info("pms_circuit_closed")
            self._state = "closed"
        if self._state == "closed":
            self._failures = 0

    async def _call(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        """Fails fast while open; lets one trial through when half open; counts outcomes."""
        state = self.state
        if state == "open" or (state == "half_open" and self._trial_running):
            metrics.PMS_SECONDS.labels(operation, "open").observe(0)
            raise PMSError("circuit open")
        trial = state == "half_open"
        self._trial_running = self._trial_running or trial
        started, outcome = time.perf_counter(), "error"
        try:
            result = await call()
            outcome = "ok"
        except ServiceError:
            self._record_failure(trial)
            raise
        except ConserjeError:
            outcome = "business"
            self._record_success(trial)  # a business outcome: the PMS answered
            raise
        finally:
            if trial:
                self._trial_running = False
            metrics.PMS_SECONDS.labels(operation, outcome).observe(time.perf_counter() - started)
        self._record_success(trial)
        return result


class CachedAvailabilityPMS(DelegatingPMS):
    """Answers repeated availability questions from a cache for ``ttl`` seconds.

    Guests ask the same dates several times in one conversation (dates, then room type, then "how much?");
    each is a PMS round trip otherwise. Bookings, cancellations and status changes invalidate the cache, even
    when they fail (a timed-out booking may have happened). Only availability is cached: reservations must be
    read fresh. A stale answer is bounded by ``ttl`` and harmless: booking checks with the PMS for real.
    """

    def __init__(self, inner: PMS, cache: AvailabilityCache, ttl: float) -> None:
        """``ttl`` seconds (PMS_CACHE_TTL_SECONDS); the factory leaves this layer out when it is 0."""
        super().__init__(inner)
        if ttl <= 0:
            raise ValueError("the cache TTL must be positive (leave the layer out to disable caching)")
        self.cache = cache
        self.ttl = ttl

    async def availability(
        self, check_in: date, check_out: date, guests: int, room_type: str | None = None
    ) -> list[Offer]:
        """The cached offers, or the inner PMS's (then cached); errors are not cached."""
        key = availability_key(check_in, check_out, guests, room_type)
        generation, offers = await self.cache.lookup(key)
        if offers is not None:
            return offers
        offers = await self.inner.availability(check_in, check_out, guests, room_type)
        await self.cache.store(generation, key, offers, self.ttl)
        return list(offers)

    async def _call(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        """Invalidates the cache after every write that may change availability, whatever its outcome."""
        if operation not in INVALIDATING:
            return await call()
        try:
            return await call()
        finally:
            await self.cache.invalidate()
