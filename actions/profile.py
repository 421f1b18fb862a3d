"""Loading the hotel profile (hotel.yml) and the lookups that depend only on it.

The models of the profile's sections are in actions/profile_models.py; this module finds the file (HOTEL_PROFILE,
or the embedded demo hotel), reads and validates it once per path, on first use, never at import time, and turns
the hours of a facility into opening intervals. An invalid profile raises ConfigError naming the field and the
problem, and both servers refuse to start with it.
"""

from __future__ import annotations

import functools
import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import yaml
from pydantic import ValidationError

from actions.errors import ConfigError
from actions.profile_models import WEEKDAYS, Facility, HotelProfile, parse_hhmm

DEFAULT_PROFILE = Path(__file__).resolve().parent.parent / "hotel.yml"


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"] if part != "__root__")
        lines.append(f"{where}: {item['msg']}")
    return "; ".join(lines)


def profile_path() -> Path:
    """The profile in use: HOTEL_PROFILE, or the embedded demo hotel."""
    return Path(os.environ.get("HOTEL_PROFILE") or DEFAULT_PROFILE)


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> HotelProfile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"hotel profile {path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"hotel profile {path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"hotel profile {path}: expected a mapping at the top level")
    try:
        profile = HotelProfile.parse_obj(raw)
    except ValidationError as exc:
        raise ConfigError(f"hotel profile {path}: {_describe(exc)}") from None
    photo_dir = profile.photo_dir(path)
    missing = [name for name in profile.photo_names() if not (photo_dir / name).is_file()]
    if missing:
        raise ConfigError(f"hotel profile {path}: photos_dir: not found in {photo_dir}: {', '.join(missing)}")
    return profile


def load_profile(path: Path | str | None = None) -> HotelProfile:
    """Load and validate a profile (cached per path).

    Raises:
        ConfigError: the file is missing, not YAML, or a field is invalid; the message names the field.
    """
    return _load(Path(path) if path else profile_path())


def week_spans(facility: Facility, day: date) -> list[tuple[datetime, datetime]]:
    """Opening intervals (naive local datetimes) that start on ``day``; spans past midnight end the next day."""
    if facility.always_open:
        start = datetime.combine(day, time())
        return [(start, start + timedelta(days=1))]
    if any(season.contains(day) for season in facility.closed_seasons):
        return []
    weekday = WEEKDAYS[day.weekday()]
    spans = []
    for span in facility.hours:
        if weekday in span.days:
            opens = datetime.combine(day, parse_hhmm(span.open))
            closes = datetime.combine(day, parse_hhmm(span.close))
            if closes <= opens:
                closes += timedelta(days=1)
            spans.append((opens, closes))
    return sorted(spans)
