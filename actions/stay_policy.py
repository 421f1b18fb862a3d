"""The hotel's late checkout and early check-in policy (hotel.yml ``policies``), applied to one reservation.

Late checkout moves the departure day's check-out time; it is possible only while the stay has not ended, before
the option's hour on that day, and when no other booking arrives in the same room that day. Early check-in moves
the arrival day's check-in time; it is possible only before the stay starts and when the room is free the night
before. Each option costs a percentage of the booking's nightly rate. ``assess`` answers with the options still
open, or the reason why none is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from actions.pms.common import money
from actions.pms.models import Reservation
from actions.pms.port import PMS
from actions.profile_models import HotelProfile

Kind = Literal["late_checkout", "early_checkin"]
KINDS: tuple[Kind, ...] = ("late_checkout", "early_checkin")
# Why a request cannot be granted; each has a response utter_<kind>_<reason> in domain/late_checkout.yml.
Reason = Literal["stay_ended", "room_needed", "too_late", "beyond_limit", "not_needed", "already_arranged"]


@dataclass(frozen=True)
class Option:
    """One purchasable option: the new time (HH:MM) and its price."""

    time: str
    percent: int
    price: Decimal


@dataclass(frozen=True)
class Assessment:
    """The options open for a reservation (best first: the cheapest), or why there are none."""

    kind: Kind
    reservation: Reservation
    day: date
    options: list[Option]
    reason: Reason | None = None
    limit: str = ""  # the latest check-out / earliest check-in hour the policy allows

    def pick(self, requested: str | None) -> Option | Reason:
        """The option that honours a requested time, or the reason it cannot be honoured.

        Late checkout: the earliest option ending at or after the requested time. Early check-in: the latest
        option starting at or before it.
        """
        if self.reason is not None:
            return self.reason
        if requested is None:
            return self.options[0]
        late = self.kind == "late_checkout"
        current = self.reservation.checkout_time if late else self.reservation.checkin_time
        if (requested <= current) if late else (requested >= current):
            return "not_needed"
        fitting = [item for item in self.options if (item.time >= requested if late else item.time <= requested)]
        if not fitting:
            return "beyond_limit"
        fitting.sort(key=lambda item: item.time)
        return fitting[0] if late else fitting[-1]


def policy_options(kind: Kind, profile: HotelProfile, nightly_rate: Decimal) -> list[Option]:
    """Every option of the policy with its price for that nightly rate, cheapest first."""
    policies = profile.policies
    pairs = (
        [(item.until, item.percent_of_nightly_rate) for item in policies.late_checkout.options]
        if kind == "late_checkout"
        else [(item.from_, item.percent_of_nightly_rate) for item in policies.early_checkin.options]
    )
    options = [Option(time, percent, money(nightly_rate * percent / 100)) for time, percent in pairs]
    return sorted(options, key=lambda option: option.percent)


def limit(kind: Kind, profile: HotelProfile) -> str:
    """The latest check-out (late checkout) or earliest check-in (early check-in) the policy sells."""
    times = [option.time for option in policy_options(kind, profile, Decimal(0))]
    return max(times) if kind == "late_checkout" else min(times)


def approval(kind: Kind, profile: HotelProfile) -> str:
    """ "instant" or "staff" for that kind of request."""
    policies = profile.policies
    return policies.late_checkout.approval if kind == "late_checkout" else policies.early_checkin.approval


async def assess(kind: Kind, pms: PMS, profile: HotelProfile, reservation: Reservation, now: datetime) -> Assessment:
    """The options open now (hotel time ``now``) for the reservation, asking the PMS about the room's neighbours."""
    late = kind == "late_checkout"
    day = reservation.check_out if late else reservation.check_in
    every = policy_options(kind, profile, reservation.nightly_rate)
    hour = limit(kind, profile)

    def refused(reason: Reason) -> Assessment:
        return Assessment(kind, reservation, day, [], reason, hour)

    ended = reservation.status in ("cancelled", "checked_out") or now.date() > day
    if ended or (not late and reservation.status != "confirmed"):
        return refused("stay_ended")
    clock_time = now.strftime("%H:%M")
    open_now = [option for option in every if now.date() < day or option.time > clock_time]
    if not open_now:
        return refused("too_late")
    current = reservation.checkout_time if late else reservation.checkin_time
    wanted = [option for option in open_now if (option.time > current if late else option.time < current)]
    if not wanted:
        return refused("already_arranged")
    if late:
        arrival = await pms.next_arrival(reservation.room_number, day)
        if arrival is not None and arrival.code != reservation.code:
            return refused("room_needed")
    else:
        night_before = await pms.reservations_on(day - timedelta(days=1))
        if any(
            item.room_number == reservation.room_number and item.code != reservation.code
            for item in night_before["in_house"]
        ):
            return refused("room_needed")
    return Assessment(kind, reservation, day, wanted, None, hour)
