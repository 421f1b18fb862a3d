"""Tables of stay services: late checkout / early check-in requests (0004, 0008, 0009) and QR images (0005).

A row is born as an offer the guest may accept until ``expires_at``; its status then moves on:

    offered ──yes──▶ done                  (approval: instant; check-out/in time changed and fee posted)
       │      └───▶ pending ─approve─▶ approved   (approval: staff)
       │                     └reject──▶ rejected
       ├──no──▶ declined
       └──late─▶ expired

A late checkout redeemed with loyalty points skips the offer: ``done`` at once (approval: instant) or ``pending``
with its points held (``points_paid``), then approved (time changed, nothing charged) or rejected (points refunded).
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Integer, String

from actions.store.models import Base

STATUSES = ("offered", "pending", "done", "approved", "rejected", "declined", "expired")


class StayRequestRow(Base):
    """One late checkout or early check-in offer or request, with the conversation to answer."""

    __tablename__ = "stay_requests"

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)  # late_checkout | early_checkin
    reservation_code = Column(String(16), nullable=False, index=True)
    day = Column(Date, nullable=False, index=True)  # the departure (late checkout) or arrival (early check-in) day
    time = Column(String(5), nullable=False)  # the new check-out / check-in time, HH:MM
    amount_cents = Column(Integer, nullable=False)
    points_paid = Column(Integer, nullable=False, default=0, server_default="0")  # a reward paid with points
    currency = Column(String(3), nullable=False)
    status = Column(String(16), nullable=False)
    conversation_id = Column(String(255), nullable=False)
    channel = Column(String(64), nullable=False)
    language = Column(String(2), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    decided_at = Column(DateTime(timezone=True), nullable=True)
    notified_at = Column(DateTime(timezone=True), nullable=True)  # the guest told of the staff decision (0009)


class QrImageRow(Base):
    """A QR confirmation PNG on disk (settings.qr_dir/<name>), removed once ``remove_after`` has passed."""

    __tablename__ = "qr_images"

    name = Column(String(64), primary_key=True)  # random file name: URLs cannot be guessed from a booking
    reservation_code = Column(String(16), nullable=False, index=True)
    remove_after = Column(Date, nullable=False, index=True)  # the departure day
    created_at = Column(DateTime(timezone=True), nullable=False)
