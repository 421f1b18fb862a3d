"""Value objects exchanged through the PMS port: what the assistant needs, independent of any vendor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

Status = Literal["confirmed", "checked_in", "checked_out", "cancelled"]


@dataclass(frozen=True)
class RoomTypeInfo:
    """A sellable room type."""

    code: str
    name: str
    max_guests: int
    nightly_rate: Decimal
    currency: str


@dataclass(frozen=True)
class Offer:
    """Availability of one room type for a stay: how many rooms are free and what it costs."""

    room_type: str
    check_in: date
    check_out: date
    guests: int
    nightly_rate: Decimal
    total: Decimal
    currency: str
    rooms_left: int

    @property
    def nights(self) -> int:
        """Number of nights of the stay."""
        return (self.check_out - self.check_in).days


@dataclass(frozen=True)
class BookingRequest:
    """What a guest (or staff) asks to book."""

    room_type: str
    check_in: date
    check_out: date
    guests: int
    guest_name: str
    email: str
    phone: str | None = None
    room_number: int | None = None  # staff may ask for a given room; otherwise the PMS assigns one


@dataclass(frozen=True)
class Reservation:
    """A booking with its concrete room."""

    code: str
    room_type: str
    room_number: int
    check_in: date
    check_out: date
    guests: int
    guest_name: str
    email: str
    phone: str | None
    status: Status
    nightly_rate: Decimal
    total: Decimal
    currency: str
    checkin_time: str
    checkout_time: str
    created_at: datetime

    @property
    def surname(self) -> str:
        """The last word of the guest's name, for identification."""
        return self.guest_name.split()[-1] if self.guest_name.split() else ""


@dataclass(frozen=True)
class Cancellation:
    """The outcome of cancelling: free, or the first night charged (per the hotel's policy)."""

    reservation: Reservation
    free: bool
    penalty: Decimal


@dataclass(frozen=True)
class Charge:
    """A line posted to a booking's folio."""

    reservation_code: str
    description: str
    amount: Decimal
    currency: str
    posted_at: datetime
    key: str | None = None  # the idempotency key it was posted with
