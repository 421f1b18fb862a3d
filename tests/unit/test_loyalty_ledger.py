"""The loyalty ledger on a migrated SQLite: caps never exceeded, replays idempotent (hypothesis), levels, badges,
redemptions and the leaderboard. The same ledger on PostgreSQL under concurrency: tests/integration/."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from actions import loyalty
from actions.profile import load_profile
from actions.profile_models import LOYALTY_EVENTS, Loyalty
from actions.services import Services
from actions.settings import Settings
from actions.store.db import Database
from actions.store.post_stay import LedgerRow

NOW = datetime(2031, 3, 5, 15, 0, tzinfo=timezone.utc)
DAY = date(2031, 3, 5)
RULES = load_profile().loyalty


def rules_with(cap: int, points: dict[str, int]) -> Loyalty:
    """The demo hotel's rules with another cap and other points per event (as a hotel.yml override would)."""
    return Loyalty.parse_obj({**RULES.dict(), "daily_cap": cap, "points": points})


events = st.lists(
    st.tuples(st.sampled_from(LOYALTY_EVENTS), st.integers(0, 5), st.integers(0, 2)), min_size=1, max_size=25
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=events,
    cap=st.integers(1, 400),
    points=st.fixed_dictionaries({event: st.integers(0, 250) for event in LOYALTY_EVENTS}),
)
def test_caps_never_exceeded_and_replays_pay_once(sqlite_url: str, plan: list, cap: int, points: dict) -> None:
    rules = rules_with(cap, points)
    guest = f"g-{uuid.uuid4().hex}"
    expected: dict[tuple[str, str], int] = {}  # a model of the rules: first occurrence pays, trimmed to the cap
    paid_per_day: dict[int, int] = {}
    for event, ref, day in plan:
        key = (event, f"{guest}-{ref}")
        if key not in expected:
            pay = max(0, min(points[event], cap - paid_per_day.get(day, 0)))
            expected[key] = pay
            paid_per_day[day] = paid_per_day.get(day, 0) + pay

    async def scenario() -> list[LedgerRow]:
        db = Database(Settings(database_url=sqlite_url))
        try:
            for event, ref, day in plan:
                result = await loyalty.award_to(
                    db, rules, guest, "A*** P.", event, f"{guest}-{ref}", DAY + timedelta(days=day), NOW
                )
                assert result.points == expected[(event, f"{guest}-{ref}")]
                assert 0 <= result.points <= result.requested
            async with db.session() as session:
                return list((await session.execute(select(LedgerRow).where(LedgerRow.guest_key == guest))).scalars())
        finally:
            await db.close()

    rows = asyncio.run(scenario())
    assert len(rows) == len(expected)  # one row per (event, reference), however often it was replayed
    for day in {row.day for row in rows}:
        assert sum(row.points for row in rows if row.day == day) <= cap
    assert {(row.source, row.reference): row.points for row in rows} == expected


async def test_crossing_award_trimmed_levels_and_badges(running: Services) -> None:
    guest = f"g-{uuid.uuid4().hex}"
    award = loyalty.award_to
    first = await award(running.db, RULES, guest, "A*** P.", "stay_completed", f"{guest}-s1", DAY, NOW)
    assert (first.points, first.new_badges) == (100, ["primera_estadia"])
    assert (await award(running.db, RULES, guest, "A*** P.", "qr_checkin", f"{guest}-q1", DAY, NOW)).points == 20
    crossing = await award(running.db, RULES, guest, "A*** P.", "stay_completed", f"{guest}-s2", DAY, NOW)
    assert (crossing.requested, crossing.points) == (100, 80)  # 120 already today: 80 left of the 200 cap
    capped = await award(running.db, RULES, guest, "A*** P.", "feedback_survey", f"{guest}-f1", DAY, NOW)
    assert capped.points == 0
    replay = await award(running.db, RULES, guest, "A*** P.", "stay_completed", f"{guest}-s2", DAY, NOW)
    assert (replay.replayed, replay.points) == (True, 80)
    third = await award(running.db, RULES, guest, "A*** P.", "stay_completed", f"{guest}-s3", DAY + timedelta(1), NOW)
    assert (third.points, third.new_badges) == (100, ["fiel"])

    standing = await loyalty.standing(running.db, RULES, guest)
    assert (standing.balance, standing.earned) == (300, 300)
    assert (standing.level, standing.next_level, standing.points_to_next) == ("plata", "oro", 450)
    assert standing.badges == ["primera_estadia", "madrugador", "fiel"]

    drink = await loyalty.redeem(running.db, RULES, guest, "welcome_drink", f"{guest}-v1", NOW)
    assert (drink.points, drink.balance) == (100, 200)
    again = await loyalty.redeem(running.db, RULES, guest, "welcome_drink", f"{guest}-v1", NOW)
    assert (again.replayed, again.balance) == (True, 200)
    with pytest.raises(loyalty.NotEnoughPoints):
        await loyalty.redeem(running.db, RULES, guest, "late_checkout_13", f"{guest}-l1", NOW)
    after = await loyalty.standing(running.db, RULES, guest)
    assert (after.balance, after.level) == (200, "plata")  # redeeming never lowers the level


async def test_leaderboard_windows_and_masked_names(running: Services) -> None:
    today = date(2031, 6, 30)
    names = {"Ana María Pérez": 0, "John Smith": 20, "Zoe": 200}  # days ago
    for name, ago in names.items():
        guest = f"lb-{uuid.uuid4().hex}"
        await loyalty.award_to(
            running.db, RULES, guest, loyalty.mask(name), "stay_completed", guest, today - timedelta(ago), NOW
        )
    week = await loyalty.leaderboard(running.db, "week", today)
    assert [entry["guest"] for entry in week] == ["A*** P."]
    month = {entry["guest"] for entry in await loyalty.leaderboard(running.db, "month", today)}
    assert {"A*** P.", "J*** S."} <= month and "Z***" not in month
    everything = await loyalty.leaderboard(running.db, "all", today, limit=500)
    assert "Z***" in {entry["guest"] for entry in everything}
    assert all("Pérez" not in str(entry) and "Smith" not in str(entry) for entry in everything)


def test_profile_rules_are_validated() -> None:
    with pytest.raises(ValueError, match="0 threshold"):
        Loyalty.parse_obj({**RULES.dict(), "levels": {"plata": 250}})
    with pytest.raises(ValueError, match="every event"):
        Loyalty.parse_obj({**RULES.dict(), "points": {"stay_completed": 100}})
    with pytest.raises(ValueError):
        Loyalty.parse_obj({**RULES.dict(), "badges": {"x": {"event": "public_review", "count": 1}}})
    assert RULES.points == {
        "feedback_survey": 50,
        "qr_checkin": 20,
        "stay_completed": 100,
        "late_checkout_purchased": 10,
    }
    assert (RULES.daily_cap, RULES.levels) == (200, {"bronce": 0, "plata": 250, "oro": 750, "platino": 2000})
