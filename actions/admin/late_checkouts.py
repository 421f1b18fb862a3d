"""Admin routes for late checkout and early check-in requests: a day's list, approve, reject.

In staff approval mode (hotel.yml ``approval: staff``) a guest's accepted offer waits as ``pending``; approving
changes the booking in the PMS and posts the fee (once, whatever is repeated), rejecting does not; a late checkout
paid with loyalty points (``points`` > 0) is charged nothing when approved and has its points given back (once)
when rejected. Either way the guest is told through Rasa (stay_requests.notify). If Rasa cannot be reached the
decision stands, the reply says ``"guest_notified": false`` and the action server tells the guest as soon as Rasa
answers again (retried every STAY_NOTIFY_RETRY_SECONDS for a day).
"""

from __future__ import annotations

from datetime import date

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import clock, stay_requests
from actions.admin.api import ApiError, route
from actions.errors import RasaUnreachable
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
        except RasaUnreachable:
            notified = False
    return response.json({**decided.as_dict(), "guest_notified": notified})


def _register(kind: Kind, path: str, noun: str, day: str) -> None:
    """The list, approve and reject routes of one kind of request, under /admin{path}."""
    name = path.strip("/").replace("-", "_")

    async def listing(request: Request) -> HTTPResponse:
        return await _list(request, kind)

    async def approve(request: Request, request_id: str) -> HTTPResponse:
        return await _decide(request_id, kind, approve=True)

    async def reject(request: Request, request_id: str) -> HTTPResponse:
        return await _decide(request_id, kind, approve=False)

    listing.__name__, approve.__name__, reject.__name__ = f"list_{name}", f"approve_{name}", f"reject_{name}"
    listed = f"{noun.capitalize()} requests for {day} (pending, done, approved, rejected)"
    route("GET", path, listed, query=DATE_QUERY, responses={200: "The requests", 400: "Bad date"})(listing)
    for verb, handler, outcome in (("approve", approve, "PMS time, fee, guest told"), ("reject", reject, "guest told")):
        summary = f"{verb.capitalize()} a pending {noun}: {outcome}"
        route("POST", f"{path}/<request_id>/{verb}", summary, responses=DECISION_RESPONSES)(handler)


_register("late_checkout", "/late-checkouts", "late checkout", "a departure day")
_register("early_checkin", "/early-checkins", "early check-in", "an arrival day")
