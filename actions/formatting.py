"""Locale-aware rendering of dates, weekdays and lists (Babel's CLDR data), for response parameters.

Sentences live in domain/; this module only renders the values that go into them, in the guest's language.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_skeleton, get_day_names
from babel.lists import format_list

from actions.hours import weekly_groups
from actions.profile_models import Facility

LOCALES = {"es": "es_AR", "en": "en_US"}
DAY_PATTERNS = {"es": "EEEE d 'de' MMMM", "en": "EEEE, MMMM d"}


def _locale(language: str) -> str:
    return LOCALES.get(language, LOCALES["es"])


def amount(value: Decimal | float | int) -> str:
    """A price as the hotel writes it: "160", or "160.50" when there are cents."""
    quantized = Decimal(str(value)).quantize(Decimal("0.01"))
    return str(quantized.quantize(Decimal(1))) if quantized == quantized.to_integral_value() else str(quantized)


def hhmm(moment: datetime) -> str:
    """24-hour clock time, as the hotel states every hour."""
    return moment.strftime("%H:%M")


def day_label(day: date, language: str) -> str:
    """ "martes, 15 de diciembre" / "Tuesday, December 15"."""
    return format_date(day, DAY_PATTERNS.get(language, DAY_PATTERNS["es"]), locale=_locale(language))


def day_month(day: date, language: str) -> str:
    """ "1 de octubre" / "October 1"."""
    return format_skeleton("MMMMd", day, locale=_locale(language))


def join(items: list[str], language: str) -> str:
    """ "a, b y c" / "a, b, and c"."""
    return format_list(items, locale=_locale(language))


def _days(weekdays: list[int], language: str) -> str:
    names = get_day_names("abbreviated", locale=_locale(language))
    runs: list[list[int]] = []
    for weekday in weekdays:
        if runs and runs[-1][-1] == weekday - 1:
            runs[-1].append(weekday)
        else:
            runs.append([weekday])
    parts = [
        f"{names[run[0]]}–{names[run[-1]]}" if len(run) > 2 else ", ".join(names[day] for day in run) for run in runs
    ]
    return ", ".join(parts)


def spans_text(spans: list[tuple[str, str]], language: str) -> str:
    """ "12:30–15:00 y 20:00–23:30"."""
    return join([f"{opens}–{closes}" for opens, closes in spans], language)


def schedule(facility: Facility, language: str) -> str:
    """The regular week, e.g. "lun–vie 07:00–10:30; sáb, dom 07:30–11:00"."""
    return "; ".join(
        f"{_days(days, language)} {spans_text(spans, language)}" for days, spans in weekly_groups(facility)
    )
