"""`make seed`: realistic demo occupancy in the local PMS, relative to the clock (CONSERJE_NOW or now).

Includes the cases the demos need: a guest checking out tomorrow whose room has an arrival tomorrow (no late
checkout possible), a guest checking out tomorrow whose room stays free (late checkout possible), and a guest
arriving tomorrow. Idempotent: seeded guests have @seed.example emails; if any exist, nothing is added.
With `--if-empty` (used by `make run`) it only seeds a database without any reservation.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import date, timedelta

from sqlalchemy import func, select

from actions import clock
from actions.pms.local import LocalPMS
from actions.pms.models import BookingRequest
from actions.pms.tables import ReservationRow
from actions.profile import load_profile
from actions.settings import get_settings
from actions.store.db import Database

# (name, room type, room, first night offset from today, nights, status)
STAYS = [
    ("Carla Gómez", "double", 101, -2, 3, "checked_in"),  # leaves tomorrow; room 101 has an arrival tomorrow
    ("Diego Sosa", "double", 101, 1, 2, "confirmed"),
    ("Martín López", "superior_king", 301, -3, 4, "checked_in"),  # leaves tomorrow; room 301 free tomorrow
    ("Sofía Herrera", "family", 307, 1, 3, "confirmed"),  # arrives tomorrow
    ("John Miller", "twin", 109, -1, 4, "checked_in"),
    ("Emma Wilson", "junior_suite", 401, 0, 2, "confirmed"),  # arrives today
    ("Lucas Martínez", "double", 102, -4, 4, "checked_in"),  # leaves today
    ("Valentina Rossi", "superior_king", 302, 2, 5, "confirmed"),
    ("Tomás Acosta", "twin", 110, 3, 2, "confirmed"),
    ("Olivia Brown", "family", 308, 5, 4, "confirmed"),
    ("Julieta Pereyra", "double", 201, 7, 3, "confirmed"),
    ("Noah Davis", "junior_suite", 402, 9, 3, "confirmed"),
]


def _email(name: str) -> str:
    ascii_name = name.lower().translate(str.maketrans("áéíóúñ", "aeioun")).replace(" ", ".")
    return f"{ascii_name}@seed.example"


async def seed(if_empty: bool) -> int:
    """Adds the demo stays; returns how many were added."""
    settings, profile = get_settings(), load_profile()
    db = Database(settings)
    pms = LocalPMS(db, profile)
    try:
        await pms.start()
        async with db.session() as session:
            total = (await session.execute(select(func.count()).select_from(ReservationRow))).scalar_one()
            seeded = (
                await session.execute(
                    select(func.count()).select_from(ReservationRow).where(ReservationRow.email.like("%@seed.example"))
                )
            ).scalar_one()
        if seeded or (if_empty and total):
            return 0
        today: date = clock.now(profile.tz).date()
        for index, (name, room_type, room, offset, nights, status) in enumerate(STAYS):
            check_in = today + timedelta(days=offset)
            request = BookingRequest(
                room_type,
                check_in,
                check_in + timedelta(days=nights),
                2,
                name,
                _email(name),
                f"+54 9 11 5555 {index:04d}",
                room_number=room,
            )
            reservation = await pms.create_reservation(request)
            if status != "confirmed":
                await pms.set_status(reservation.code, status)
        return len(STAYS)
    finally:
        await db.close()


if __name__ == "__main__":
    added = asyncio.run(seed("--if-empty" in sys.argv))
    print(f"seed: {added} demo stays added" if added else "seed: nothing to add")
