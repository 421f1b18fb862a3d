"""The pydantic models of the hotel profile (hotel.yml): every section, its fields and their validation.

The profile holds facts (names, hours, rates, policies); guest-facing sentences live in domain/. These models only
describe and check one parsed document; reading the file, caching it and turning validation errors into
ConfigError live in actions/profile.py, so code that merely needs the types (actions, the PMS adapters) does not
pull in the loading. Unknown fields are errors (``Strict``), so a typo in hotel.yml is reported, not ignored.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, root_validator, validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
FACILITIES = ("reception", "breakfast", "restaurant", "bar", "pool", "gym", "spa", "room_service")
ROOM_TYPES = ("double", "twin", "superior_king", "family", "junior_suite")


def parse_hhmm(value: str) -> time:
    """An ``HH:MM`` string as a time; ValueError (which pydantic reports with the field) for anything else."""
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not an HH:MM time") from None


class Strict(BaseModel):
    """Base model: unknown fields are errors, so a typo in hotel.yml is reported instead of ignored."""

    class Config:
        extra = "forbid"
        allow_mutation = False


class Localized(Strict):
    """A text in both languages of the assistant."""

    es: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def in_(self, language: str) -> str:
        """The text in ``language`` (Spanish for anything else)."""
        return self.en if language == "en" else self.es


class Directions(Strict):
    eze: Localized
    aep: Localized
    subway: Localized


class Identity(Strict):
    name: str = Field(min_length=1)
    address: str = Field(min_length=1)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    timezone: str
    phone: str
    whatsapp: str
    email: str
    currency: str = Field(regex=r"^[A-Z]{3}$")
    directions: Directions

    @validator("timezone")
    def _known_zone(cls, value: str) -> str:  # noqa: N805 - pydantic validators take the class
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value


class LateOption(Strict):
    until: str
    percent_of_nightly_rate: int = Field(gt=0, le=100)
    _check = validator("until", allow_reuse=True)(lambda v: parse_hhmm(v) and v)


class EarlyOption(Strict):
    from_: str = Field(alias="from")
    percent_of_nightly_rate: int = Field(gt=0, le=100)
    _check = validator("from_", allow_reuse=True)(lambda v: parse_hhmm(v) and v)


class LateCheckout(Strict):
    approval: Literal["instant", "staff"] = "instant"
    options: list[LateOption] = Field(min_items=1)


class EarlyCheckin(Strict):
    approval: Literal["instant", "staff"] = "instant"
    options: list[EarlyOption] = Field(min_items=1)


class Cancellation(Strict):
    free_until_hours_before_arrival: int = Field(ge=0)
    late_penalty: Literal["first_night"]


class Policies(Strict):
    checkin_from: str
    checkout_until: str
    late_checkout: LateCheckout
    early_checkin: EarlyCheckin
    cancellation: Cancellation
    payment_methods: Localized
    cheques_accepted: bool
    _check = validator("checkin_from", "checkout_until", allow_reuse=True)(lambda v: parse_hhmm(v) and v)


class Span(Strict):
    """Opening span on some weekdays; a close at or before the open runs past midnight."""

    days: list[Weekday] = Field(min_items=1)
    open: str
    close: str
    _check = validator("open", "close", allow_reuse=True)(lambda v: parse_hhmm(v) and v)


class Season(Strict):
    """An inclusive month-day range (MM-DD) during which a facility is closed, e.g. 05-01 to 09-30."""

    from_: str = Field(alias="from", regex=r"^\d\d-\d\d$")
    to: str = Field(regex=r"^\d\d-\d\d$")

    @validator("from_", "to")
    def _real_day(cls, value: str) -> str:  # noqa: N805
        month, day = (int(part) for part in value.split("-"))
        try:
            date(2024, month, day)  # a leap year accepts 02-29
        except ValueError:
            raise ValueError(f"{value!r} is not a month-day") from None
        return value

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls in the season (ranges may wrap over New Year)."""
        key = day.strftime("%m-%d")
        if self.from_ <= self.to:
            return self.from_ <= key <= self.to
        return key >= self.from_ or key <= self.to


class Facility(Strict):
    name: Localized
    always_open: bool = False
    outdoor: bool = False
    hours: list[Span] = []
    closed_seasons: list[Season] = []

    @root_validator(skip_on_failure=True)
    def _hours_or_always(cls, values: dict) -> dict:  # noqa: N805
        if not values["always_open"] and not values["hours"]:
            raise ValueError("needs `hours` or `always_open: true`")
        return values


class RoomType(Strict):
    name: Localized
    max_guests: int = Field(ge=1, le=12)
    rate: float = Field(gt=0)
    rooms: list[int] = Field(min_items=1)
    photos: list[str] = Field(min_items=1)


class Faq(Strict):
    wifi: dict
    parking: dict
    pets: dict
    breakfast_included: bool
    airport_transfer: dict
    smoking: dict
    luggage_storage: dict
    accessibility: dict


PLATFORMS = ("google", "tripadvisor", "booking")
SEGMENTS = ("business", "leisure", "family", "long_stay")
LOYALTY_EVENTS = ("feedback_survey", "qr_checkin", "stay_completed", "late_checkout_purchased")
Platform = Literal["google", "tripadvisor", "booking"]
LoyaltyEvent = Literal["feedback_survey", "qr_checkin", "stay_completed", "late_checkout_purchased"]


class ReviewTemplate(Strict):
    """The approved WhatsApp template of the review request (sent outside the 24-hour window)."""

    name: str = Field(regex=r"^[a-z0-9_]{1,512}$")
    languages: dict[Literal["es", "en"], str]  # guest language → template language code, e.g. es_AR


class Reviews(Strict):
    """Post-stay review requests: when, how often, and which public platform comes first per segment."""

    platforms: dict[Platform, str]
    low_rating_max: int = Field(ge=1, le=5)
    gating: Literal[False]
    points_for_public_reviews: Literal[False]
    send_after_hours: float = Field(24, ge=0)
    send_between: tuple[str, str] = ("09:00", "21:00")  # hotel time; a request due outside waits for the opening
    reminders: int = Field(2, ge=0, le=2)
    reminder_every_hours: float = Field(72, gt=0)
    long_stay_nights: int = Field(7, ge=2)
    first_platform: dict[Literal["business", "leisure", "family", "long_stay"], Platform]
    template: ReviewTemplate

    _check = validator("send_between", allow_reuse=True, each_item=True)(lambda v: parse_hhmm(v) and v)

    @validator("platforms")
    def _all_platforms(cls, value: dict[str, str]) -> dict[str, str]:  # noqa: N805
        for name, url in value.items():
            if not url.startswith("https://"):
                raise ValueError(f"{name}: the link must be an https URL")
        return value

    @root_validator(skip_on_failure=True)
    def _segments(cls, values: dict) -> dict:  # noqa: N805
        missing = sorted(set(SEGMENTS) - set(values["first_platform"]))
        if missing:
            raise ValueError(f"first_platform needs every segment (missing {missing})")
        unknown = sorted(set(values["first_platform"].values()) - set(values["platforms"]))
        if unknown:
            raise ValueError(f"first_platform names platforms without a link: {unknown}")
        opens, closes = (parse_hhmm(v) for v in values["send_between"])
        if closes <= opens:
            raise ValueError("send_between must open before it closes")
        return values


class Badge(Strict):
    """A badge earned on the ``count``-th time an event is awarded."""

    event: LoyaltyEvent
    count: int = Field(ge=1)


class Reward(Strict):
    """A reward of the catalogue: a late checkout until an hour (through the late-checkout rules) or a facility."""

    points: int = Field(gt=0)
    title: Localized  # as the catalogue shows it
    late_checkout_until: str | None = None
    facility: str | None = None

    @root_validator(skip_on_failure=True)
    def _one_kind(cls, values: dict) -> dict:  # noqa: N805
        if (values["late_checkout_until"] is None) == (values["facility"] is None):
            raise ValueError("a reward is either `late_checkout_until` or `facility`")
        if values["late_checkout_until"] is not None:
            parse_hhmm(values["late_checkout_until"])
        if values["facility"] is not None and values["facility"] not in FACILITIES:
            raise ValueError(f"unknown facility {values['facility']!r}")
        return values


class Loyalty(Strict):
    """Points per event, the daily cap, levels (by points ever earned), badges and the rewards catalogue."""

    points: dict[LoyaltyEvent, int]
    daily_cap: int = Field(gt=0)
    levels: dict[str, int]
    badges: dict[str, Badge]
    rewards: dict[str, Reward]

    @validator("points")
    def _every_event(cls, value: dict[str, int]) -> dict[str, int]:  # noqa: N805
        missing = sorted(set(LOYALTY_EVENTS) - set(value))
        if missing or any(points < 0 for points in value.values()):
            raise ValueError(f"points for every event, none negative (missing {missing})")
        return value

    @validator("levels")
    def _levels(cls, value: dict[str, int]) -> dict[str, int]:  # noqa: N805
        thresholds = list(value.values())
        if 0 not in thresholds or len(set(thresholds)) != len(thresholds):
            raise ValueError("levels need a 0 threshold and distinct thresholds")
        return dict(sorted(value.items(), key=lambda item: item[1]))

    def level(self, earned: int) -> tuple[str, str | None, int]:
        """The level for ``earned`` points ever earned, the next level, and the points still missing for it."""
        current = next(name for name, floor in reversed(self.levels.items()) if earned >= floor)
        above = [(name, floor) for name, floor in self.levels.items() if floor > earned]
        return (current, above[0][0], above[0][1] - earned) if above else (current, None, 0)


class HotelProfile(Strict):
    """The whole hotel.yml."""

    hotel: Identity
    policies: Policies
    facilities: dict[str, Facility]
    room_types: dict[str, RoomType]
    facade_photo: str
    photos_dir: str = "media/photos"
    faq: Faq
    reviews: Reviews
    loyalty: Loyalty

    @validator("facilities")
    def _all_facilities(cls, value: dict[str, Facility]) -> dict[str, Facility]:  # noqa: N805
        missing = sorted(set(FACILITIES) - set(value))
        unknown = sorted(set(value) - set(FACILITIES))
        if missing or unknown:
            raise ValueError(
                f"facility codes must be exactly {', '.join(FACILITIES)} (missing {missing}, unknown {unknown})"
            )
        return value

    @validator("room_types")
    def _room_types(cls, value: dict[str, RoomType]) -> dict[str, RoomType]:  # noqa: N805
        unknown = sorted(set(value) - set(ROOM_TYPES))
        if unknown or not value:
            raise ValueError(f"room type codes must be among {', '.join(ROOM_TYPES)} (unknown {unknown})")
        seen: set[int] = set()
        for code, room_type in value.items():
            twice = seen.intersection(room_type.rooms)
            if twice:
                raise ValueError(f"{code}: room(s) {sorted(twice)} belong to another type too")
            seen.update(room_type.rooms)
        return value

    @property
    def timezone(self) -> str:
        """IANA name of the hotel's time zone."""
        return self.hotel.timezone

    @property
    def tz(self) -> ZoneInfo:
        """The hotel's time zone; every hour the assistant states is local to it."""
        return ZoneInfo(self.hotel.timezone)

    def cancellation_deadline(self, check_in: date) -> datetime:
        """Last instant of free cancellation: N hours before the check-in hour of the arrival day, hotel time."""
        arrival = datetime.combine(check_in, parse_hhmm(self.policies.checkin_from), self.tz)
        return arrival - timedelta(hours=self.policies.cancellation.free_until_hours_before_arrival)

    def photo_dir(self, path: Path) -> Path:
        """Folder of the photos, relative to the profile file ``path``."""
        return (path.parent / self.photos_dir).resolve()

    def photo_names(self) -> list[str]:
        """Every photo file the profile refers to."""
        return [self.facade_photo] + [name for room in self.room_types.values() for name in room.photos]
