"""The loyalty ledger on real PostgreSQL under concurrency: the cap holds and a replayed event pays once."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone

from sqlalchemy import func, select

from actions import loyalty
from actions.profile import load_profile
from actions.settings import Settings
from actions.store.db import Database
from actions.store.post_stay import LedgerRow
from scripts.stack import migrate

NOW = datetime(2031, 3, 5, 15, 0, tzinfo=timezone.utc)
DAY = date(2031, 3, 5)
RULES = load_profile().loyalty


async def test_concurrent_awards_respect_the_cap_and_idempotency(postgres_url: str) -> None:
    migrate(postgres_url)
    db = Database(Settings(database_url=postgres_url))
    try:
        # 30 distinct QR check-ins (20 points each) at once for one guest: 600 asked, 200 paid, one crossing trim.
        distinct = [
            loyalty.award_to(db, RULES, "5491100000001", "A*** P.", "qr_checkin", f"qr-{n}", DAY, NOW)
            for n in range(30)
        ]
        # 20 replays of one stay at once, for a second guest: one row, 100 points.
        replays = [
            loyalty.award_to(db, RULES, "5491100000002", "B*** Q.", "stay_completed", "ABC123", DAY, NOW)
            for _ in range(20)
        ]
        results = await asyncio.gather(*distinct, *replays)
        assert sum(result.points for result in results[:30]) == 200
        assert sum(1 for result in results[30:] if not result.replayed) == 1
        assert {result.points for result in results[30:]} == {100}
        async with db.session() as session:
            totals = dict(
                (
                    await session.execute(
                        select(LedgerRow.guest_key, func.sum(LedgerRow.points)).group_by(LedgerRow.guest_key)
                    )
                ).all()
            )
            rows = (await session.execute(select(func.count()).select_from(LedgerRow))).scalar_one()
        assert totals == {"5491100000001": 200, "5491100000002": 100}
        assert rows == 31
        # Concurrent redemptions cannot spend the same points twice.
        spends = await asyncio.gather(
            *(loyalty.redeem(db, RULES, "5491100000001", "welcome_drink", f"v-{n}", NOW) for n in range(5)),
            return_exceptions=True,
        )
        assert sum(1 for spent in spends if isinstance(spent, loyalty.Redemption)) == 2
        assert all(isinstance(spent, loyalty.Redemption | loyalty.NotEnoughPoints) for spent in spends)
        assert (await loyalty.standing(db, RULES, "5491100000001")).balance == 0
    finally:
        await db.close()
