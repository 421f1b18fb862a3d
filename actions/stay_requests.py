"""Late checkout and early check-in requests: offers that expire, acceptance, staff decisions, the guest told.

Used by the actions (actions/late_checkout.py, points.py) and the admin API (actions/admin/late_checkouts.py). The
charge is posted with the idempotency key ``stay-<id>``, so whatever repeats a confirmation (a second "yes", a
webhook retry, two staff clicks) the folio gets one line; the check-out / check-in time change is idempotent by
nature.

A late checkout paid with loyalty points (``redeem_late_checkout``) follows the same approval: instant, the points
are spent and the time moves at once; staff, the request waits as ``pending`` with its points held (redeemed with
the reference ``stay-<id>``); approving moves the time and charges nothing (no money, no points earned for a
purchase); rejecting gives the points back once (loyalty.refund, same reference).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sanic import Sanic
from sqlalchemy import select, update

from actions import clock, locks, loyalty, periodic, rasa_api
from actions.errors import RasaUnreachable
from actions.pms.common import CENT
from actions.pms.models import Reservation
from actions.pms.port import ReservationNotFound
from actions.services import Services
from actions.stay_policy import Kind, Option, Reason, approval, assess
from actions.store.db import utc
from actions.store.stay_requests import StayRequestRow

logger = logging.getLogger(__name__)

OUTCOME_INTENT = "EXTERNAL_stay_request_decided"  # how the action server tells Rasa a staff decision came


@dataclass(frozen=True)
class StayRequest:
    """A request as the actions and the admin API see it."""

    id: int
    kind: Kind
    reservation_code: str
    day: date
    time: str
    amount: Decimal
    currency: str
    status: str
    conversation_id: str
    channel: str
    language: str
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    points: int = 0  # paid with loyalty points instead of money (held while pending)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready view for the admin API."""
        return {
            "id": self.id,
            "kind": self.kind,
            "reservation_code": self.reservation_code,
            "day": self.day.isoformat(),
            "time": self.time,
            "amount": str(self.amount),
            "currency": self.currency,
            "points": self.points,
            "status": self.status,
            "channel": self.channel,
            "language": self.language,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
        }


def _to_request(row: StayRequestRow) -> StayRequest:
    decided = row.decided_at
    return StayRequest(
        id=row.id,
        kind=row.kind,
        reservation_code=row.reservation_code,
        day=row.day,
        time=row.time,
        amount=(Decimal(row.amount_cents) / 100).quantize(CENT),
        currency=row.currency,
        status=row.status,
        conversation_id=row.conversation_id,
        channel=row.channel,
        language=row.language,
        created_at=utc(row.created_at),
        expires_at=utc(row.expires_at),
        decided_at=utc(decided) if decided else None,
        points=int(row.points_paid or 0),
    )


async def create_offer(
    running: Services,
    kind: Kind,
    reservation: Reservation,
    day: date,
    option: Option,
    conversation: tuple[str, str, str],
    now: datetime,
) -> StayRequest:
    """Records an offer (conversation = id, channel, language) that stands for STAY_OFFER_MINUTES."""
    conversation_id, channel, language = conversation
    now = now.astimezone(timezone.utc)  # SQLite keeps no offset: every stamp is stored in UTC
    row = StayRequestRow(
        kind=kind,
        reservation_code=reservation.code,
        day=day,
        time=option.time,
        amount_cents=int((option.price * 100).to_integral_value()),
        currency=reservation.currency,
        status="offered",
        conversation_id=conversation_id,
        channel=channel,
        language=language,
        created_at=now,
        expires_at=now + timedelta(minutes=running.settings.stay_offer_minutes),
    )
    async with running.db.session() as session:
        session.add(row)
        await session.flush()
        return _to_request(row)


async def get(running: Services, request_id: int) -> StayRequest | None:
    """The request with that id, or None."""
    async with running.db.session() as session:
        row = await session.get(StayRequestRow, request_id)
        return _to_request(row) if row else None


async def on_day(running: Services, day: date, kind: Kind) -> list[StayRequest]:
    """Requests of that kind for that departure / arrival day that went past an offer (what staff handle)."""
    query = (
        select(StayRequestRow)
        .where(StayRequestRow.day == day, StayRequestRow.kind == kind)
        .where(StayRequestRow.status.in_(("pending", "done", "approved", "rejected")))
        .order_by(StayRequestRow.id)
    )
    async with running.db.session() as session:
        return [_to_request(row) for row in (await session.execute(query)).scalars()]


async def _move(running: Services, request_id: int, before: tuple[str, ...], after: str, now: datetime) -> bool:
    """Moves the status from one of ``before`` to ``after``; False when another call moved it first."""
    query = (
        update(StayRequestRow)
        .where(StayRequestRow.id == request_id, StayRequestRow.status.in_(before))
        .values(status=after, decided_at=now.astimezone(timezone.utc))
    )
    async with running.db.session() as session:
        return bool((await session.execute(query)).rowcount)


async def apply(running: Services, request: StayRequest) -> None:
    """Changes the booking's time in the PMS, posts the fee once (idempotency key ``stay-<id>``) and, for a late
    checkout, awards its loyalty points (once, same key)."""
    pms = running.pms
    if request.points:  # paid with points when it was requested: the time moves, nothing is charged or earned
        await pms.set_times(request.reservation_code, checkout_time=request.time)
        return
    if request.kind == "late_checkout":
        await pms.set_times(request.reservation_code, checkout_time=request.time)
        description = f"Late checkout {request.time}"
    else:
        await pms.set_times(request.reservation_code, checkin_time=request.time)
        description = f"Early check-in {request.time}"
    await pms.post_charge(request.reservation_code, description, request.amount, key=f"stay-{request.id}")
    reservation = await pms.get_reservation(request.reservation_code)
    if request.kind == "late_checkout" and reservation is not None:  # loyalty pays once per request (its key)
        await loyalty.award(running, reservation, "late_checkout_purchased", f"stay-{request.id}", clock.now())


Accepted = StayRequest | Reason | str  # the request (done / pending), a policy reason, or "expired" / "gone"


async def accept(running: Services, request: StayRequest, now: datetime) -> Accepted:
    """The guest said yes: re-checks the offer, then applies it (instant) or queues it for staff.

    Returns the updated request, a policy Reason when the room or the hour is no longer available, "expired"
    when the offer's time ran out, "repriced" (with a fresh offer to state) when the price changed, or "gone"
    when the booking cannot be found any more. Saying yes again after it was done returns the same request.
    """
    request = await get(running, request.id) or request  # the caller's copy may predate another "yes"
    if request.status in ("done", "pending", "approved"):
        return request
    if request.status != "offered":
        return "expired"
    if now >= request.expires_at:
        await _move(running, request.id, ("offered",), "expired", now)
        return "expired"
    reservation = await running.pms.get_reservation(request.reservation_code)
    if reservation is None:
        return "gone"
    current = await assess(request.kind, running.pms, running.profile, reservation, now)
    chosen = current.pick(request.time)
    if chosen == "already_arranged":  # a concurrent "yes" may have applied this very offer a moment ago
        again = await get(running, request.id)
        if again is not None and again.status in ("done", "pending", "approved"):
            return again
    if isinstance(chosen, str):
        await _move(running, request.id, ("offered",), "expired", now)
        return chosen
    if chosen.time != request.time or chosen.price != request.amount:
        await _move(running, request.id, ("offered",), "expired", now)
        return "repriced"
    if approval(request.kind, running.profile) == "staff":
        await _move(running, request.id, ("offered",), "pending", now)
    else:
        await apply(running, request)  # before the status moves: a PMS failure leaves the offer to retry
        await _move(running, request.id, ("offered",), "done", now)
    updated = await get(running, request.id)
    return updated or "gone"


async def decline(running: Services, request: StayRequest, now: datetime) -> None:
    """The guest said no to the offer."""
    await _move(running, request.id, ("offered",), "declined", now)


async def decide(running: Services, request: StayRequest, approve: bool, now: datetime) -> StayRequest:
    """Staff approve (the PMS is changed and charged) or reject a pending request; repeating a decision is a no-op.

    Raises:
        ReservationNotFound: the booking disappeared from the PMS.
    """
    if request.status == "pending":
        if approve:
            if await running.pms.get_reservation(request.reservation_code) is None:
                raise ReservationNotFound(request.reservation_code)
            await apply(running, request)
        await _move(running, request.id, ("pending",), "approved" if approve else "rejected", now)
    updated = await get(running, request.id) or request
    if updated.status == "rejected" and updated.points:
        # Also on a repeated reject: a refund lost to a failure is given now, and never twice (ledger key).
        given = await loyalty.refund(running.db, f"stay-{updated.id}", now)
        if given:
            logger.info("stay_request_points_refunded", extra={"request": updated.id, "points": given})
    return updated


async def _pending_with_points(running: Services, code: str) -> StayRequest | None:
    """The stay's late checkout paid with points that is waiting for staff, if any."""
    query = (
        select(StayRequestRow)
        .where(StayRequestRow.reservation_code == code, StayRequestRow.kind == "late_checkout")
        .where(StayRequestRow.status == "pending", StayRequestRow.points_paid > 0)
        .order_by(StayRequestRow.id.desc())
        .limit(1)
    )
    async with running.db.session() as session:
        row = (await session.execute(query)).scalar_one_or_none()
        return _to_request(row) if row else None


async def redeem_late_checkout(
    running: Services,
    reservation: Reservation,
    reward: str,
    day: date,
    until: str,
    conversation: tuple[str, str, str],
    now: datetime,
) -> StayRequest:
    """A late checkout until ``until`` on ``day`` paid with the points of ``reward`` (the policy already allowed it).

    Approval instant: the points are spent (once per stay), the check-out time moves, the request is ``done``.
    Approval staff: the request is ``pending`` with the points held (reference ``stay-<id>``); asking again while
    it waits returns the same request and holds nothing more.

    Raises:
        NotEnoughPoints: the balance does not cover the reward (nothing recorded, nothing held).
    """
    # Two conversations redeeming for the same booking at once (web and WhatsApp): one holds the points, the other
    # waits and finds the pending request.
    async with locks.keyed(f"redeem-late-checkout:{reservation.code}"):
        staff = approval("late_checkout", running.profile) == "staff"
        if staff and (waiting := await _pending_with_points(running, reservation.code)) is not None:
            return waiting
        rules, utc_now = running.profile.loyalty, now.astimezone(timezone.utc)
        guest, cost = loyalty.guest_key(reservation), rules.rewards[reward].points
        if not staff:
            await loyalty.redeem(running.db, rules, guest, reward, reservation.code, now)
            await running.pms.set_times(reservation.code, checkout_time=until)
        conversation_id, channel, language = conversation
        row = StayRequestRow(
            kind="late_checkout",
            reservation_code=reservation.code,
            day=day,
            time=until,
            amount_cents=0,
            points_paid=cost,
            currency=reservation.currency,
            status="offered" if staff else "done",  # offered: not listed for staff until its points are held
            conversation_id=conversation_id,
            channel=channel,
            language=language,
            created_at=utc_now,
            expires_at=utc_now,
            decided_at=None if staff else utc_now,
        )
        async with running.db.session() as session:
            session.add(row)
            await session.flush()
            request = _to_request(row)
        if not staff:
            return request
        try:
            await loyalty.redeem(running.db, rules, guest, reward, f"stay-{request.id}", now)
        except loyalty.NotEnoughPoints:
            await _move(running, request.id, ("offered",), "expired", now)
            raise
        await _move(running, request.id, ("offered",), "pending", now)
        logger.info("stay_request_points_held", extra={"request": request.id, "points": cost})
        return await get(running, request.id) or request


async def notify(running: Services, request: StayRequest) -> bool:
    """Tells the guest the decision once, through Rasa's trigger_intent on the conversation's latest channel.

    Rasa runs the rule for OUTCOME_INTENT (action_stay_request_outcome), which sends the reply on the channel the
    guest last wrote from (WhatsApp: a proactive message; REST: stored in the conversation). The row is claimed
    (``notified_at``) before the call and released when Rasa cannot be reached, so the admin route and the retry
    job never both tell the guest. False: someone else told (or is telling) them already.

    Raises:
        RasaUnreachable: Rasa could not be reached or refused (the retry job will try again).
    """
    row = StayRequestRow.id == request.id
    async with running.db.session() as session:
        claim = update(StayRequestRow).where(row, StayRequestRow.notified_at.is_(None))
        if not (await session.execute(claim.values(notified_at=clock.now().astimezone(timezone.utc)))).rowcount:
            return False
    try:
        await rasa_api.trigger_intent(
            running.settings, request.conversation_id, OUTCOME_INTENT, {"stay_request": str(request.id)}, "latest"
        )
    except BaseException:  # unreachable, or the server stopping mid-call: the retry job will tell them
        async with running.db.session() as session:
            await session.execute(update(StayRequestRow).where(row).values(notified_at=None))
        raise
    logger.info("stay_request_notified", extra={"request": request.id, "status": request.status})
    return True


async def notify_pending(running: Services, now: datetime) -> int:
    """Tells the guests of the last day's staff decisions that could not be told (Rasa was down); how many."""
    query = (
        select(StayRequestRow)
        .where(StayRequestRow.status.in_(("approved", "rejected")), StayRequestRow.notified_at.is_(None))
        .where(StayRequestRow.decided_at >= (now - timedelta(days=1)).astimezone(timezone.utc))
        .order_by(StayRequestRow.id)
    )
    async with running.db.session() as session:
        waiting = [_to_request(row) for row in (await session.execute(query)).scalars()]
    told = 0
    for request in waiting:
        try:
            told += await notify(running, request)
        except RasaUnreachable:
            logger.info("stay_request_notify_later", extra={"waiting": len(waiting) - told})
            break  # Rasa is still down: the next run tries again
    return told


def attach(app: Sanic) -> None:
    """Retries untold decisions every STAY_NOTIFY_RETRY_SECONDS while the action server runs (0: never)."""
    periodic.attach(app, "stay_notify_retry", _retry_seconds, notify_pending)


def _retry_seconds(running: Services) -> float:
    return running.settings.stay_notify_retry_seconds
