"""Loyalty points: a SQL ledger where a retried event never pays twice and the daily cap is never exceeded.

Other features call one function when a real event happens::

    await loyalty.award(services(), reservation, "late_checkout_purchased", reference=f"stay-{request.id}", now=now)

Events and points come from the profile (hotel.yml ``loyalty``): feedback_survey, qr_checkin, stay_completed,
late_checkout_purchased. Never for public reviews. The idempotency key is (event, reference) — a unique constraint
in the ledger — so give a reference that names the event's occurrence (the booking code for things that happen
once per stay, a request id otherwise). A replay returns the first award with ``replayed=True``.

Every award and redemption of a guest first locks the guest's account row (an UPDATE: a row lock on PostgreSQL,
the write lock on SQLite), so two concurrent awards of one guest see each other and the award that crosses the
daily cap is trimmed to what is left of it. An award trimmed to 0 is still recorded: it counts for badges.
Levels follow the points ever earned (redemptions do not lower a level); badges the number of events.

A reward held for a staff decision (a late checkout paid with points, actions/stay_requests.py) is redeemed at once
and given back with ``refund`` if staff reject it: a ledger row of its own (source ``refund:<reward>``, once per
reference) that restores the balance but is not earned: it counts for no level, cap, badge or leaderboard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from actions import metrics
from actions.pms.common import phone_digits
from actions.pms.models import Reservation
from actions.profile_models import Loyalty, LoyaltyEvent
from actions.services import Services
from actions.store.db import Database
from actions.store.post_stay import LedgerRow, LoyaltyAccount

REFUND = "refund:"  # source prefix of points given back (not earned)
Window = Literal["week", "month", "all"]
WINDOW_DAYS: dict[str, int | None] = {"week": 7, "month": 30, "all": None}


@dataclass(frozen=True)
class Award:
    """The outcome of an award: the points the rules give, the points paid after the cap, badges it completed."""

    source: str
    reference: str
    requested: int
    points: int
    replayed: bool = False
    new_badges: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Standing:
    """A guest's points, level and badges, as ask_points states them."""

    balance: int
    earned: int
    level: str
    next_level: str | None
    points_to_next: int
    badges: list[str]


@dataclass(frozen=True)
class Redemption:
    """A reward paid with points (``replayed`` when the same reference was redeemed before)."""

    reward: str
    points: int
    balance: int
    replayed: bool = False


class NotEnoughPoints(Exception):
    """The balance does not cover the reward (a business outcome, said to the guest)."""

    def __init__(self, balance: int, cost: int) -> None:
        """The balance and the reward's cost."""
        super().__init__(f"balance {balance} < {cost}")
        self.balance, self.cost = balance, cost


def guest_key(reservation: Reservation) -> str:
    """Who earns the points: the phone's digits (549… folded to 54…), or the email in lower case."""
    return phone_digits(reservation.phone) or reservation.email.strip().lower()


def mask(name: str) -> str:
    """A name as the leaderboard shows it: "Ana María Pérez" → "A*** P."."""
    words = name.split()
    if not words:
        return "***"
    first = words[0][0].upper() + "***"
    return f"{first} {words[-1][0].upper()}." if len(words) > 1 else first


async def _lock_account(session: AsyncSession, guest: str, label: str, now: datetime) -> None:
    """Creates the guest's account if needed, then locks its row until the transaction ends."""
    values = {"guest_key": guest, "label": label, "created_at": now, "touched_at": now}
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    await session.execute(dialect.insert(LoyaltyAccount).values(**values).on_conflict_do_nothing())
    await session.execute(update(LoyaltyAccount).where(LoyaltyAccount.guest_key == guest).values(touched_at=now))


async def _existing(session: AsyncSession, source: str, reference: str) -> LedgerRow | None:
    query = select(LedgerRow).where(LedgerRow.source == source, LedgerRow.reference == reference)
    return (await session.execute(query)).scalar_one_or_none()


def _earned() -> ColumnElement[bool]:
    """Ledger rows that are points earned (not a refund of a redemption)."""
    return LedgerRow.source.not_like(f"{REFUND}%")


async def _event_counts(session: AsyncSession, guest: str) -> dict[str, int]:
    query = select(LedgerRow.source, func.count()).where(LedgerRow.guest_key == guest).group_by(LedgerRow.source)
    return {source: count for source, count in (await session.execute(query)).all()}


async def award_to(
    db: Database,
    rules: Loyalty,
    guest: str,
    label: str,
    event: LoyaltyEvent,
    reference: str,
    day: date,
    now: datetime,
) -> Award:
    """Records an event for ``guest`` on hotel day ``day``: points per the rules, trimmed to the daily cap, once.

    Raises:
        StoreError: the database failed.
    """
    requested = rules.points[event]
    now = now.astimezone(timezone.utc)
    try:
        async with db.session() as session:
            await _lock_account(session, guest, label, now)
            found = await _existing(session, event, reference)
            if found is not None:
                return Award(event, reference, found.requested, found.points, replayed=True)
            today = select(func.coalesce(func.sum(LedgerRow.points), 0)).where(
                LedgerRow.guest_key == guest, LedgerRow.day == day, LedgerRow.points > 0, _earned()
            )
            already = int((await session.execute(today)).scalar_one())
            points = max(0, min(requested, rules.daily_cap - already))
            session.add(
                LedgerRow(
                    guest_key=guest,
                    source=event,
                    reference=reference,
                    requested=requested,
                    points=points,
                    day=day,
                    created_at=now,
                )
            )
            await session.flush()
            counts = await _event_counts(session, guest)
    except IntegrityError:
        # The same (event, reference) was recorded for another guest key at the same moment: still one award.
        async with db.session() as session:
            found = await _existing(session, event, reference)
        if found is None:
            raise
        return Award(event, reference, found.requested, found.points, replayed=True)
    metrics.POINTS_AWARDED.labels(event).inc(points)
    earned = [
        name for name, badge in rules.badges.items() if badge.event == event and counts.get(event, 0) == badge.count
    ]
    return Award(event, reference, requested, points, new_badges=earned)


async def award(
    running: Services, reservation: Reservation, event: LoyaltyEvent, reference: str, now: datetime
) -> Award:
    """Awards ``event`` to the guest of ``reservation`` (see the module docstring); the one call other features use."""
    profile = running.profile
    day = now.astimezone(profile.tz).date()
    return await award_to(
        running.db, profile.loyalty, guest_key(reservation), mask(reservation.guest_name), event, reference, day, now
    )


async def standing(db: Database, rules: Loyalty, guest: str) -> Standing:
    """Balance, points ever earned, level and the points to the next one, badges earned."""
    totals = select(
        func.coalesce(func.sum(LedgerRow.points), 0),
        func.coalesce(func.sum(LedgerRow.points).filter(LedgerRow.points > 0, _earned()), 0),
    ).where(LedgerRow.guest_key == guest)
    async with db.session() as session:
        balance, earned = (await session.execute(totals)).one()
        counts = await _event_counts(session, guest)
    level, next_level, missing = rules.level(int(earned))
    badges = [name for name, badge in rules.badges.items() if counts.get(badge.event, 0) >= badge.count]
    return Standing(int(balance), int(earned), level, next_level, missing, badges)


async def redeem(db: Database, rules: Loyalty, guest: str, reward: str, reference: str, now: datetime) -> Redemption:
    """Pays ``reward`` with points, once per ``reference``.

    Raises:
        KeyError: no such reward in the catalogue.
        NotEnoughPoints: the balance does not cover it (nothing is recorded).
    """
    cost = rules.rewards[reward].points
    source = f"redeem:{reward}"
    now = now.astimezone(timezone.utc)
    async with db.session() as session:
        await _lock_account(session, guest, "***", now)
        balance_query = select(func.coalesce(func.sum(LedgerRow.points), 0)).where(LedgerRow.guest_key == guest)
        found = await _existing(session, source, reference)
        if found is not None:
            balance = int((await session.execute(balance_query)).scalar_one())
            return Redemption(reward, -found.points, balance, replayed=True)
        balance = int((await session.execute(balance_query)).scalar_one())
        if balance < cost:
            raise NotEnoughPoints(balance, cost)
        row = LedgerRow(
            guest_key=guest,
            source=source,
            reference=reference,
            requested=-cost,
            points=-cost,
            day=now.date(),
            created_at=now,
        )
        session.add(row)
    return Redemption(reward, cost, balance - cost)


async def refund(db: Database, reference: str, now: datetime) -> int:
    """Gives back what was redeemed with ``reference`` (a held reward staff rejected), once: a ``refund:<reward>``
    row per redemption, unique like every ledger row. Returns the points this call gave back (0 on a repeat).

    Raises:
        StoreError: the database failed.
    """
    now = now.astimezone(timezone.utc)
    query = select(LedgerRow).where(LedgerRow.reference == reference, LedgerRow.source.like("redeem:%"))
    given = 0
    async with db.session() as session:
        for paid in list((await session.execute(query)).scalars()):
            await _lock_account(session, paid.guest_key, "***", now)
            values = {
                "guest_key": paid.guest_key,
                "source": (REFUND + paid.source.removeprefix("redeem:"))[:40],
                "reference": reference,
                "requested": -paid.points,
                "points": -paid.points,
                "day": now.date(),
                "created_at": now,
            }
            dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
            added = await session.execute(dialect.insert(LedgerRow).values(**values).on_conflict_do_nothing())
            given += -paid.points if added.rowcount else 0
    return given


async def leaderboard(db: Database, window: Window, today: date, limit: int = 10) -> list[dict[str, object]]:
    """Guests by points earned in the window (the last 7 or 30 hotel days, or all time), names masked."""
    earned = func.sum(LedgerRow.points).label("earned")
    query = (
        select(LoyaltyAccount.label, earned)
        .join(LoyaltyAccount, LoyaltyAccount.guest_key == LedgerRow.guest_key)
        .where(LedgerRow.points > 0, _earned(), LedgerRow.day <= today)
        .group_by(LedgerRow.guest_key, LoyaltyAccount.label)
        .order_by(earned.desc(), LedgerRow.guest_key)
        .limit(limit)
    )
    days = WINDOW_DAYS[window]
    if days is not None:
        query = query.where(LedgerRow.day > today - timedelta(days=days))
    async with db.session() as session:
        rows = (await session.execute(query)).all()
    return [{"rank": rank, "guest": label, "points": int(points)} for rank, (label, points) in enumerate(rows, 1)]
