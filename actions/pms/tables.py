"""Tables of the local PMS adapter (schema by Alembic, migrations 0002 and 0004).

Double bookings are impossible by construction: a booking owns one `pms_room_nights` row per night, and the
primary key (room_number, night) lets only one transaction hold a room on a night.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, String

from actions.store.models import Base


class Room(Base):
    """A physical room and its type (seeded from the hotel profile)."""

    __tablename__ = "pms_rooms"

    number = Column(Integer, primary_key=True, autoincrement=False)
    room_type = Column(String(32), nullable=False, index=True)


class ReservationRow(Base):
    """A booking."""

    __tablename__ = "pms_reservations"

    id = Column(Integer, primary_key=True)
    code = Column(String(16), nullable=False, unique=True)
    room_number = Column(Integer, ForeignKey("pms_rooms.number"), nullable=False)
    room_type = Column(String(32), nullable=False)
    check_in = Column(Date, nullable=False, index=True)
    check_out = Column(Date, nullable=False, index=True)
    guests = Column(Integer, nullable=False)
    guest_name = Column(String(200), nullable=False)
    email = Column(String(254), nullable=False, index=True)
    phone_digits = Column(String(32), nullable=True, index=True)
    status = Column(String(16), nullable=False)
    nightly_rate_cents = Column(Integer, nullable=False)  # money in cents: exact on SQLite too
    total_cents = Column(Integer, nullable=False)
    currency = Column(String(3), nullable=False)
    checkin_time = Column(String(5), nullable=False)
    checkout_time = Column(String(5), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


class RoomNight(Base):
    """One night of one room held by one booking: the unit of inventory."""

    __tablename__ = "pms_room_nights"

    room_number = Column(Integer, ForeignKey("pms_rooms.number"), primary_key=True)
    night = Column(Date, primary_key=True)
    reservation_id = Column(Integer, ForeignKey("pms_reservations.id", ondelete="CASCADE"), nullable=False, index=True)


class ChargeRow(Base):
    """A line of a booking's folio."""

    __tablename__ = "pms_charges"

    id = Column(Integer, primary_key=True)
    reservation_id = Column(Integer, ForeignKey("pms_reservations.id"), nullable=False, index=True)
    description = Column(String(200), nullable=False)
    amount_cents = Column(Integer, nullable=False)
    currency = Column(String(3), nullable=False)
    posted_at = Column(DateTime(timezone=True), nullable=False)
    # Unique: a charge posted again with the same key (a retried confirmation) is refused by the database.
    idempotency_key = Column(String(64), nullable=True, unique=True)
