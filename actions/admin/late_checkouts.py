"""Admin routes for late checkout and early check-in requests: a day's list, approve, reject.

In staff approval mode (hotel.yml ``approval: staff``) a guest's accepted offer waits as ``pending``; approving
changes the booking in the PMS and posts the fee (once, whatever is repeated), rejecting does not; either way the
guest is told through Rasa (stay_requests.notify). If Rasa cannot be reached the decision stands and the reply
says ``"guest_notified": false`` so staff can call the guest.
"""

from __future__ import annotations

from datetime import date

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import clock, stay_requests
from actions.admin.api import ApiError, route
from actions.pms.port import ReservationNotFound
from actions.services import services
from actions.stay_policy import Kind

DATE_QUERY = {"date": {"required": True, "schema": {"type": "string", "format": "date"}}}
DECISION_RESPONSES = {200: "Decided (repeating a decision changes nothing)", 404: "No such request", 409: "Not pending"}


def _day(request: Request) -> date:
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        raise ApiError(400, "invalid_date", "`date` must be YYYY-MM-DD.") from None


async def _list(request: Request, kind: Kind) -> HTTPResponse:
    day = _day(request)
    found = await stay_requests.on_day(services(), day, kind)
    return response.json({"date": day.isoformat(), "requests": [item.as_dict() for item in found]})


async def _decide(request_id: str, kind: Kind, approve: bool) -> HTTPResponse:
    running = services()
    found = await stay_requests.get(running, int(request_id)) if request_id.isdigit() and len(request_id) < 10 else None
    if found is None or found.kind != kind:
        raise ApiError(404, "not_found", "No request with that id.")
    wanted = "approved" if approve else "rejected"
    if found.status != "pending" and found.status != wanted:
        raise ApiError(409, "not_pending", f"The request is {found.status}, not pending.", current=found.status)
    try:
        decided = await stay_requests.decide(running, found, approve, clock.now(running.profile.tz))
    except ReservationNotFound:
        raise ApiError(409, "reservation_gone", "The booking is no longer in the PMS.") from None
    notified = found.status == "pending"
    if notified:
        try:
            await stay_requests.notify(running, decided)
        except stay_requests.NotifyError:
            notified = False
    return response.json({**decided.as_dict(), "guest_notified": notified})


@route(
    "GET",
    "/late-checkouts",
    "Late checkout requests for a departure day (pending, done, approved, rejected)",
    query=DATE_QUERY,
    responses={200: "The day's requests", 400: "Missing or invalid date"},
)
async def list_late_checkouts(request: Request) -> HTTPResponse:
    """GET /admin/late-checkouts?date=YYYY-MM-DD."""
    return await _list(request, "late_checkout")


@route("POST", "/late-checkouts/<request_id>/approve", "Approve a pending late checkout", responses=DECISION_RESPONSES)
async def approve_late_checkout(request: Request, request_id: str) -> HTTPResponse:
    """Changes the check-out time, posts the fee and tells the guest."""
    return await _decide(request_id, "late_checkout", approve=True)


@route("POST", "/late-checkouts/<request_id>/reject", "Reject a pending late checkout", responses=DECISION_RESPONSES)
async def reject_late_checkout(request: Request, request_id: str) -> HTTPResponse:
    """Tells the guest the request was declined; nothing is charged."""
    return await _decide(request_id, "late_checkout", approve=False)


@route(
    "GET",
    "/early-checkins",
    "Early check-in requests for an arrival day (pending, done, approved, rejected)",
    query=DATE_QUERY,
    responses={200: "The day's requests", 400: "Missing or invalid date"},
)
async def list_early_checkins(request: Request) -> HTTPResponse:
    """GET /admin/early-checkins?date=YYYY-MM-DD."""
    return await _list(request, "early_checkin")


@route("POST", "/early-checkins/<request_id>/approve", "Approve a pending early check-in", responses=DECISION_RESPONSES)
async def approve_early_checkin(request: Request, request_id: str) -> HTTPResponse:
    """Changes the check-in time, posts the fee and tells the guest."""
    return await _decide(request_id, "early_checkin", approve=True)


@route("POST", "/early-checkins/<request_id>/reject", "Reject a pending early check-in", responses=DECISION_RESPONSES)
async def reject_early_checkin(request: Request, request_id: str) -> HTTPResponse:
    """Tells the guest the request was declined; nothing is charged."""
    return await _decide(request_id, "early_checkin", approve=False)
