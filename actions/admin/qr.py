"""Admin route for the front desk's QR scanner: verify a token, check the guest in."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import clock, qr
from actions.admin.api import ApiError, parse_body, route
from actions.admin.reservations import reservation_json
from actions.media.qr import QrTokenError, QrTokenExpired
from actions.services import services


class QrScan(BaseModel):
    """What the scanner read."""

    token: str = Field(min_length=1, max_length=200)

    class Config:
        extra = "forbid"


@route(
    "POST",
    "/qr/verify",
    "Verify a scanned QR token and check the guest in",
    body=QrScan,
    responses={
        200: "result checked_in (now) or already_checked_in, with the booking",
        400: "Not a genuine token (malformed, tampered, another hotel's)",
        404: "The booking is unknown",
        409: "Booking cancelled, checked out, or not arriving today (booking included)",
        410: "The token has expired",
        422: "Invalid body",
        503: "QR codes are not configured (CONSERJE_QR_SECRET)",
    },
)
async def verify_qr(request: Request) -> HTTPResponse:
    """POST /admin/qr/verify {"token": ...}."""
    scan: QrScan = parse_body(request, QrScan)
    running = services()
    try:
        found = await qr.check_in(running, scan.token, clock.now())
    except qr.QrDisabled:
        raise ApiError(503, "qr_disabled", "QR codes are not configured on this server.") from None
    except QrTokenExpired:
        raise ApiError(410, "expired_token", "This QR code has expired.") from None
    except QrTokenError:
        raise ApiError(400, "invalid_token", "This is not a valid QR code of this hotel.") from None
    except qr.QrBookingNotFound:
        raise ApiError(404, "not_found", "The booking of this QR code does not exist.") from None
    booking = reservation_json(found.reservation)
    if found.result in ("not_checkable", "not_today"):
        message = "The booking is not arriving today." if found.result == "not_today" else "The booking is closed."
        raise ApiError(409, found.result, message, reservation=booking)
    return response.json({"result": found.result, "reservation": booking})
