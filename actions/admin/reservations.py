"""Admin routes for reservations: staff booking (409 with alternatives), a day's list, one booking."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, root_validator
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.admin.api import ApiError, parse_body, route
from actions.pms.models import BookingRequest, Reservation
from actions.pms.port import InvalidStay, RoomUnavailable
from actions.profile_models import ROOM_TYPES
from actions.services import services

CODE = re.compile(r"^[A-Za-z0-9]{4,16}$")


class NewReservation(BaseModel):
    """A booking made by staff."""

    room_type: str = Field(regex="^(" + "|".join(ROOM_TYPES) + ")$")
    check_in: date
    check_out: date
    guests: int = Field(ge=1, le=12)
    guest_name: str = Field(min_length=2, max_length=200)
    email: str = Field(regex=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    phone: str | None = Field(None, max_length=32)
    room_number: int | None = Field(None, ge=1, description="a given room (else the PMS assigns one)")

    class Config:
        extra = "forbid"

    @root_validator(skip_on_failure=True)
    def _stay(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805 - pydantic validators take the class
        if values["check_out"] <= values["check_in"]:
            raise ValueError("check_out must be after check_in")
        if (values["check_out"] - values["check_in"]).days > 30:
            raise ValueError("at most 30 nights")
        return values


def reservation_json(reservation: Reservation) -> dict[str, Any]:
    """JSON-ready reservation."""
    data = asdict(reservation)
    for key in ("check_in", "check_out", "created_at"):
        data[key] = data[key].isoformat()
    for key in ("nightly_rate", "total"):
        data[key] = str(data[key])
    return data


@route(
    "POST",
    "/reservations",
    "Create a reservation for a guest (staff)",
    body=NewReservation,
    responses={201: "Booked", 400: "Not JSON", 409: "No room of that type free; alternatives listed", 422: "Invalid"},
)
async def create_reservation(request: Request) -> HTTPResponse:
    """Books a room; 409 lists the other room types free for the same dates."""
    body: NewReservation = parse_body(request, NewReservation)
    pms = services().pms
    booking = BookingRequest(
        body.room_type,
        body.check_in,
        body.check_out,
        body.guests,
        body.guest_name,
        body.email,
        body.phone,
        body.room_number,
    )
    try:
        reservation = await pms.create_reservation(booking)
    except RoomUnavailable:
        offers = await pms.availability(body.check_in, body.check_out, body.guests)
        alternatives = [
            {
                "room_type": offer.room_type,
                "nightly_rate": str(offer.nightly_rate),
                "total": str(offer.total),
                "rooms_left": offer.rooms_left,
            }
            for offer in offers
        ]
        raise ApiError(
            409, "unavailable", "No room of that type is free for those dates.", alternatives=alternatives
        ) from None
    except InvalidStay as exc:
        raise ApiError(422, "invalid_stay", str(exc)) from None
    return response.json(reservation_json(reservation), status=201)


@route(
    "GET",
    "/reservations",
    "Arrivals, departures and in-house guests of a day",
    query={"date": {"required": True, "schema": {"type": "string", "format": "date"}}},
    responses={200: "The day's lists", 400: "Missing or invalid date"},
)
async def list_reservations(request: Request) -> HTTPResponse:
    """GET /admin/reservations?date=YYYY-MM-DD."""
    raw = request.args.get("date", "")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "invalid_date", "`date` must be YYYY-MM-DD.") from None
    lists = await services().pms.reservations_on(day)
    return response.json(
        {"date": day.isoformat(), **{name: [reservation_json(item) for item in items] for name, items in lists.items()}}
    )


@route(
    "GET",
    "/reservations/<code>",
    "One reservation by booking code",
    responses={200: "The reservation", 404: "No reservation with that code"},
)
async def get_reservation(request: Request, code: str) -> HTTPResponse:
    """GET /admin/reservations/{code}."""
    if not CODE.match(code):
        raise ApiError(404, "not_found", "No reservation with that code.")
    reservation = await services().pms.get_reservation(code.upper())
    if reservation is None:
        raise ApiError(404, "not_found", "No reservation with that code.")
    return response.json(reservation_json(reservation))
