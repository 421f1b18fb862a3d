"""QR confirmations in the chat and at the front desk.

A guest gets a QR image when a booking is confirmed and on request_qr (after lookup_form proves the booking is
theirs). The image is a PNG under settings.qr_dir with a random name, served by the action server at
``{PUBLIC_BASE_URL}/media/qr/<name>.png`` (the web widget shows it; WhatsApp sends it as an image message), and
removed by a clean-up that runs every hour once the booking's departure day has passed. The front desk scans
it and POSTs the token to /admin/qr/verify (actions/admin/qr.py), which checks the guest in (``check_in``).
The request_qr action is in confirmations.py; action_book (reservations.py) calls ``send_qr`` too.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select

from actions import clock, locks, loyalty, periodic
from actions.base import Turn
from actions.errors import ConserjeError
from actions.media.qr import make_token, png, read_token
from actions.pms.models import Reservation
from actions.services import Services, services
from actions.store.stay_requests import QrImageRow

logger = logging.getLogger(__name__)

CLEANUP_EVERY_SECONDS = 3600
IMAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}\.png$")
CheckIn = Literal["checked_in", "already_checked_in", "not_checkable", "not_today"]


class QrDisabled(ConserjeError):
    """CONSERJE_QR_SECRET is not set: no QR codes are issued or verified."""


class QrBookingNotFound(ConserjeError):
    """A genuine token names a booking the PMS does not know (any more)."""


def _secret(running: Services) -> str:
    if not running.settings.qr_secret:
        raise QrDisabled("CONSERJE_QR_SECRET is not set")
    return running.settings.qr_secret


async def issue(running: Services, reservation: Reservation) -> str:
    """Writes the booking's QR image (valid until the end of its departure day) and returns its public URL.

    Raises:
        QrDisabled: no secret configured.
    """
    tz = running.profile.tz
    expires = datetime.combine(reservation.check_out + timedelta(days=1), time(0), tz)
    image = png(make_token(_secret(running), reservation.code, expires))
    name = f"{secrets.token_urlsafe(24)}.png"
    folder = running.settings.qr_dir

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(image)

    await asyncio.to_thread(write)
    async with running.db.session() as session:
        session.add(
            QrImageRow(
                name=name, reservation_code=reservation.code, remove_after=reservation.check_out, created_at=clock.now()
            )
        )
    return f"{running.settings.public_base_url}/media/qr/{name}"


async def cleanup(running: Services, today: date) -> int:
    """Removes the images (files and rows) of bookings whose departure day is before ``today``; returns how many."""
    async with running.db.session() as session:
        rows = list((await session.execute(select(QrImageRow).where(QrImageRow.remove_after < today))).scalars().all())
        names = [str(row.name) for row in rows]

        def remove() -> None:
            for name in names:
                (running.settings.qr_dir / name).unlink(missing_ok=True)

        await asyncio.to_thread(remove)
        for row in rows:
            await session.delete(row)
    if names:
        logger.info("qr_cleanup", extra={"removed": len(names)})
    return len(names)


@dataclass(frozen=True)
class Verified:
    """What a desk scan found: the booking and what happened to it."""

    result: CheckIn
    reservation: Reservation


async def check_in(running: Services, token: str, now: datetime) -> Verified:
    """Verifies a scanned token and checks the guest in (once; only from the arrival day to the departure day).

    Raises:
        QrDisabled: no secret configured.
        QrTokenError, QrTokenExpired: forged, tampered, malformed or expired token (actions/media/qr.py).
        QrBookingNotFound: the PMS does not know the booking.
    """
    code = read_token(_secret(running), token, now)
    # Two scanners reading the same code at once: one checks the guest in, the other sees "already checked in"
    # (read and write under the booking's lock; one action server process serves the desk).
    async with locks.keyed(f"check-in:{code}"):
        reservation = await running.pms.get_reservation(code)
        if reservation is None:
            raise QrBookingNotFound(code)
        today = now.astimezone(running.profile.tz).date()
        if reservation.status == "checked_in":
            return Verified("already_checked_in", reservation)
        if reservation.status != "confirmed":
            return Verified("not_checkable", reservation)
        if not reservation.check_in <= today < reservation.check_out:
            return Verified("not_today", reservation)
        checked_in = await running.pms.set_status(code, "checked_in")
        await loyalty.award(running, checked_in, "qr_checkin", code, now)  # once per booking (its key)
        return Verified("checked_in", checked_in)


async def send_qr(turn: Turn, reservation: Reservation, asked: bool = True) -> None:
    """Sends the booking's QR image with its caption.

    Without a configured secret there is no QR: a guest who ``asked`` is told so, a booking confirmation simply
    goes without one.
    """
    try:
        url = await issue(turn.services, reservation)
    except QrDisabled:
        if asked:
            turn.say("utter_qr_unavailable", phone=turn.services.profile.hotel.phone)
        return
    turn.say("utter_qr", code=reservation.code, image=url)


def attach(app: Sanic) -> None:
    """Serves the QR images and runs the hourly clean-up while the action server runs."""

    @app.get("/media/qr/<name>", name="conserje_qr_image")
    async def image(_request: Request, name: str) -> HTTPResponse:
        if not IMAGE_NAME.match(name):
            return response.json({"error": {"code": "not_found", "message": "No such image."}}, status=404)
        path = services().settings.qr_dir / name
        if not path.is_file():
            return response.json({"error": {"code": "not_found", "message": "No such image."}}, status=404)
        return await response.file(str(path), mime_type="image/png")

    async def clean(running: Services, now: datetime) -> None:
        await cleanup(running, now.date())

    periodic.attach(app, "qr_cleanup", lambda _running: CLEANUP_EVERY_SECONDS, clean)
