"""The embedded PMS: SQL tables (SQLite by default, PostgreSQL with DATABASE_URL), rooms from the hotel profile.

Booking inserts one row per night under the primary key (room_number, night) in one transaction: when two guests
race for the last room, the database lets exactly one commit; the other tries the next free room or gets
RoomUnavailable. No check-then-insert anywhere.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from actions import clock
from actions.pms.common import CENT, check_stay, money, phone_digits
from actions.pms.models import BookingRequest, Cancellation, Charge, Offer, Reservation, RoomTypeInfo, Status
from actions.pms.port import PMS, InvalidStay, ReservationNotFound, RoomUnavailable
from actions.pms.tables import ChargeRow, ReservationRow, Room, RoomNight
from actions.profile_models import HotelProfile
from actions.store.db import Database, utc

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed on phones


def cents(value: Decimal) -> int:
    """An amount in cents, as stored."""
    return int((value * 100).to_integral_value())


def from_cents(value: int) -> Decimal:
    """A stored amount back in currency units."""
    return (Decimal(value) / 100).quantize(CENT)


def new_code() -> str:
    """A random 6-character booking code with letters and digits (so it is never mistaken for a word)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if any(c.isdigit() for c in code) and any(c.isalpha() for c in code):
            return code


class LocalPMS(PMS):
    """PMS port on our own database."""

    def __init__(self, db: Database, profile: HotelProfile) -> None:
        """Uses the shared database engine; the profile gives rooms, rates and policies."""
        self.db = db
        self.profile = profile

    async def start(self) -> None:
        """Syncs the rooms of the hotel profile into the database."""
        await self.seed_rooms()

    async def seed_rooms(self) -> int:
        """Inserts the profile's rooms that are missing (idempotent); returns how many were added."""
        async with self.db.session() as session:
            known = set((await session.execute(select(Room.number))).scalars())
            missing = [
                Room(number=number, room_type=code)
                for code, room_type in self.profile.room_types.items()
                for number in room_type.rooms
                if number not in known
            ]
            session.add_all(missing)
        return len(missing)

    async def room_types(self) -> list[RoomTypeInfo]:
        """Room types of the profile."""
        currency = self.profile.hotel.currency
        return [
            RoomTypeInfo(code, room.name.en, room.max_guests, money(room.rate), currency)
            for code, room in self.profile.room_types.items()
        ]

    async def availability(
        self, check_in: date, check_out: date, guests: int, room_type: str | None = None
    ) -> list[Offer]:
        """Counts, per type, the rooms with no night taken in [check_in, check_out)."""
        check_stay(check_in, check_out, guests)
        taken = exists().where(
            and_(RoomNight.room_number == Room.number, RoomNight.night >= check_in, RoomNight.night < check_out)
        )
        query = select(Room.room_type, func.count()).where(~taken).group_by(Room.room_type)
        async with self.db.session() as session:
            free = dict((await session.execute(query)).all())
        offers = []
        for code, room in self.profile.room_types.items():
            if (room_type and code != room_type) or room.max_guests < guests or not free.get(code):
                continue
            rate = money(room.rate)
            nights = (check_out - check_in).days
            offers.append(
                Offer(code, check_in, check_out, guests, rate, rate * nights, self.profile.hotel.currency, free[code])
            )
        return offers

    async def create_reservation(self, request: BookingRequest) -> Reservation:
        """Takes the first free room of the type, night by night under the primary key, in one transaction."""
        check_stay(request.check_in, request.check_out, request.guests)
        room_type = self.profile.room_types.get(request.room_type)
        if room_type is None or room_type.max_guests < request.guests:
            raise InvalidStay("unknown room type or too many guests for it")
        nights = [
            request.check_in + timedelta(days=offset) for offset in range((request.check_out - request.check_in).days)
        ]
        taken = exists().where(
            and_(
                RoomNight.room_number == Room.number,
                RoomNight.night >= request.check_in,
                RoomNight.night < request.check_out,
            )
        )
        async with self.db.session() as session:
            candidates = list(
                (
                    await session.execute(
                        select(Room.number)
                        .where(Room.room_type == request.room_type, ~taken)
                        .where(Room.number == request.room_number if request.room_number else True)
                        .order_by(Room.number)
                    )
                ).scalars()
            )
        for number in candidates:
            try:
                return await self._book_room(number, request, nights)
            except IntegrityError:
                continue  # someone else got this room first: try the next one
        raise RoomUnavailable(request.room_type)

    async def _book_room(self, number: int, request: BookingRequest, nights: list[date]) -> Reservation:
        rate = money(self.profile.room_types[request.room_type].rate)
        policies = self.profile.policies
        async with self.db.session() as session:
            row = ReservationRow(
                code=new_code(),
                room_number=number,
                room_type=request.room_type,
                check_in=request.check_in,
                check_out=request.check_out,
                guests=request.guests,
                guest_name=request.guest_name.strip(),
                email=request.email.strip().lower(),
                phone_digits=phone_digits(request.phone),
                status="confirmed",
                nightly_rate_cents=cents(rate),
                total_cents=cents(rate * len(nights)),
                currency=self.profile.hotel.currency,
                checkin_time=policies.checkin_from,
                checkout_time=policies.checkout_until,
                created_at=clock.now(),
            )
            session.add(row)
            await session.flush()
            session.add_all([RoomNight(room_number=number, night=night, reservation_id=row.id) for night in nights])
            await session.flush()
            return _to_reservation(row)

    async def _row(self, session: AsyncSession, code: str) -> ReservationRow:
        row = (
            await session.execute(select(ReservationRow).where(ReservationRow.code == code.upper()))
        ).scalar_one_or_none()
        if row is None:
            raise ReservationNotFound(code)
        return row

    async def get_reservation(self, code: str) -> Reservation | None:
        """The reservation, or None."""
        async with self.db.session() as session:
            row = (
                await session.execute(select(ReservationRow).where(ReservationRow.code == code.upper()))
            ).scalar_one_or_none()
            return _to_reservation(row) if row else None

    async def find_reservations(self, phone: str | None = None, email: str | None = None) -> list[Reservation]:
        """By phone digits (549… and 54… alike) or email."""
        digits = phone_digits(phone)
        conditions = []
        if digits:
            conditions.append(ReservationRow.phone_digits == digits)
        if email:
            conditions.append(ReservationRow.email == email.strip().lower())
        if not conditions:
            return []
        async with self.db.session() as session:
            rows = (
                (await session.execute(select(ReservationRow).where(*conditions).order_by(ReservationRow.check_in)))
                .scalars()
                .all()
            )
            return [_to_reservation(row) for row in rows]

    async def cancel_reservation(self, code: str, now: datetime) -> Cancellation:
        """Frees the nights; free until the policy's deadline before the check-in hour, else the first night."""
        async with self.db.session() as session:
            row = await self._row(session, code)
            reservation = _to_reservation(row)
            free = now < self.profile.cancellation_deadline(reservation.check_in)
            if row.status == "confirmed":
                row.status = "cancelled"
                await session.execute(delete(RoomNight).where(RoomNight.reservation_id == row.id))
            penalty = money(0) if free else from_cents(row.nightly_rate_cents)
            return Cancellation(_to_reservation(row), free, penalty)

    async def next_arrival(self, room_number: int, day: date) -> Reservation | None:
        """A non-cancelled reservation arriving in that room that day."""
        async with self.db.session() as session:
            row = (
                (
                    await session.execute(
                        select(ReservationRow).where(
                            ReservationRow.room_number == room_number,
                            ReservationRow.check_in == day,
                            ReservationRow.status != "cancelled",
                        )
                    )
                )
                .scalars()
                .first()
            )
            return _to_reservation(row) if row else None

    async def set_times(
        self, code: str, checkin_time: str | None = None, checkout_time: str | None = None
    ) -> Reservation:
        """Updates the booking's times."""
        async with self.db.session() as session:
            row = await self._row(session, code)
            if checkin_time:
                row.checkin_time = checkin_time
            if checkout_time:
                row.checkout_time = checkout_time
            return _to_reservation(row)

    async def post_charge(self, code: str, description: str, amount: Decimal, key: str | None = None) -> Charge:
        """Adds a folio line; with ``key``, at most one line per key (the unique column decides races)."""
        try:
            async with self.db.session() as session:
                row = await self._row(session, code)
                if key is not None:
                    existing = await self._charge_with_key(session, key)
                    if existing is not None:
                        return _to_charge(existing, row.code)
                charge = ChargeRow(
                    reservation_id=row.id,
                    description=description,
                    amount_cents=cents(money(amount)),
                    currency=row.currency,
                    posted_at=clock.now(),
                    idempotency_key=key,
                )
                session.add(charge)
                await session.flush()
                return _to_charge(charge, row.code)
        except IntegrityError:
            if key is None:
                raise
        async with self.db.session() as session:  # a concurrent call with the same key won: return its charge
            existing = await self._charge_with_key(session, key)
            if existing is None:
                raise ReservationNotFound(code)
            return _to_charge(existing, code.upper())

    @staticmethod
    async def _charge_with_key(session: AsyncSession, key: str) -> ChargeRow | None:
        query = select(ChargeRow).where(ChargeRow.idempotency_key == key)
        return (await session.execute(query)).scalar_one_or_none()

    async def folio(self, code: str) -> list[Charge]:
        """The booking's charges, oldest first."""
        async with self.db.session() as session:
            row = await self._row(session, code)
            query = select(ChargeRow).where(ChargeRow.reservation_id == row.id).order_by(ChargeRow.id)
            return [_to_charge(charge, row.code) for charge in (await session.execute(query)).scalars()]

    async def set_status(self, code: str, status: Status) -> Reservation:
        """Records check-in / check-out (a check-out frees the remaining nights)."""
        async with self.db.session() as session:
            row = await self._row(session, code)
            row.status = status
            if status in ("checked_out", "cancelled"):
                today = clock.now(ZoneInfo(self.profile.timezone)).date()
                await session.execute(
                    delete(RoomNight).where(RoomNight.reservation_id == row.id, RoomNight.night >= today)
                )
            return _to_reservation(row)

    async def reservations_on(self, day: date) -> dict[str, list[Reservation]]:
        """Arrivals, departures and in-house guests of a day."""
        async with self.db.session() as session:
            rows = (
                (
                    await session.execute(
                        select(ReservationRow)
                        .where(
                            ReservationRow.status != "cancelled",
                            ReservationRow.check_in <= day,
                            ReservationRow.check_out >= day,
                        )
                        .order_by(ReservationRow.room_number)
                    )
                )
                .scalars()
                .all()
            )
        reservations = [_to_reservation(row) for row in rows]
        return {
            "arrivals": [item for item in reservations if item.check_in == day],
            "departures": [item for item in reservations if item.check_out == day],
            "in_house": [item for item in reservations if item.check_in <= day < item.check_out],
        }


def _to_charge(row: ChargeRow, code: str) -> Charge:
    return Charge(
        code, row.description, from_cents(row.amount_cents), row.currency, utc(row.posted_at), row.idempotency_key
    )


def _to_reservation(row: ReservationRow) -> Reservation:
    return Reservation(
        code=row.code,
        room_type=row.room_type,
        room_number=row.room_number,
        check_in=row.check_in,
        check_out=row.check_out,
        guests=row.guests,
        guest_name=row.guest_name,
        email=row.email,
        phone=row.phone_digits,
        status=row.status,
        nightly_rate=from_cents(row.nightly_rate_cents),
        total=from_cents(row.total_cents),
        currency=row.currency,
        checkin_time=row.checkin_time,
        checkout_time=row.checkout_time,
        created_at=utc(row.created_at),
    )
