"""The PMS port: everything the assistant asks of a hotel's property-management system.

Adapters: local.py (SQL, the embedded default), qloapps.py (QloApps webservice); resilience.py wraps any of them
(timeouts, retries for reads, circuit breaker, availability cache); factory.py builds the chain from configuration.

Errors (see actions/errors.py for the whole tree):
    PMSError (ServiceError)       the PMS could not answer: unreachable, timed out, garbage, breaker open
    RoomUnavailable (ConserjeError)   business outcome: no room of that type for those nights
    ReservationNotFound (ConserjeError)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date, datetime
from decimal import Decimal

from actions.errors import ConserjeError, ServiceError
from actions.pms.models import BookingRequest, Cancellation, Charge, Offer, Reservation, RoomTypeInfo, Status


class PMSError(ServiceError):
    """The PMS failed to answer (transport error, timeout, malformed reply, circuit open)."""


class RoomUnavailable(ConserjeError):
    """No room of the requested type is free for the requested nights."""


class ReservationNotFound(ConserjeError):
    """No reservation has that code."""


class InvalidStay(ConserjeError):
    """The stay itself is invalid (dates in the past, check-out not after check-in, too many guests ...)."""


class PMS(ABC):
    """What the assistant needs from a property-management system."""

    @abstractmethod
    async def room_types(self) -> list[RoomTypeInfo]:
        """Every sellable room type."""

    @abstractmethod
    async def availability(
        self, check_in: date, check_out: date, guests: int, room_type: str | None = None
    ) -> list[Offer]:
        """Offers for the stay, one per room type with at least one free room (only ``room_type`` if given)."""

    @abstractmethod
    async def create_reservation(self, request: BookingRequest) -> Reservation:
        """Books a concrete room; raises RoomUnavailable when none is free any more."""

    @abstractmethod
    async def get_reservation(self, code: str) -> Reservation | None:
        """The reservation with that booking code, or None."""

    @abstractmethod
    async def find_reservations(self, phone: str | None = None, email: str | None = None) -> list[Reservation]:
        """Reservations whose guest has that phone (digits compared) or email (case-insensitive)."""

    @abstractmethod
    async def cancel_reservation(self, code: str, now: datetime) -> Cancellation:
        """Cancels, applying the cancellation policy relative to ``now``; raises ReservationNotFound."""

    @abstractmethod
    async def next_arrival(self, room_number: int, day: date) -> Reservation | None:
        """A reservation arriving in that room on that day, if any."""

    @abstractmethod
    async def set_times(
        self, code: str, checkin_time: str | None = None, checkout_time: str | None = None
    ) -> Reservation:
        """Changes the booking's check-in and/or check-out time (HH:MM)."""

    @abstractmethod
    async def post_charge(self, code: str, description: str, amount: Decimal, key: str | None = None) -> Charge:
        """Posts a charge to the booking's folio.

        ``key`` makes the call idempotent: a second call with the same key (a retried confirmation, a second
        "yes") returns the charge already posted instead of posting another. Keys are letters, digits and dashes.
        """

    @abstractmethod
    async def folio(self, code: str) -> list[Charge]:
        """The charges posted to the booking's folio, oldest first; raises ReservationNotFound."""

    @abstractmethod
    async def set_status(self, code: str, status: Status) -> Reservation:
        """Records check-in or check-out."""

    @abstractmethod
    async def reservations_on(self, day: date) -> dict[str, list[Reservation]]:
        """{"arrivals", "departures", "in_house"} for a day (cancelled bookings left out)."""

    async def start(self) -> None:  # noqa: B027 - optional hook, a no-op for adapters with nothing to prepare
        """Prepares the adapter when the action server starts (e.g. the local PMS syncs rooms from the profile)."""

    async def close(self) -> None:  # noqa: B027 - optional hook, a no-op for adapters without connections
        """Releases connections (adapters with none keep this default)."""
