"""Admin routes after the stay: record a check-out, send due review requests now, review stats, leaderboard."""

from __future__ import annotations

from datetime import date, timedelta

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import clock, loyalty, review_answers, reviews
from actions.admin.api import ApiError, route
from actions.admin.reservations import CODE, reservation_json
from actions.services import services

STATS_DAYS = 30


@route(
    "POST",
    "/reservations/<code>/check-out",
    "Record the guest's check-out: the stay ends, its review request is scheduled and stay points awarded",
    responses={200: "Checked out (repeating it changes nothing)", 404: "No such booking", 409: "Booking cancelled"},
)
async def check_out(_request: Request, code: str) -> HTTPResponse:
    """POST /admin/reservations/{code}/check-out."""
    running = services()
    found = await running.pms.get_reservation(code.upper()) if CODE.match(code) else None
    if found is None:
        raise ApiError(404, "not_found", "No booking with that code.")
    if found.status == "cancelled":
        raise ApiError(409, "cancelled", "The booking is cancelled.")
    now = clock.now(running.profile.tz)
    if found.status != "checked_out":
        found = await running.pms.set_status(found.code, "checked_out")
    row, _created = await reviews.schedule(running, found, now)
    review = {"id": row.id, "status": row.status, "segment": row.segment, "due_at": _iso(row.due_at)}
    return response.json({"reservation": reservation_json(found), "review_request": review})


def _iso(stamp: object) -> str:
    return reviews.aware(stamp).isoformat()  # type: ignore[arg-type]


@route(
    "POST",
    "/reviews/dispatch",
    "Schedule ended stays and send the review requests and reminders due now (within the sending hours)",
    responses={200: "Counts: scheduled, sent, reminders, skipped_opted_out, failed"},
)
async def dispatch_reviews(_request: Request) -> HTTPResponse:
    """POST /admin/reviews/dispatch: what the scheduler does, on demand."""
    running = services()
    report = await reviews.dispatch(running, clock.now(running.profile.tz))
    return response.json(report.as_dict())


def _date_arg(request: Request, name: str, default: date) -> date:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "invalid_date", f"`{name}` must be YYYY-MM-DD.") from None
    if not 2000 <= day.year <= 2100:  # also keeps the default period's arithmetic inside the calendar
        raise ApiError(400, "invalid_date", f"`{name}` must be a date between 2000 and 2100.")
    return day


@route(
    "GET",
    "/reviews/stats",
    "Review requests sent in a period: sent, delivered, delivery failed, replied, ratings, clicks per platform, "
    "opt-outs, by segment",
    query={
        "from": {
            "required": False,
            "schema": {"type": "string", "format": "date"},
            "description": "default: 30 days ago",
        },
        "to": {"required": False, "schema": {"type": "string", "format": "date"}, "description": "default: today"},
    },
    responses={200: "The figures (delivered: WhatsApp said delivered or read)", 400: "Invalid dates"},
)
async def review_stats(request: Request) -> HTTPResponse:
    """GET /admin/reviews/stats?from=YYYY-MM-DD&to=YYYY-MM-DD (hotel days, inclusive)."""
    running = services()
    today = clock.now(running.profile.tz).date()
    until = _date_arg(request, "to", today)
    since = _date_arg(request, "from", until - timedelta(days=STATS_DAYS))
    if since > until or (until - since).days > 366:
        raise ApiError(400, "invalid_period", "`from` must not be after `to`, and the period at most a year.")
    return response.json(await review_answers.stats(running, since, until))


@route(
    "GET",
    "/gamification/leaderboard",
    "Guests by loyalty points earned in the last week, month or ever (names masked)",
    query={"window": {"required": False, "schema": {"type": "string", "enum": ["week", "month", "all"]}}},
    responses={200: "Top 10 (rank, masked guest, points)", 400: "Unknown window"},
)
async def leaderboard(request: Request) -> HTTPResponse:
    """GET /admin/gamification/leaderboard?window=week|month|all (default week)."""
    window = request.args.get("window", "week")
    if window not in loyalty.WINDOW_DAYS:
        raise ApiError(400, "invalid_window", "`window` must be week, month or all.")
    running = services()
    today = clock.now(running.profile.tz).date()
    board = await loyalty.leaderboard(running.db, window, today)  # type: ignore[arg-type]
    return response.json({"window": window, "leaderboard": board})
