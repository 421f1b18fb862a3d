"""`make seed`: the demo occupancy the late-checkout and arrival demos rely on, idempotent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from actions.pms.local import LocalPMS
from actions.profile import load_profile
from actions.settings import get_settings
from actions.store.db import Database
from scripts.seed import seed
from scripts.stack import migrate


async def test_seed_builds_the_demo_cases_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    migrate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CONSERJE_NOW", "2026-12-10T10:00:00-03:00")
    assert await seed(if_empty=False) == 12
    assert await seed(if_empty=False) == 0
    db = Database(get_settings())
    pms = LocalPMS(db, load_profile())
    tomorrow = date(2026, 12, 11)
    day = await pms.reservations_on(tomorrow)
    leaving = {item.room_number: item for item in day["departures"]}
    assert {101, 301} <= set(leaving)
    assert await pms.next_arrival(101, tomorrow) is not None  # no late checkout for room 101
    assert await pms.next_arrival(301, tomorrow) is None  # room 301 stays free
    assert any(item.guest_name == "Sofía Herrera" for item in day["arrivals"])
    assert leaving[101].status == "checked_in"
    await db.close()
