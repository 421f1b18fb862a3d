"""The booking race: 100 guests book the last junior suite at once, on SQLite and on PostgreSQL.

For each backend: a fresh database (a temporary SQLite file; a throwaway PostgreSQL database on TEST_POSTGRES_URL's
server, created and dropped like the integration fixture), migrated and seeded with the profile's rooms. Each of
ROUNDS rounds books every junior suite but one for six nights, then fires ATTEMPTS concurrent `create_reservation`
calls for overlapping stays (all contain one common night), so exactly one should win and the rest get
RoomUnavailable. SQL then counts duplicated room-nights and overlapping confirmed reservations of a room: both must
be 0. Prints one row per round and a total per backend; exits 1 only on a double booking. Run it alone with
`BENCH_ONLY=booking python -m scripts.bench` or `python -m scripts.bench_booking`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import psycopg2
from sqlalchemy import text

from actions import clock
from actions.pms.local import LocalPMS
from actions.pms.models import BookingRequest
from actions.pms.port import RoomUnavailable
from actions.profile import load_profile
from actions.settings import Settings
from actions.store.db import Database
from scripts.stack import migrate

PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ATTEMPTS = 100
ROUNDS = 3
ROOM_TYPE = "junior_suite"
DUPLICATE_NIGHTS = (
    "SELECT COUNT(*) FROM (SELECT room_number, night FROM pms_room_nights"
    " GROUP BY room_number, night HAVING COUNT(*) > 1) AS duplicated"
)
OVERLAPS = (
    "SELECT COUNT(*) FROM pms_reservations a JOIN pms_reservations b ON a.room_number = b.room_number AND a.id < b.id"
    " WHERE a.status = 'confirmed' AND b.status = 'confirmed' AND a.check_in < b.check_out AND b.check_in < a.check_out"
)


@dataclass
class Round:
    """Outcome of one race on one backend."""

    backend: str
    label: str
    successes: int = 0
    unavailable: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # other exceptions, by type name
    duplicate_nights: int = 0
    overlaps: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, every attempt

    @property
    def attempts(self) -> int:
        """Calls made (all of them end in one of the three outcomes)."""
        return self.successes + self.unavailable + sum(self.errors.values())

    def percentile(self, p: int) -> float:
        """Latency percentile ``p`` of the booking call in milliseconds (NaN without enough samples)."""
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] * 1000


def request(check_in: date, check_out: date, guest: int, room_number: int | None = None) -> BookingRequest:
    """A junior suite for two guests, with a name, email and phone unique to ``guest``."""
    name, email, phone = f"Bench Guest {guest}", f"bench{guest}@example.com", f"+54 9 11 7000-{guest:04d}"
    return BookingRequest(ROOM_TYPE, check_in, check_out, 2, name, email, phone, room_number)


async def timed(pms: LocalPMS, booking: BookingRequest, result: Round) -> None:
    """One booking call, its latency and its outcome recorded in ``result``."""
    started = time.perf_counter()
    try:
        await pms.create_reservation(booking)
        result.successes += 1
    except RoomUnavailable:
        result.unavailable += 1
    except Exception as error:  # every other failure is a figure of the benchmark
        result.errors[type(error).__name__] = result.errors.get(type(error).__name__, 0) + 1
    result.latencies.append(time.perf_counter() - started)


async def race(backend: str, database_url: str) -> list[Round]:
    """Seeds the rooms, then runs every round against one migrated database."""
    profile = load_profile()
    rooms = profile.room_types[ROOM_TYPE].rooms
    db = Database(Settings(database_url=database_url))  # type: ignore[call-arg]  # the rest has defaults
    pms = LocalPMS(db, profile)
    results = []
    try:
        await pms.start()
        for number in range(ROUNDS):
            first = clock.now().date() + timedelta(days=30 + 20 * number)  # each round on nights of its own
            for room in rooms[:-1]:
                await pms.create_reservation(request(first, first + timedelta(days=6), room, room_number=room))
            result = Round(backend, str(number + 1))
            # every stay contains the night first+2, so at most one of them can have the last room
            day = [first + timedelta(days=offset) for offset in range(5)]
            bookings = [request(day[i % 3], day[3 + i % 2], i) for i in range(ATTEMPTS)]
            await asyncio.gather(*(timed(pms, booking, result) for booking in bookings))
            async with db.session() as session:
                result.duplicate_nights = (await session.execute(text(DUPLICATE_NIGHTS))).scalar_one()
                result.overlaps = (await session.execute(text(OVERLAPS))).scalar_one()
            results.append(result)
    finally:
        await db.close()
    return results


def run_sqlite() -> list[Round]:
    """The race on a temporary SQLite file."""
    folder = Path(tempfile.mkdtemp(prefix="conserje-bench-booking-"))
    try:
        url = f"sqlite:///{folder / 'bench.db'}"
        migrate(url)
        return asyncio.run(race("sqlite", url))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_postgres() -> list[Round]:
    """The race on a throwaway PostgreSQL database; nothing (and a clear line) when the server is unreachable."""
    try:
        admin = psycopg2.connect(PG_ADMIN, connect_timeout=3)
    except psycopg2.OperationalError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"postgresql: NOT REACHABLE at {PG_ADMIN} ({reason}); skipped")
        return []
    admin.autocommit = True
    name = f"conserje_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        migrate(url)
        return asyncio.run(race("postgresql", url))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def total(rounds: list[Round]) -> Round:
    """All rounds of one backend together (the double-booking counts are the last, cumulative, check)."""
    merged = Round(rounds[0].backend, "all", duplicate_nights=rounds[-1].duplicate_nights, overlaps=rounds[-1].overlaps)
    for item in rounds:
        merged.successes += item.successes
        merged.unavailable += item.unavailable
        merged.latencies += item.latencies
        for name, count in item.errors.items():
            merged.errors[name] = merged.errors.get(name, 0) + count
    return merged


def row(r: Round) -> str:
    """One line of the table."""
    return (
        f"{r.backend:<11}{r.label:>5} {r.attempts:>8} {r.successes:>4} {r.unavailable:>11} {sum(r.errors.values()):>6} "
        f"{r.duplicate_nights:>10} {r.overlaps:>8} {r.percentile(50):>7.0f} {r.percentile(95):>7.0f}"
    )


def main() -> int:
    """Runs the race on both backends and prints the section; 1 if any night was booked twice."""
    print(f"booking race: {ATTEMPTS} concurrent create_reservation for the last {ROOM_TYPE}, {ROUNDS} rounds/backend")
    backends = [rounds for rounds in (run_sqlite(), run_postgres()) if rounds]
    print("backend    round attempts   ok unavailable  other dup nights overlaps  p50 ms  p95 ms")
    verdicts, double_booked = [], False
    for rounds in backends:
        merged = total(rounds)
        print("\n".join(row(item) for item in [*rounds, merged]))
        bad = merged.duplicate_nights + merged.overlaps
        double_booked = double_booked or bad > 0
        winners = sum(item.successes == 1 for item in rounds)
        others = ", ".join(f"{name} x{count}" for name, count in sorted(merged.errors.items())) or "none"
        verdicts.append(
            f"{merged.backend}: double bookings {'NONE' if bad == 0 else f'FOUND ({bad})'}; "
            f"exactly one winner in {winners}/{len(rounds)} rounds; other errors: {others}"
        )
    print("\n".join(verdicts))
    return 1 if double_booked else 0


if __name__ == "__main__":
    sys.exit(main())
