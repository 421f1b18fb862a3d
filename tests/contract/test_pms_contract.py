"""The PMS port's contract, run against every adapter (see conftest.py): same inputs, same observable answers.

Dates are far in the future (March 2031) so nothing depends on today's date; the cancellation tests pass ``now``
explicitly, in the hotel's time zone and in UTC.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from actions.pms.models import BookingRequest, Reservation
from actions.pms.port import PMS, InvalidStay, PMSError, ReservationNotFound, RoomUnavailable
from actions.pms.qloapps import QloAppsPMS
from actions.profile_models import HotelProfile
from tests.contract.conftest import API_KEY
from tests.fakes.qloapps import QloAppsFake

BASE = date(2031, 3, 10)  # a Monday; check-in hour 15:00, free cancellation until 48 h before


def day(offset: int) -> date:
    """A day relative to BASE."""
    return BASE + timedelta(days=offset)


async def book(
    pms: PMS,
    room_type: str = "double",
    start: int = 0,
    nights: int = 2,
    guests: int = 2,
    name: str = "Ana María García",
    email: str = "ana@example.com",
    phone: str | None = "+54 9 11 5555-1234",
    room_number: int | None = None,
) -> Reservation:
    """Books a stay of ``nights`` from day(start)."""
    request = BookingRequest(room_type, day(start), day(start + nights), guests, name, email, phone, room_number)
    return await pms.create_reservation(request)


def rate(profile: HotelProfile, room_type: str) -> Decimal:
    """The profile's nightly rate, with cents."""
    return Decimal(str(profile.room_types[room_type].rate)).quantize(Decimal("0.01"))


# -- room types and availability ------------------------------------------------------------------------------


async def test_room_types_match_the_profile(pms: PMS, profile: HotelProfile) -> None:
    types = await pms.room_types()
    assert [item.code for item in types] == list(profile.room_types)
    for item in types:
        assert item.max_guests == profile.room_types[item.code].max_guests
        assert item.nightly_rate == rate(profile, item.code)
        assert item.currency == profile.hotel.currency


async def test_availability_offers_every_type_with_totals(pms: PMS, profile: HotelProfile) -> None:
    offers = await pms.availability(day(0), day(3), 2)
    assert [offer.room_type for offer in offers] == list(profile.room_types)
    for offer in offers:
        assert offer.rooms_left == len(profile.room_types[offer.room_type].rooms)
        assert offer.nightly_rate == rate(profile, offer.room_type)
        assert offer.total == offer.nightly_rate * 3 == rate(profile, offer.room_type) * offer.nights
        assert (offer.check_in, offer.check_out, offer.guests, offer.currency) == (day(0), day(3), 2, "USD")


async def test_availability_of_one_type(pms: PMS) -> None:
    offers = await pms.availability(day(0), day(1), 1, room_type="twin")
    assert [(offer.room_type, offer.rooms_left, offer.total) for offer in offers] == [("twin", 8, Decimal("95.00"))]


async def test_availability_leaves_out_types_too_small_for_the_party(pms: PMS) -> None:
    assert [offer.room_type for offer in await pms.availability(day(0), day(2), 3)] == ["family", "junior_suite"]
    assert [offer.room_type for offer in await pms.availability(day(0), day(2), 4)] == ["family"]
    assert await pms.availability(day(0), day(2), 5) == []
    assert await pms.availability(day(0), day(2), 3, room_type="double") == []


async def test_rooms_left_decrease_after_booking(pms: PMS) -> None:
    (before,) = await pms.availability(day(0), day(2), 2, room_type="superior_king")
    await book(pms, "superior_king", start=1, nights=3)  # overlaps night day(1) only
    (after,) = await pms.availability(day(0), day(2), 2, room_type="superior_king")
    (elsewhere,) = await pms.availability(day(4), day(6), 2, room_type="superior_king")
    assert (before.rooms_left, after.rooms_left, elsewhere.rooms_left) == (6, 5, 6)


async def test_a_type_fully_booked_is_not_offered(pms: PMS) -> None:
    for _ in range(3):
        await book(pms, "junior_suite", guests=3)
    assert [offer.room_type for offer in await pms.availability(day(0), day(2), 3)] == ["family"]
    with pytest.raises(RoomUnavailable):
        await book(pms, "junior_suite", start=1, nights=1)


@pytest.mark.parametrize(("check_in", "check_out"), [(day(2), day(2)), (day(3), day(2))])
async def test_check_out_must_follow_check_in(pms: PMS, check_in: date, check_out: date) -> None:
    with pytest.raises(InvalidStay):
        await pms.availability(check_in, check_out, 2)
    with pytest.raises(InvalidStay):
        await pms.create_reservation(BookingRequest("double", check_in, check_out, 2, "Ana García", "a@example.com"))


async def test_too_many_guests_for_the_type_is_an_invalid_stay(pms: PMS) -> None:
    with pytest.raises(InvalidStay):
        await book(pms, "double", guests=3)


# -- booking and reading back ---------------------------------------------------------------------------------


async def test_create_assigns_a_room_and_a_code(pms: PMS, profile: HotelProfile) -> None:
    reservation = await book(pms, "family", nights=3, guests=4)
    assert reservation.room_number in profile.room_types["family"].rooms
    assert reservation.code.isalnum() and reservation.code.isupper() and 4 <= len(reservation.code) <= 16
    assert (reservation.room_type, reservation.check_in, reservation.check_out) == ("family", day(0), day(3))
    assert (reservation.guests, reservation.status, reservation.currency) == (4, "confirmed", "USD")
    assert reservation.guest_name == "Ana María García" and reservation.surname == "García"
    assert reservation.email == "ana@example.com"
    assert reservation.nightly_rate == rate(profile, "family")
    assert reservation.total == rate(profile, "family") * 3
    assert (reservation.checkin_time, reservation.checkout_time) == ("15:00", "11:00")
    assert reservation.created_at.tzinfo is not None


async def test_staff_may_choose_the_room(pms: PMS) -> None:
    reservation = await book(pms, "double", room_number=205)
    assert reservation.room_number == 205
    with pytest.raises(RoomUnavailable):
        await book(pms, "double", start=1, room_number=205)


async def test_two_bookings_get_different_rooms_and_codes(pms: PMS) -> None:
    first, second = await book(pms, "twin"), await book(pms, "twin")
    assert first.room_number != second.room_number and first.code != second.code


async def test_get_reservation(pms: PMS) -> None:
    reservation = await book(pms, "twin", name="Bob")
    assert await pms.get_reservation(reservation.code) == reservation
    assert await pms.get_reservation(reservation.code.lower()) == reservation
    assert reservation.guest_name == "Bob"
    assert await pms.get_reservation("ZZZZZZ") is None


async def test_find_by_phone_in_both_argentine_forms(pms: PMS) -> None:
    reservation = await book(pms, phone="+54 9 11 5555-1234")
    await book(pms, name="Carla Díaz", email="carla@example.com", phone="+54 9 11 4444-1234")
    for phone in ("5491155551234", "541155551234", "+54 11 5555-1234"):
        assert [item.code for item in await pms.find_reservations(phone=phone)] == [reservation.code]
    assert await pms.find_reservations(phone="+54 9 11 5555-9999") == []


async def test_find_by_email_ignores_case(pms: PMS) -> None:
    first = await book(pms, email="Ana@Example.com")
    second = await book(pms, start=5, email="ana@example.com")
    await book(pms, name="Carla Díaz", email="carla@example.com", phone=None)
    found = await pms.find_reservations(email="ANA@example.COM")
    assert [item.code for item in found] == [first.code, second.code]
    assert await pms.find_reservations(email="nobody@example.com") == []
    assert await pms.find_reservations() == []


# -- cancellation ---------------------------------------------------------------------------------------------


async def test_cancel_before_the_deadline_is_free(pms: PMS, profile: HotelProfile) -> None:
    reservation = await book(pms, "superior_king", start=0, nights=2)
    deadline = datetime(2031, 3, 8, 15, 0, tzinfo=profile.tz)  # 48 h before 15:00 on arrival day, hotel time
    cancellation = await pms.cancel_reservation(reservation.code, deadline - timedelta(minutes=1))
    assert cancellation.free and cancellation.penalty == Decimal("0.00")
    assert cancellation.reservation.status == "cancelled"
    assert (await pms.get_reservation(reservation.code)).status == "cancelled"  # type: ignore[union-attr]
    (offer,) = await pms.availability(day(0), day(2), 2, room_type="superior_king")
    assert offer.rooms_left == 6  # the nights are free again


async def test_cancel_after_the_deadline_charges_the_first_night(pms: PMS, profile: HotelProfile) -> None:
    reservation = await book(pms, "junior_suite", start=0, nights=3, guests=3)
    late = datetime(2031, 3, 8, 18, 1, tzinfo=timezone.utc)  # 15:01 in Buenos Aires (UTC-3)
    cancellation = await pms.cancel_reservation(reservation.code, late)
    assert not cancellation.free and cancellation.penalty == rate(profile, "junior_suite")
    assert cancellation.reservation.status == "cancelled"


async def test_cancel_in_utc_just_before_the_deadline_is_free(pms: PMS) -> None:
    reservation = await book(pms)
    cancellation = await pms.cancel_reservation(reservation.code, datetime(2031, 3, 8, 17, 59, tzinfo=timezone.utc))
    assert cancellation.free


async def test_cancel_unknown_code(pms: PMS) -> None:
    with pytest.raises(ReservationNotFound):
        await pms.cancel_reservation("ZZZZZZ", datetime(2031, 1, 1, tzinfo=timezone.utc))


# -- operations -----------------------------------------------------------------------------------------------


async def test_next_arrival(pms: PMS) -> None:
    reservation = await book(pms, "double", start=0, room_number=101)
    assert (await pms.next_arrival(101, day(0))) == reservation
    assert await pms.next_arrival(101, day(1)) is None
    assert await pms.next_arrival(102, day(0)) is None
    assert await pms.next_arrival(999, day(0)) is None
    await pms.cancel_reservation(reservation.code, datetime(2031, 1, 1, tzinfo=timezone.utc))
    assert await pms.next_arrival(101, day(0)) is None


async def test_set_times(pms: PMS) -> None:
    reservation = await book(pms)
    changed = await pms.set_times(reservation.code, checkin_time="13:00")
    assert (changed.checkin_time, changed.checkout_time) == ("13:00", "11:00")
    changed = await pms.set_times(reservation.code, checkout_time="14:00")
    assert (changed.checkin_time, changed.checkout_time) == ("13:00", "14:00")
    assert await pms.get_reservation(reservation.code) == changed
    with pytest.raises(ReservationNotFound):
        await pms.set_times("ZZZZZZ", checkin_time="13:00")


async def test_post_charge(pms: PMS) -> None:
    reservation = await book(pms)
    charge = await pms.post_charge(reservation.code, "Late checkout 14:00", Decimal("47.5"))
    assert (charge.reservation_code, charge.description) == (reservation.code, "Late checkout 14:00")
    assert (charge.amount, charge.currency) == (Decimal("47.50"), "USD")
    assert charge.posted_at.tzinfo is not None
    second = await pms.post_charge(reservation.code, "Minibar", Decimal("10"))
    assert second.amount == Decimal("10.00")
    assert await pms.get_reservation(reservation.code) == reservation  # the stay itself is unchanged
    with pytest.raises(ReservationNotFound):
        await pms.post_charge("ZZZZZZ", "Minibar", Decimal("1"))


async def test_post_charge_with_a_key_posts_once(pms: PMS) -> None:
    reservation = await book(pms)
    first = await pms.post_charge(reservation.code, "Late checkout 13:00", Decimal("23.75"), key="stay-7")
    again = await pms.post_charge(reservation.code, "Late checkout 13:00", Decimal("23.75"), key="stay-7")
    other = await pms.post_charge(reservation.code, "Early check-in 12:00", Decimal("23.75"), key="stay-8")
    unkeyed = await pms.post_charge(reservation.code, "Minibar", Decimal("4"))
    assert (first.key, again.key, other.key, unkeyed.key) == ("stay-7", "stay-7", "stay-8", None)
    assert (again.description, again.amount) == ("Late checkout 13:00", Decimal("23.75"))
    lines = await pms.folio(reservation.code)
    assert [(line.description, line.amount, line.key) for line in lines] == [
        ("Late checkout 13:00", Decimal("23.75"), "stay-7"),
        ("Early check-in 12:00", Decimal("23.75"), "stay-8"),
        ("Minibar", Decimal("4.00"), None),
    ]
    assert all(line.currency == "USD" and line.reservation_code == reservation.code for line in lines)


async def test_concurrent_charges_with_one_key_post_once(pms: PMS) -> None:
    reservation = await book(pms)
    charges = await asyncio.gather(
        *(pms.post_charge(reservation.code, "Late checkout 14:00", Decimal("47.50"), key="race-1") for _ in range(5))
    )
    assert {charge.key for charge in charges} == {"race-1"}
    assert [line.key for line in await pms.folio(reservation.code)] == ["race-1"]


async def test_folio_of_a_new_booking_is_empty_and_unknown_codes_are_not_found(pms: PMS) -> None:
    reservation = await book(pms)
    assert await pms.folio(reservation.code) == []
    with pytest.raises(ReservationNotFound):
        await pms.folio("ZZZZZZ")


async def test_set_status_check_in_and_out(pms: PMS) -> None:
    reservation = await book(pms)
    assert (await pms.set_status(reservation.code, "checked_in")).status == "checked_in"
    assert (await pms.get_reservation(reservation.code)).status == "checked_in"  # type: ignore[union-attr]
    assert (await pms.set_status(reservation.code, "checked_out")).status == "checked_out"
    assert (await pms.get_reservation(reservation.code)).status == "checked_out"  # type: ignore[union-attr]
    with pytest.raises(ReservationNotFound):
        await pms.set_status("ZZZZZZ", "checked_in")


async def test_reservations_on_a_day(pms: PMS) -> None:
    leaving = await book(pms, "double", start=0, nights=2, room_number=104)
    arriving = await book(pms, "double", start=2, nights=2, room_number=102, email="b@example.com", phone=None)
    staying = await book(pms, "twin", start=1, nights=3, room_number=110, email="c@example.com", phone=None)
    cancelled = await book(pms, "twin", start=2, nights=1, email="d@example.com", phone=None)
    await pms.cancel_reservation(cancelled.code, datetime(2031, 1, 1, tzinfo=timezone.utc))
    today = await pms.reservations_on(day(2))
    assert [item.code for item in today["arrivals"]] == [arriving.code]
    assert [item.code for item in today["departures"]] == [leaving.code]
    assert [item.code for item in today["in_house"]] == [arriving.code, staying.code]  # by room number
    assert await pms.reservations_on(day(9)) == {"arrivals": [], "departures": [], "in_house": []}


# -- the last room ----------------------------------------------------------------------------------------------


async def test_the_last_room_goes_to_exactly_one_of_a_hundred(pms: PMS) -> None:
    await book(pms, "junior_suite", start=0, nights=6, guests=3, room_number=401)
    await book(pms, "junior_suite", start=0, nights=6, guests=3, room_number=402)
    requests = [  # overlapping stays: every one contains the night of day(2)
        BookingRequest(
            "junior_suite",
            day(i % 3),
            day(3 + i % 2),
            2,
            f"Guest {i}",
            f"guest{i}@example.com",
            f"+54 9 11 6000-{i:04d}",
        )
        for i in range(100)
    ]
    outcomes = await asyncio.gather(*(pms.create_reservation(r) for r in requests), return_exceptions=True)
    winners = [item for item in outcomes if isinstance(item, Reservation)]
    losers = [item for item in outcomes if isinstance(item, RoomUnavailable)]
    assert (len(winners), len(losers)) == (1, 99), [type(item).__name__ for item in outcomes]
    assert winners[0].room_number == 403
    for offset in range(-1, 7):
        in_house = [item.room_number for item in (await pms.reservations_on(day(offset)))["in_house"]]
        assert len(in_house) == len(set(in_house)), f"a room is booked twice on {day(offset)}"
    assert sorted(item.room_number for item in (await pms.reservations_on(day(2)))["in_house"]) == [401, 402, 403]


# -- QloApps only: the webservice failing ------------------------------------------------------------------------


async def test_qloapps_wrong_key_is_a_pms_error(fake: QloAppsFake, profile: HotelProfile) -> None:
    pms = QloAppsPMS(fake.url, "WRONGKEY" * 4, fake.hotel_id, profile, timeout=5)
    try:
        with pytest.raises(PMSError, match="401") as error:
            await pms.room_types()
        assert "WRONGKEY" not in str(error.value)
    finally:
        await pms.close()


async def test_qloapps_down_is_a_pms_error(fake: QloAppsFake, profile: HotelProfile) -> None:
    pms = QloAppsPMS(fake.url, API_KEY, fake.hotel_id, profile, timeout=5)
    try:
        assert await pms.room_types()
        await fake.stop()
        with pytest.raises(PMSError):
            await pms.availability(day(0), day(1), 2)
        with pytest.raises(PMSError):
            await pms.get_reservation("ABCDEFGHI")
    finally:
        await pms.close()


@pytest.mark.parametrize("garbage", ["invalid_json", "server_error", "empty"])
async def test_qloapps_garbage_is_a_pms_error_without_backend_text(
    fake: QloAppsFake, profile: HotelProfile, garbage: str
) -> None:
    pms = QloAppsPMS(fake.url, API_KEY, fake.hotel_id, profile, timeout=5)
    try:
        fake.garbage = garbage
        with pytest.raises(PMSError) as first:  # while loading room types
            await pms.room_types()
        fake.garbage = None
        await pms.room_types()
        fake.garbage = garbage
        with pytest.raises(PMSError) as second:  # on a later call
            await pms.availability(day(0), day(1), 2)
        for error in (first.value, second.value):
            assert not any(text in str(error) for text in ("Fatal", "SQLSTATE", "guest@example.com", "549"))
    finally:
        await pms.close()


async def test_qloapps_slower_than_the_timeout_is_a_pms_error(fake: QloAppsFake, profile: HotelProfile) -> None:
    pms = QloAppsPMS(fake.url, API_KEY, fake.hotel_id, profile, timeout=0.3)
    try:
        fake.delay = 2.0
        started = time.monotonic()
        with pytest.raises(PMSError, match="in time"):
            await pms.room_types()
        assert time.monotonic() - started < 1.5
    finally:
        await pms.close()


async def test_qloapps_shares_one_session_and_closes_only_its_own(fake: QloAppsFake, profile: HotelProfile) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as shared:
        pms = QloAppsPMS(fake.url, API_KEY, fake.hotel_id, profile, timeout=5, session=shared)
        await pms.room_types()
        await pms.close()
        assert not shared.closed
    own = QloAppsPMS(fake.url, API_KEY, fake.hotel_id, profile, timeout=5)
    await own.room_types()
    session = own._client._session  # the session the adapter's client opened itself
    await own.close()
    assert session is not None and session.closed


async def test_qloapps_explicit_room_type_ids_override_names(fake: QloAppsFake, profile: HotelProfile) -> None:
    fake.products[11]["name"] = [{"id": "1", "value": "Something else"}]  # no longer matches "double" by name
    by_name = QloAppsPMS(fake.url, API_KEY, fake.hotel_id, profile, timeout=5)
    by_id = QloAppsPMS(fake.url, API_KEY, fake.hotel_id, profile, timeout=5, room_type_ids={"double": 11})
    try:
        assert "double" not in [item.code for item in await by_name.room_types()]
        assert "double" in [item.code for item in await by_id.room_types()]
    finally:
        await by_name.close()
        await by_id.close()


async def test_qloapps_fake_lets_one_of_many_independent_clients_book_the_last_room(
    fake: QloAppsFake, profile: HotelProfile
) -> None:
    """Without the adapter's own lock (separate adapters, like the website and the assistant) one booking wins."""
    clients = [QloAppsPMS(fake.url, API_KEY, fake.hotel_id, profile, timeout=10) for _ in range(20)]
    try:
        for number in (401, 402):
            await book(clients[0], "junior_suite", nights=4, guests=3, room_number=number)
        await asyncio.gather(*(client.availability(day(0), day(1), 2) for client in clients))  # all warmed up
        requests = [
            BookingRequest("junior_suite", day(i % 2), day(2 + i % 3), 2, f"Guest {i}", f"g{i}@example.com")
            for i in range(40)
        ]
        outcomes = await asyncio.gather(
            *(clients[i % 20].create_reservation(r) for i, r in enumerate(requests)), return_exceptions=True
        )
        assert sum(isinstance(item, Reservation) for item in outcomes) == 1
        assert sum(isinstance(item, RoomUnavailable) for item in outcomes) == 39
        assert [stay["room_num"] for stay in fake.stays.values()] == ["401", "402", "403"]  # one stay per room
    finally:
        for client in clients:
            await client.close()
