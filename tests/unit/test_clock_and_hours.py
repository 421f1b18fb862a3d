"""The clock (pinned by CONSERJE_NOW) and the opening-hours rules of every facility."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from actions import clock
from actions.errors import ConfigError
from actions.formatting import schedule
from actions.hours import status_at
from actions.profile import load_profile

BA = ZoneInfo("America/Argentina/Buenos_Aires")


def test_clock_pinned_and_converted_to_the_hotel_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSERJE_NOW", "2026-12-11T04:30:00+00:00")
    assert clock.now(BA) == datetime(2026, 12, 11, 1, 30, tzinfo=BA)
    assert clock.now(BA).utcoffset().total_seconds() == -3 * 3600  # type: ignore[union-attr]


def test_clock_runs_free_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSERJE_NOW", raising=False)
    before = datetime.now(timezone.utc)
    assert before <= clock.now() <= datetime.now(timezone.utc)


@pytest.mark.parametrize("value", ["tomorrow", "2026-12-10T10:00:00"])
def test_clock_rejects_bad_pins(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CONSERJE_NOW", value)
    with pytest.raises(ConfigError, match="CONSERJE_NOW"):
        clock.now()


@pytest.mark.parametrize(
    ("facility", "moment", "open_until", "next_open"),
    [
        ("pool", "2026-12-10 10:00", "20:00", None),  # Thursday in summer
        ("pool", "2026-12-10 20:00", None, "2026-12-11 09:00"),  # closes at 20:00 sharp
        ("breakfast", "2026-12-10 10:45", None, "2026-12-11 07:00"),  # weekday breakfast ends 10:30
        ("breakfast", "2026-12-12 10:45", "11:00", None),  # Saturday until 11:00
        ("restaurant", "2026-12-14 21:00", None, "2026-12-15 12:30"),  # no dinner on Mondays
        ("restaurant", "2026-12-15 21:00", "23:30", None),  # Tuesday dinner
        ("bar", "2026-12-12 01:30", "02:00", None),  # Friday night runs past midnight
        ("bar", "2026-12-11 01:30", None, "2026-12-11 18:00"),  # Thursday night ends at 01:00
        ("bar", "2026-12-13 00:30", "02:00", None),  # Saturday night until 02:00
        ("spa", "2026-12-14 12:00", None, "2026-12-15 10:00"),  # closed on Mondays
        ("gym", "2026-12-14 05:59", None, "2026-12-14 06:00"),
        ("room_service", "2026-12-10 22:59", "23:00", None),
        ("reception", "2026-12-10 03:00", "∞", None),
    ],
)
def test_status(facility: str, moment: str, open_until: str | None, next_open: str | None) -> None:
    profile = load_profile()
    status = status_at(profile.facilities[facility], datetime.fromisoformat(moment))
    if open_until == "∞":
        assert status.is_open
    elif open_until:
        assert status.open_until is not None and status.open_until.strftime("%H:%M") == open_until
    else:
        assert not status.is_open
        assert status.next_open == datetime.fromisoformat(next_open or "")


def test_pool_seasonal_closure() -> None:
    pool = load_profile().facilities["pool"]
    status = status_at(pool, datetime(2026, 6, 15, 12, 0))
    assert not status.is_open
    assert status.season_ends == date(2026, 9, 30)
    assert status.next_open == datetime(2026, 10, 1, 9, 0)
    assert status_at(pool, datetime(2026, 4, 30, 12, 0)).is_open
    assert not status_at(pool, datetime(2026, 5, 1, 12, 0)).is_open
    assert status_at(pool, datetime(2026, 10, 1, 9, 0)).is_open


def test_weekly_schedules_in_both_languages() -> None:
    facilities = load_profile().facilities
    assert schedule(facilities["breakfast"], "es") == "lun–vie 07:00–10:30; sáb, dom 07:30–11:00"
    assert schedule(facilities["breakfast"], "en") == "Mon–Fri 07:00–10:30; Sat, Sun 07:30–11:00"
    assert schedule(facilities["restaurant"], "en") == "Mon 12:30–15:00; Tue–Sun 12:30–15:00 and 20:00–23:30"
    assert schedule(facilities["bar"], "es") == "lun–jue, dom 18:00–01:00; vie, sáb 18:00–02:00"
    assert schedule(facilities["spa"], "es") == "mar–dom 10:00–20:00"
