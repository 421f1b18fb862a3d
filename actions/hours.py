"""Opening-hours logic: open now, next opening, a given day, seasonal closures, spans past midnight.

Every moment here is a naive datetime in the hotel's local time (the caller converts from the clock), so the
server's own time zone never matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from actions.profile import week_spans
from actions.profile_models import Facility

SEARCH_DAYS = 400  # far enough to find the end of any seasonal closure


@dataclass(frozen=True)
class Status:
    """What a facility is doing at a moment.

    ``open_until`` is set when it is open; otherwise ``next_open`` is its next opening (None: never within a
    year) and ``season_ends`` the last closed day when a seasonal closure is the reason.
    """

    open_until: datetime | None = None
    next_open: datetime | None = None
    season_ends: date | None = None

    @property
    def is_open(self) -> bool:
        """Whether the facility is open at the moment asked."""
        return self.open_until is not None


def _in_season(facility: Facility, day: date) -> bool:
    return any(season.contains(day) for season in facility.closed_seasons)


def status_at(facility: Facility, moment: datetime) -> Status:
    """The facility's status at ``moment`` (naive, hotel local time)."""
    for day in (moment.date() - timedelta(days=1), moment.date()):
        for opens, closes in week_spans(facility, day):
            if opens <= moment < closes:
                return Status(open_until=_merged_close(facility, closes))
    season_ends = None
    if _in_season(facility, moment.date()):
        day = moment.date()
        while _in_season(facility, day + timedelta(days=1)) and day < moment.date() + timedelta(days=SEARCH_DAYS):
            day += timedelta(days=1)
        season_ends = day
    return Status(next_open=next_opening(facility, moment), season_ends=season_ends)


def _merged_close(facility: Facility, closes: datetime) -> datetime:
    """The real closing time when spans touch (e.g. a 24 h facility open day after day)."""
    for _ in range(SEARCH_DAYS):
        following = [span for span in week_spans(facility, closes.date()) if span[0] == closes]
        if not following:
            return closes
        closes = following[0][1]
    return closes


def next_opening(facility: Facility, moment: datetime) -> datetime | None:
    """The first opening strictly after ``moment``, or None when none comes within a year."""
    for offset in range(SEARCH_DAYS):
        for opens, _ in week_spans(facility, moment.date() + timedelta(days=offset)):
            if opens > moment:
                return opens
    return None


def spans_on(facility: Facility, day: date) -> list[tuple[datetime, datetime]]:
    """Opening spans that start on ``day`` (empty when closed that day, e.g. the spa on Mondays)."""
    return week_spans(facility, day)


def weekly_groups(facility: Facility) -> list[tuple[list[int], list[tuple[str, str]]]]:
    """The regular week (seasons aside) grouped by identical hours: [([weekday numbers], [(open, close)])].

    Weekdays are 0 (Monday) to 6; groups come in week order of their first day; closed days are left out.
    """
    by_day: dict[int, tuple[tuple[str, str], ...]] = {}
    for weekday in range(7):
        found = sorted((span.open, span.close) for span in facility.hours if _weekday_code(weekday) in span.days)
        if found:
            by_day[weekday] = tuple(found)
    groups: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for weekday, spans in by_day.items():
        groups.setdefault(spans, []).append(weekday)
    return sorted(((days, list(spans)) for spans, days in groups.items()), key=lambda group: group[0][0])


def _weekday_code(weekday: int) -> str:
    return ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[weekday]
