"""Timeouts, retries and the circuit breaker around real adapters (the doubles are in tests/unit/pms_doubles.py)."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from actions.pms.factory import wrap
from actions.pms.local import LocalPMS
from actions.pms.port import InvalidStay, PMSError, ReservationNotFound
from actions.pms.resilience import CircuitBreakerPMS, RetryingPMS, TimeoutPMS, find_layer
from actions.settings import Settings
from actions.store.db import Database
from tests.unit.pms_doubles import NOW, GatewayPMS, LeakyGatewayPMS, ScriptedServer, SteppedClock, booking, stay

pytest_plugins = ["tests.unit.pms_doubles"]  # the fixtures: db, local, server, remote, down ...


# --- timeout ---------------------------------------------------------------------------------------------------


async def test_timeout_turns_a_slow_pms_into_pms_error(remote: GatewayPMS, server: ScriptedServer) -> None:
    server.script["availability"] = ["slow"]
    started = time.monotonic()
    with pytest.raises(PMSError, match="timed out") as failure:
        await TimeoutPMS(remote, 0.1).availability(*stay(1), 2)
    assert time.monotonic() - started < server.slow_seconds
    assert isinstance(failure.value.__cause__, asyncio.TimeoutError)


async def test_timeout_lets_a_prompt_answer_through(local: LocalPMS) -> None:
    assert [info.code for info in await TimeoutPMS(local, 5).room_types()] == [
        info.code for info in await local.room_types()
    ]


async def test_a_transport_error_reaches_the_layers_as_pms_error(down: GatewayPMS, db: Database) -> None:
    with pytest.raises(PMSError) as failure:
        await TimeoutPMS(down, 1).room_types()
    assert isinstance(failure.value.__cause__, aiohttp.ClientConnectionError)
    leaky = LeakyGatewayPMS(db, down.profile, down.session, down.base_url)
    with pytest.raises(PMSError) as leaked:
        await TimeoutPMS(leaky, 1).room_types()
    assert isinstance(leaked.value.__cause__, aiohttp.ClientConnectionError)


# --- retries ---------------------------------------------------------------------------------------------------


async def test_reads_are_retried_until_they_succeed(
    remote: GatewayPMS, local: LocalPMS, server: ScriptedServer
) -> None:
    server.script["availability"] = ["500", "garbage"]
    retrying = RetryingPMS(remote, retries=2, base_delay=0.001, max_delay=0.01)
    assert await retrying.availability(*stay(2), 2) == await local.availability(*stay(2), 2)
    assert server.hits["availability"] == 3


async def test_reads_give_up_after_the_last_retry(remote: GatewayPMS, server: ScriptedServer) -> None:
    server.script["get_reservation"] = ["500", "500", "500", "500"]
    with pytest.raises(PMSError, match="HTTP 500"):
        await RetryingPMS(remote, retries=2, base_delay=0.001).get_reservation("ABC234")
    assert server.hits["get_reservation"] == 3


@pytest.mark.parametrize(
    ("operation", "arguments"),
    [
        ("create_reservation", (booking(3),)),
        ("cancel_reservation", ("ABC234", NOW)),
        ("set_times", ("ABC234", "12:00")),
        ("post_charge", ("ABC234", "Minibar", Decimal("5.00"))),
        ("set_status", ("ABC234", "checked_in")),
    ],
)
async def test_writes_are_never_retried(
    remote: GatewayPMS, server: ScriptedServer, operation: str, arguments: tuple[Any, ...]
) -> None:
    server.script[operation] = ["500"]
    with pytest.raises(PMSError):
        await getattr(RetryingPMS(remote, retries=3, base_delay=0.001), operation)(*arguments)
    assert server.hits[operation] == 1


async def test_business_outcomes_are_not_retried(remote: GatewayPMS, server: ScriptedServer) -> None:
    retrying = RetryingPMS(remote, retries=3, base_delay=0.001)
    check_in, _ = stay(4)
    with pytest.raises(InvalidStay):
        await retrying.availability(check_in, check_in, 2)
    assert server.hits["availability"] == 1


async def test_backoff_is_full_jitter_under_a_capped_exponential(local: LocalPMS) -> None:
    retrying = RetryingPMS(local, retries=5, base_delay=0.1, max_delay=0.3)
    for attempt, cap in enumerate([0.1, 0.2, 0.3, 0.3, 0.3]):
        delays = [retrying.backoff(attempt) for _ in range(200)]
        assert all(0 <= delay <= cap for delay in delays)
        assert max(delays) > cap / 2  # spread over the range, not a fixed delay


# --- circuit breaker -------------------------------------------------------------------------------------------


async def test_breaker_opens_after_consecutive_failures_and_fails_fast(down: GatewayPMS) -> None:
    breaker = CircuitBreakerPMS(down, failures=3, cooldown=30, clock=SteppedClock())
    for _ in range(3):
        assert breaker.state == "closed"
        with pytest.raises(PMSError) as failure:
            await breaker.room_types()
        assert isinstance(failure.value.__cause__, aiohttp.ClientConnectionError)
    assert breaker.state == "open"
    with pytest.raises(PMSError, match="circuit open"):
        await breaker.get_reservation("ABC234")
    with pytest.raises(PMSError, match="circuit open"):
        await breaker.create_reservation(booking(5))
    assert sum(down.calls.values()) == 3


async def test_breaker_half_opens_after_the_cooldown_and_closes_on_success(
    down: GatewayPMS, server: ScriptedServer
) -> None:
    clock = SteppedClock()
    breaker = CircuitBreakerPMS(down, failures=2, cooldown=30, clock=clock)
    for _ in range(2):
        with pytest.raises(PMSError):
            await breaker.room_types()
    clock.advance(29.9)
    assert breaker.state == "open"
    with pytest.raises(PMSError, match="circuit open"):
        await breaker.room_types()
    clock.advance(0.1)
    assert breaker.state == "half_open"
    down.base_url = server.url  # the PMS is back
    assert await breaker.room_types()
    assert breaker.state == "closed"
    assert down.calls["room_types"] == 3


async def test_a_failed_trial_reopens_the_breaker(down: GatewayPMS) -> None:
    clock = SteppedClock()
    breaker = CircuitBreakerPMS(down, failures=2, cooldown=30, clock=clock)
    for _ in range(2):
        with pytest.raises(PMSError):
            await breaker.room_types()
    clock.advance(30)
    with pytest.raises(PMSError) as trial:
        await breaker.room_types()
    assert "circuit open" not in str(trial.value)  # the trial really called the PMS
    assert breaker.state == "open"
    with pytest.raises(PMSError, match="circuit open"):
        await breaker.room_types()
    assert down.calls["room_types"] == 3
    clock.advance(30)
    assert breaker.state == "half_open"


async def test_half_open_lets_one_trial_through(remote: GatewayPMS, server: ScriptedServer) -> None:
    clock = SteppedClock()
    breaker = CircuitBreakerPMS(remote, failures=1, cooldown=30, clock=clock)
    server.script["room_types"] = ["500", "slow"]
    with pytest.raises(PMSError):
        await breaker.room_types()
    clock.advance(30)
    trial = asyncio.create_task(breaker.room_types())
    await asyncio.sleep(0.1)  # the trial is waiting on the slow server
    with pytest.raises(PMSError, match="circuit open"):
        await breaker.room_types()
    assert await trial
    assert breaker.state == "closed"
    assert server.hits["room_types"] == 2


async def test_business_outcomes_do_not_trip_the_breaker(remote: GatewayPMS, server: ScriptedServer) -> None:
    breaker = CircuitBreakerPMS(remote, failures=2, cooldown=30)
    check_in, _ = stay(6)
    for _ in range(4):
        with pytest.raises(InvalidStay):
            await breaker.availability(check_in, check_in, 2)
        with pytest.raises(ReservationNotFound):
            await breaker.cancel_reservation("NOSUCH", NOW)
    assert breaker.state == "closed"
    server.script["room_types"] = ["500", "500"]
    with pytest.raises(PMSError):
        await breaker.room_types()
    with pytest.raises(InvalidStay):  # an answer in between: the failures are not consecutive
        await breaker.availability(check_in, check_in, 2)
    with pytest.raises(PMSError):
        await breaker.room_types()
    assert (breaker.state, breaker.consecutive_failures) == ("closed", 1)


# --- the whole chain ------- ---------------------------------------------------------------------------------


def _settings(sqlite_url: str, **values: Any) -> Settings:
    return Settings(database_url=sqlite_url, **values)


async def test_the_breaker_counts_a_request_once_its_retries_are_spent(
    sqlite_url: str, remote: GatewayPMS, server: ScriptedServer, closed_url: str
) -> None:
    settings = _settings(sqlite_url, pms_timeout_seconds=0.2, pms_read_retries=1, pms_breaker_failures=2)
    chain = wrap(remote, settings)
    breaker = find_layer(chain, CircuitBreakerPMS)
    assert breaker is not None
    server.script["room_types"] = ["slow", "slow"]
    with pytest.raises(PMSError, match="timed out"):
        await chain.room_types()
    assert (server.hits["room_types"], breaker.consecutive_failures, breaker.state) == (2, 1, "closed")
    offers = await chain.availability(*stay(11), 2)
    remote.base_url = closed_url  # the PMS goes down
    for _ in range(2):
        with pytest.raises(PMSError):
            await chain.get_reservation("ABC234")
    assert breaker.state == "open"
    assert await chain.availability(*stay(11), 2) == offers  # guests still get recent availability
    with pytest.raises(PMSError, match="circuit open"):
        await chain.create_reservation(booking(11))
