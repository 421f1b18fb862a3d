"""The PMS port over QloApps' webservice (QloApps 1.7, https://devdocs.qloapps.com/webservice/): its operations.

This module turns each operation of the port into calls on the QloApps resources below. Around it, in modules of
their own so each reads on its own: the HTTP transport (URL, Basic auth, the shared session, timeouts, statuses)
in qloapps_client.py; reading the catalog and a reservation (order, booking, room stays) in qloapps_reader.py;
replies parsed in qloapps_json.py; request bodies built in qloapps_xml.py.

Resources and fields used, and why:
    hotel_room_types  id_product, id_hotel, max_guests (else max_adults + max_children): the hotel's room types
                      and their capacity (filter id_hotel = QLOAPPS_HOTEL_ID).
    room_types        id, name (any language), price: names map QloApps types to our codes; price is the rate.
    hotel_rooms       id, id_product, room_num: room numbers (digits only) and their type.
    configurations    PS_OS_CANCELED, PS_OS_REFUND, PS_CURRENCY_DEFAULT: state and currency ids vary per install;
    currencies/{id}   iso_code: the shop currency, for room_types().
    hotel_ari POST    id_hotel, date_from, date_to, id_room_type, room_occupancies -> room_types[] base_price,
                      total_price, rooms.available[]: QloApps' own availability & rates search.
    bookings POST     id_property, currency, booking_status 1, payment_status 3 (awaiting), source, customer_detail
                      (firstname, lastname, email, phone), room_types[] (id_room_type, checkin_date, checkout_date,
                      number_of_rooms 1, rooms[] adults, id_room when staff chose): the documented booking API.
    bookings/{id}     GET currency and customer_detail; GET room services (QloApps' folio) for folio; PUT them for
                      post_charge. PUT replaces rooms and services, so every existing one is sent back. The
                      idempotency key of a charge travels in the service name ("... (ref KEY)").
    orders            id, reference, current_state, id_customer, date_add: the order reference (9 letters, what
                      QloApps shows guests) is our booking code; current_state tells cancellation.
    order_histories   POST id_order, id_order_state: cancelling is an order state change, as in the back office.
    customers         id, email (=), phone (LIKE on the last 4 digits, then exact digits with 549 = 54 here).
    room_bookings     hotelreservationsystem's room stays (htl_booking_detail): id, id_order, id_product, id_room,
                      date_from, date_to, adults, children, id_status (1 assigned, 2 checked in, 3 checked out),
                      check_in, check_out, check_in_time, check_out_time, total_price_tax_excl. Read for every
                      reservation, filtered by date for reservations_on / next_arrival, PUT for set_times and
                      set_status. Older module releases name it ``bookings``: set STAY_RESOURCE for those.

Room types map to our codes through ``room_type_ids`` {code: id_product} when given, else by name (see
qloapps_json.build_catalog). A reservation is one order with one room (what conserje books; for other orders
the first room). Dates and stamps are hotel time (QloApps stores the shop's local time). QloApps checks
availability, then books, without a lock: this adapter serialises its own bookings; simultaneous bookings from the
hotel's website are QloApps' to arbitrate.

Errors: transport failures, timeouts, HTTP 401/5xx, malformed or incomplete replies -> PMSError (naming the
resource, never QloApps' text nor guest data); a refused booking with no free room left -> RoomUnavailable; a
booking QloApps does not know -> None / ReservationNotFound.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp

from actions import clock
from actions.pms import qloapps_json as qj
from actions.pms import qloapps_xml as qx
from actions.pms.common import check_stay, money, phone_digits
from actions.pms.models import BookingRequest, Cancellation, Charge, Offer, Reservation, RoomTypeInfo, Status
from actions.pms.port import PMS, InvalidStay, PMSError, ReservationNotFound, RoomUnavailable
from actions.pms.qloapps_client import QloAppsClient, Refused
from actions.pms.qloapps_reader import QloAppsReader
from actions.profile_models import HotelProfile

SAFE_FILTER = re.compile(r"^[^\[\]|%,!<>]+$")  # a value that cannot change a QloApps filter's meaning


class QloAppsPMS(PMS):
    """PMS port on a QloApps hotel, through its webservice."""

    STAY_RESOURCE = "room_bookings"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        hotel_id: int,
        profile: HotelProfile,
        timeout: float,
        session: aiohttp.ClientSession | None = None,
        room_type_ids: Mapping[str, int] | None = None,
    ) -> None:
        """Configures the adapter; nothing is connected until the first call.

        Args:
            base_url: the QloApps site (``https://hotel.example``); ``/api`` is added.
            api_key: the webservice key (sent as Basic auth user name).
            hotel_id: the QloApps hotel (``id_property``) this assistant serves.
            profile: the hotel profile (room-type names, time zone, policies).
            timeout: seconds allowed for each request.
            session: the process's shared session; when None one is created on first use and closed by close().
            room_type_ids: optional {our room-type code: QloApps id_product}, overriding the match by name.
        """
        self._client = QloAppsClient(base_url, api_key, timeout, session)
        self.hotel_id = hotel_id
        self.profile = profile
        self._reader = QloAppsReader(self._client, hotel_id, profile, room_type_ids or {}, self.STAY_RESOURCE)
        self._booking_lock = asyncio.Lock()
        self._charge_lock = asyncio.Lock()

    async def close(self) -> None:
        """Closes the session this adapter created (a session passed in belongs to its owner)."""
        await self._client.close()

    # -- the port ----------------------------------------------------------------------------------------------

    async def room_types(self) -> list[RoomTypeInfo]:
        """Room types of the hotel that map to our codes, in the profile's order."""
        catalog = await self._reader.catalog()
        return [
            RoomTypeInfo(code, item.name, item.max_guests, item.rate, catalog.currency)
            for code in self.profile.room_types
            if (item := catalog.types.get(code))
        ]

    async def availability(
        self, check_in: date, check_out: date, guests: int, room_type: str | None = None
    ) -> list[Offer]:
        """One offer per type with a room free on every night, from QloApps' hotel_ari search."""
        check_stay(check_in, check_out, guests)
        catalog = await self._reader.catalog()
        wanted = [
            code
            for code, item in catalog.types.items()
            if (room_type is None or code == room_type) and item.max_guests >= guests
        ]
        if not wanted:
            return []
        product = catalog.types[room_type].id_product if room_type else None
        currency, found = await self._reader.ari(check_in, check_out, guests, product)
        return [
            Offer(code, check_in, check_out, guests, found[code][0], found[code][1], currency, len(found[code][2]))
            for code in self.profile.room_types
            if code in wanted and code in found and found[code][2]
        ]

    async def create_reservation(self, request: BookingRequest) -> Reservation:
        """Books one room through the bookings API; RoomUnavailable when QloApps has none free any more."""
        check_stay(request.check_in, request.check_out, request.guests)
        catalog = await self._reader.catalog()
        item = catalog.types.get(request.room_type)
        if item is None or item.max_guests < request.guests:
            raise InvalidStay("unknown room type or too many guests for it")
        id_room = None
        if request.room_number:
            id_room = catalog.room_ids.get(request.room_number)
            if id_room is None or catalog.rooms[id_room][1] != request.room_type:
                raise RoomUnavailable(request.room_type)
        booking = qx.booking_body(request, self.hotel_id, catalog.currency, item.id_product, id_room)
        refused = False
        async with self._booking_lock:
            try:
                data = await self._client.call("POST", "bookings", xml=booking)
            except Refused:
                refused = True
        if refused:
            _, found = await self._reader.ari(request.check_in, request.check_out, request.guests, item.id_product)
            free = found.get(request.room_type, (None, None, []))[2]
            if not free or (id_room is not None and id_room not in free):
                raise RoomUnavailable(request.room_type)
            raise PMSError("QloApps refused the booking although a room is free")
        with qj.parsing("POST bookings"):
            order_id = qj.integer(data["booking"]["id"])
        return await self._reader.reload(order_id)

    async def get_reservation(self, code: str) -> Reservation | None:
        """The reservation with that code (QloApps order reference), or None."""
        order_id = await self._reader.order_id(code)
        return await self._reader.load(order_id) if order_id else None

    async def find_reservations(self, phone: str | None = None, email: str | None = None) -> list[Reservation]:
        """Reservations of the customers with that phone (digits, 549… = 54…) and/or email (any case)."""
        digits, address = phone_digits(phone), (email or "").strip()
        if (not digits and not address) or (address and not SAFE_FILTER.match(address)):
            return []
        searches = [("phone", f"%[{digits[-4:]}]%", digits)] if digits else []
        searches += [("email", f"[{address}]", address)] if address else []
        matches = []
        for field, spec, wanted in searches:
            query = {f"filter[{field}]": spec, "display": f"[id,{field}]"}
            found = await self._client.listing("customers", "customers", query)
            with qj.parsing("GET customers"):
                matches.append(qj.customer_ids(found, field, wanted))
        customers = set.intersection(*matches)
        if not customers:
            return []
        ids = "[" + "|".join(str(customer) for customer in sorted(customers)) + "]"
        orders = await self._client.listing("orders", "orders", {"filter[id_customer]": ids, "display": "[id]"})
        found_orders = await self._reader.load_many(qj.ids(orders, "id"))
        return sorted(found_orders, key=lambda item: (item.check_in, item.code))

    async def cancel_reservation(self, code: str, now: datetime) -> Cancellation:
        """Cancels the order (state PS_OS_CANCELED); free until the policy's deadline, else the first night."""
        order_id, reservation = await self._reader.require(code)
        free = now < self.profile.cancellation_deadline(reservation.check_in)
        if reservation.status == "confirmed":
            await self._set_order_state(order_id, (await self._reader.catalog()).cancel_state)
            reservation = await self._reader.reload(order_id)
        return Cancellation(reservation, free, money(0) if free else reservation.nightly_rate)

    async def _set_order_state(self, order_id: int, state: int) -> None:
        body = qx.to_xml("order_history", {"id_order": order_id, "id_order_state": state})
        await self._client.call("POST", "order_histories", xml=body)

    async def next_arrival(self, room_number: int, day: date) -> Reservation | None:
        """A non-cancelled reservation arriving in that room that day."""
        id_room = (await self._reader.catalog()).room_ids.get(room_number)
        if id_room is None:
            return None
        stays = await self._reader.stays(
            {"filter[id_room]": f"[{id_room}]", "filter[date_from]": f"[{day.isoformat()}]%"}
        )
        for reservation in await self._reader.load_many(qj.ids(stays, "id_order")):
            if reservation.status != "cancelled" and reservation.check_in == day:
                return reservation
        return None

    async def _update_stays(self, code: str, changes: Mapping[str, Any]) -> Reservation:
        """Rewrites the room stays of a booking with ``changes`` (QloApps' PUT takes the whole record)."""
        order_id = await self._reader.order_id(code)
        stays = await self._reader.stays({"filter[id_order]": f"[{order_id}]"}) if order_id else []
        if order_id is None or not stays:
            raise ReservationNotFound(code)
        for stay in stays:
            record = {key: value for key, value in stay.items() if key != "associations"} | dict(changes)
            try:
                await self._client.call("PUT", f"{self.STAY_RESOURCE}/{stay['id']}", xml=qx.to_xml("booking", record))
            except Refused as exc:
                raise PMSError(f"QloApps rejected the change ({self.STAY_RESOURCE})") from exc
        return await self._reader.reload(order_id)

    async def set_times(
        self, code: str, checkin_time: str | None = None, checkout_time: str | None = None
    ) -> Reservation:
        """Updates the stay's check-in and/or check-out time."""
        changes = {"check_in_time": checkin_time, "check_out_time": checkout_time}
        return await self._update_stays(code, {key: value for key, value in changes.items() if value})

    async def post_charge(self, code: str, description: str, amount: Decimal, key: str | None = None) -> Charge:
        """Adds a service line (QloApps' folio) to the booking's room, keeping every existing line.

        QloApps has no idempotency key of its own: the key is written into the service name ("... (ref KEY)"),
        and a line already carrying it is returned instead of adding another. Calls of this process are
        serialised, so two concurrent confirmations cannot both miss the line.
        """
        order_id, reservation = await self._reader.require(code)
        name = qx.clean_description(description)
        if key is not None:
            name = qj.keyed_name(name, key)
        async with self._charge_lock:
            reply = await self._client.call("GET", f"bookings/{order_id}")
            with qj.parsing("GET bookings"):
                existing = qj.folio_lines(reply["booking"], reservation.code, reservation.currency)
                body = qx.with_service(reply["booking"], self.hotel_id, name, money(amount))
            for charge in existing:
                if key is not None and charge.key == key:
                    return charge
            try:
                await self._client.call("PUT", f"bookings/{order_id}", xml=body)
            except Refused as exc:
                raise PMSError("QloApps rejected the charge (bookings)") from exc
        return Charge(reservation.code, description, money(amount), reservation.currency, clock.now(), key)

    async def folio(self, code: str) -> list[Charge]:
        """The service lines of the booking's rooms (QloApps stamps none: ``posted_at`` is when they were read)."""
        order_id, reservation = await self._reader.require(code)
        reply = await self._client.call("GET", f"bookings/{order_id}")
        with qj.parsing("GET bookings"):
            return qj.folio_lines(reply["booking"], reservation.code, reservation.currency)

    async def set_status(self, code: str, status: Status) -> Reservation:
        """Check-in / check-out on the room stay (with the hotel-time stamp); cancelled cancels the order."""
        if status == "cancelled":
            order_id, reservation = await self._reader.require(code)
            if reservation.status != "cancelled":
                await self._set_order_state(order_id, (await self._reader.catalog()).cancel_state)
            return await self._reader.reload(order_id)
        changes: dict[str, Any] = {"id_status": qx.STATUS_CODES[status]}
        now = clock.now(self.profile.tz).strftime("%Y-%m-%d %H:%M:%S")  # QloApps stores hotel (shop) time
        if status == "checked_in":
            changes["check_in"] = now
        elif status == "checked_out":
            changes["check_out"] = now
        return await self._update_stays(code, changes)

    async def reservations_on(self, day: date) -> dict[str, list[Reservation]]:
        """Arrivals, departures and in-house guests of a day (cancelled bookings left out)."""
        before, after = (f"{(day + timedelta(days=shift)).isoformat()} 00:00:00" for shift in (1, -1))
        stays = await self._reader.stays({"filter[date_from]": f"<[{before}]", "filter[date_to]": f">[{after}]"})
        return qj.day_lists(await self._reader.load_many(qj.ids(stays, "id_order")), day)
