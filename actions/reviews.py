"""Post-stay review requests: scheduled when a stay ends, sent within the hotel's hours, reminded at most twice.

A stay has ended when its check-out is recorded in the PMS (POST /admin/reservations/{code}/check-out, or the PMS
itself) or its check-out day has passed. ``scan`` finds such stays, ``schedule`` persists one request per booking
(unique) and awards ``stay_completed``; ``dispatch`` sends what is due — the scheduler in the action server calls it
every REVIEW_SCHEDULER_SECONDS, POST /admin/reviews/dispatch on demand.

Sending goes through Rasa's HTTP API (trigger_intent EXTERNAL_review_request, output channel ``whatsapp``) in the
guest's own WhatsApp conversation (where their language is known), so the WhatsApp channel sends the approved
template (action_review_request builds it) exactly as it sends everything else, and records its message id for the
delivery receipts; the action server never talks to Meta. A row is claimed by moving its ``due_at`` before the
send, so two dispatchers at once never send it twice; a failed send is retried at the next run. Guests without a
WhatsApp number get no request (status ``no_channel``); opted-out guests never get one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any

from sanic import Sanic
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from actions import loyalty, metrics, periodic, rasa_api
from actions.errors import RasaUnreachable
from actions.pms.common import phone_digits
from actions.pms.models import Reservation
from actions.profile_models import HotelProfile
from actions.services import Services
from actions.store.post_stay import OptOutRow, ReviewRequestRow

logger = logging.getLogger(__name__)

REQUEST_INTENT = "EXTERNAL_review_request"
SCAN_DAYS = 3  # how far back the scan looks for check-out days that passed while nobody ran it
RETRY_MINUTES = 15
# Country codes where the request goes out in Spanish (the PMS does not know the guest's language).
SPANISH_PREFIXES = tuple("34 51 52 53 54 56 57 58 502 503 504 505 506 507 591 593 595 598".split())


@dataclass(frozen=True)
class DispatchReport:
    """What one dispatch run did."""

    scheduled: int
    sent: int
    reminders: int
    skipped_opted_out: int
    failed: int

    def as_dict(self) -> dict[str, int]:
        """JSON-ready view."""
        return self.__dict__.copy()


def aware(stamp: datetime) -> datetime:
    """A stamp read back from the database as aware (SQLite keeps UTC without its offset)."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def segment(reservation: Reservation, profile: HotelProfile) -> str:
    """family (family room or 3+ guests), long_stay (N+ nights), business (one guest, weeknights only), leisure."""
    nights = (reservation.check_out - reservation.check_in).days
    if reservation.room_type == "family" or reservation.guests >= 3:
        return "family"
    if nights >= profile.reviews.long_stay_nights:
        return "long_stay"
    weeknights = all(
        (reservation.check_in + timedelta(days=n)).weekday() < 4 for n in range(nights)
    )  # Monday to Thursday nights
    if reservation.guests == 1 and weeknights:
        return "business"
    return "leisure"


def language_for(digits: str | None) -> str:
    """es for Spanish-speaking country codes, en otherwise: the guess until the guest's conversation says better
    (action_review_request prefers the language the guest wrote in)."""
    return "es" if digits and digits.startswith(SPANISH_PREFIXES) else "en"


def conversation_for(guest: str) -> str:
    """The guest's WhatsApp conversation id for their number's digits.

    WhatsApp names an Argentine mobile 54 9 <area+number> (what the guest's messages arrive from, hence their
    conversation), while the guest key folds it to 54 <area+number>; other numbers are the same in both.
    """
    if guest.startswith("54") and not guest.startswith("549") and len(guest) == 12:
        return "549" + guest[2:]
    return guest


async def set_language(running: Services, request_id: int, language: str) -> None:
    """Records the language a request is sent in (its reminders and the stats follow it)."""
    query = update(ReviewRequestRow).where(ReviewRequestRow.id == request_id).values(language=language)
    async with running.db.session() as session:
        await session.execute(query)


def in_window(instant: datetime, profile: HotelProfile) -> datetime:
    """``instant``, or the next opening of the sending hours (hotel time) when it falls outside them."""
    local = instant.astimezone(profile.tz)
    opens, closes = (time.fromisoformat(value) for value in profile.reviews.send_between)
    if local.time() < opens:
        return datetime.combine(local.date(), opens, profile.tz)
    if local.time() >= closes:
        return datetime.combine(local.date() + timedelta(days=1), opens, profile.tz)
    return local


async def opted_out(running: Services, guest: str) -> bool:
    """Whether the guest asked for no more proactive messages."""
    async with running.db.session() as session:
        return await session.get(OptOutRow, guest) is not None


async def schedule(running: Services, reservation: Reservation, now: datetime) -> tuple[ReviewRequestRow, bool]:
    """The booking's review request and whether this call created it (with the stay's loyalty award)."""
    profile = running.profile
    planned = datetime.combine(reservation.check_out, time.fromisoformat(reservation.checkout_time), profile.tz)
    ended = min(planned, now) if reservation.status == "checked_out" else planned
    guest = phone_digits(reservation.phone)
    status = "scheduled" if guest else "no_channel"
    if guest and await opted_out(running, guest):
        status = "opted_out"
    row = ReviewRequestRow(
        reservation_code=reservation.code,
        guest_key=guest,
        channel="whatsapp" if guest else "none",
        language=language_for(guest),
        segment=segment(reservation, profile),
        status=status,
        due_at=in_window(ended + timedelta(hours=profile.reviews.send_after_hours), profile).astimezone(timezone.utc),
        reminders_sent=0,
        created_at=now.astimezone(timezone.utc),
    )
    try:
        async with running.db.session() as session:
            session.add(row)
    except IntegrityError:
        async with running.db.session() as session:
            query = select(ReviewRequestRow).where(ReviewRequestRow.reservation_code == reservation.code)
            return (await session.execute(query)).scalar_one(), False
    if status == "scheduled":
        metrics.REVIEW_FUNNEL.labels("scheduled").inc()
    await loyalty.award(running, reservation, "stay_completed", reservation.code, now)
    logger.info("review_request_scheduled", extra={"request": row.id, "status": status, "segment": row.segment})
    return row, True


async def scan(running: Services, now: datetime) -> int:
    """Schedules requests for stays that ended (checked out today, or a check-out day in the last days passed)."""
    today = now.astimezone(running.profile.tz).date()
    created = 0
    for back in range(SCAN_DAYS + 1):
        day = today - timedelta(days=back)
        departures = (await running.pms.reservations_on(day))["departures"]
        for reservation in departures:
            if reservation.status == "cancelled" or (back == 0 and reservation.status != "checked_out"):
                continue
            created += (await schedule(running, reservation, now))[1]
    return created


async def _claim(running: Services, row: ReviewRequestRow, values: dict[str, Any]) -> bool:
    """Marks the row as sent (or reminded) before the send, only if no other dispatcher changed it first."""
    query = (
        update(ReviewRequestRow)
        .where(ReviewRequestRow.id == row.id, ReviewRequestRow.due_at == row.due_at)
        .where(ReviewRequestRow.reminders_sent == row.reminders_sent, ReviewRequestRow.status == row.status)
        .values(**values)
    )
    async with running.db.session() as session:
        return bool((await session.execute(query)).rowcount)


async def dispatch(running: Services, now: datetime) -> DispatchReport:
    """Schedules ended stays, then sends the due requests and reminders that fall within the sending hours."""
    scheduled = await scan(running, now)
    reviews, utc_now = running.profile.reviews, now.astimezone(timezone.utc)
    sent = reminders = skipped = failed = 0
    if in_window(now, running.profile) != now.astimezone(running.profile.tz):
        return DispatchReport(scheduled, 0, 0, 0, 0)  # quiet hours: whatever is due waits for the opening
    query = (
        select(ReviewRequestRow)
        .where(ReviewRequestRow.due_at <= utc_now)
        .where(
            or_(
                ReviewRequestRow.status == "scheduled",
                (ReviewRequestRow.status == "sent") & (ReviewRequestRow.reminders_sent < reviews.reminders),
            )
        )
        .order_by(ReviewRequestRow.due_at)
    )
    async with running.db.session() as session:
        due = list((await session.execute(query)).scalars())
    for row in due:
        if await opted_out(running, row.guest_key):
            await _set(running, row.id, row.status, status="opted_out")
            skipped += 1
            continue
        # Marked before the send, so a guest who answers the template at once finds it sent.
        first = row.status == "scheduled"
        next_due = in_window(now + timedelta(hours=reviews.reminder_every_hours), running.profile)
        claimed: dict[str, Any] = {"due_at": next_due.astimezone(timezone.utc)}
        claimed.update({"status": "sent", "sent_at": utc_now} if first else {"reminders_sent": row.reminders_sent + 1})
        if not await _claim(running, row, claimed):
            continue
        try:
            conversation = conversation_for(row.guest_key)
            await rasa_api.trigger_intent(
                running.settings, conversation, REQUEST_INTENT, {"review_request": str(row.id)}, row.channel
            )
        except RasaUnreachable as exc:
            logger.warning("review_request_send_failed", extra={"request": row.id, "error": str(exc)})
            retry = utc_now + timedelta(minutes=RETRY_MINUTES)
            undo = {"status": "scheduled", "sent_at": None} if first else {"reminders_sent": row.reminders_sent}
            await _set(running, row.id, "sent", due_at=retry, **undo)  # unless the guest opted out meanwhile
            failed += 1
            continue
        metrics.REVIEW_FUNNEL.labels("sent" if first else "reminded").inc()
        sent, reminders = sent + first, reminders + (not first)
    return DispatchReport(scheduled, sent, reminders, skipped, failed)


async def _set(running: Services, request_id: int, while_status: str, **values: Any) -> None:
    """Updates the row, only while its status is still ``while_status``."""
    query = update(ReviewRequestRow).where(ReviewRequestRow.id == request_id, ReviewRequestRow.status == while_status)
    async with running.db.session() as session:
        await session.execute(query.values(**values))


async def _scheduled(running: Services, now: datetime) -> None:
    report = await dispatch(running, now)
    if report.sent or report.reminders or report.failed:
        logger.info("review_dispatch", extra=report.as_dict())


def attach(app: Sanic) -> None:
    """Runs the dispatch every REVIEW_SCHEDULER_SECONDS (0 turns it off) while the action server runs."""
    periodic.attach(app, "review_dispatch", lambda running: running.settings.review_scheduler_seconds, _scheduled)
