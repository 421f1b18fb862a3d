"""Reading QloApps webservice replies (JSON) into the PMS port's value objects (no I/O of its own).

QloApps (a PrestaShop 1.6 descendant) answers JSON when asked (``output_format=JSON``). Its JSON is loosely
typed: numbers often arrive as strings ("95.000000"), an empty listing is ``[]`` instead of an object, and a
translatable field is either a string (one language installed) or ``[{"id": "1", "value": "..."}]``. Everything
here tolerates those shapes; anything else (Malformed, a missing key, a non-number) becomes PMSError through
``parsing()``, never quoting QloApps' reply. What QloApps is sent (XML bodies) is built in qloapps_xml.py, kept
apart because writes follow QloApps' XML rules, not the shapes of its replies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from actions import clock
from actions.pms.common import money, phone_digits
from actions.pms.models import Charge, Reservation, Status
from actions.pms.port import PMSError
from actions.profile_models import HotelProfile

# QloApps room-stay statuses (htl_booking_detail.id_status): 1 assigned, 2 checked in, 3 checked out, 5 cancelled.
STAY_STATUS: dict[int, Status] = {1: "confirmed", 2: "checked_in", 3: "checked_out", 4: "confirmed", 5: "cancelled"}
HHMM = re.compile(r"^\d\d:\d\d")


class Malformed(Exception):
    """A QloApps reply lacks a field or holds a value of the wrong shape."""


@contextmanager
def parsing(what: str) -> Iterator[None]:
    """Turns a reply of the wrong shape (missing field, wrong type) into PMSError naming only the call."""
    try:
        yield
    except (Malformed, KeyError, IndexError, TypeError, ValueError, InvalidOperation, AttributeError) as exc:
        raise PMSError(f"QloApps sent an unexpected reply ({what})") from exc


@dataclass(frozen=True)
class QloRoomType:
    """One QloApps room type (a product) mapped to one of our room-type codes."""

    code: str
    id_product: int
    name: str
    max_guests: int
    rate: Decimal


@dataclass(frozen=True)
class Catalog:
    """What rarely changes in QloApps: room types, rooms, currency and order states, loaded once per process."""

    types: dict[str, QloRoomType]  # our code -> QloApps room type
    by_product: dict[int, str]  # QloApps id_product -> our code
    rooms: dict[int, tuple[int, str]]  # QloApps id_room -> (room number, our code)
    room_ids: dict[int, int]  # room number -> QloApps id_room
    currency: str
    cancel_state: int  # order state that cancels (PS_OS_CANCELED)
    cancelled_states: frozenset[int]  # order states meaning "cancelled" (PS_OS_CANCELED, PS_OS_REFUND)


def ids(records: list[dict[str, Any]], field: str) -> list[int]:
    """An integer field of every record (e.g. the orders behind room stays), in order, without repeats."""
    with parsing(f"no {field}"):
        return list(dict.fromkeys(integer(record[field]) for record in records))


def customer_ids(customers: list[dict[str, Any]], field: str, wanted: str) -> set[int]:
    """Customers whose phone has the same digits (549… = 54…) or whose email is the same, ignoring case."""
    if field == "phone":
        return {integer(c["id"]) for c in customers if phone_digits(str(c.get("phone") or "")) == wanted}
    return {integer(c["id"]) for c in customers if str(c.get("email") or "").casefold() == wanted.casefold()}


def day_lists(reservations: list[Reservation], on: date) -> dict[str, list[Reservation]]:
    """Arrivals, departures and in-house guests of a day, by room number, cancelled bookings left out."""
    kept = sorted((item for item in reservations if item.status != "cancelled"), key=lambda item: item.room_number)
    return {
        "arrivals": [item for item in kept if item.check_in == on],
        "departures": [item for item in kept if item.check_out == on],
        "in_house": [item for item in kept if item.check_in <= on < item.check_out],
    }


def rows(data: Any, key: str) -> list[dict[str, Any]]:
    """The records of a listing (``{"key": [...]}``, or ``[]`` when QloApps found nothing)."""
    if data == [] or data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise Malformed(f"listing without {key}")
    return [item for item in data[key] if isinstance(item, dict)]


def as_list(value: Any) -> list[Any]:
    """A repeated node as a list, whatever way it was encoded (list, single object, wrapper, empty)."""
    if value in (None, "", []):
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (inner,) = value.values()
        if isinstance(inner, list | dict):
            return as_list(inner) if isinstance(inner, list) else [inner]
    return [value]


def integer(value: Any) -> int:
    """An integer field that QloApps may send as a string."""
    return int(str(value).strip())


def amount(value: Any) -> Decimal:
    """A price field (string or number) with two decimals."""
    return money(Decimal(str(value).strip()))  # not a number: InvalidOperation, reported by parsing()


def day(value: Any) -> date:
    """A QloApps date or date-time ("2025-07-08 00:00:00") as a date."""
    return date.fromisoformat(str(value).strip()[:10])


def hhmm(value: Any) -> str:
    """A time of day ("15:00" or "15:00:00") as HH:MM."""
    text = str(value).strip()
    if not HHMM.match(text):
        raise Malformed("expected a time of day")
    return text[:5]


def localized(value: Any) -> list[str]:
    """Every language's value of a translatable field."""
    if isinstance(value, str):
        return [value]
    return [str(item["value"]) for item in as_list(value) if isinstance(item, dict) and item.get("value")]


def join_name(first: str, last: str) -> str:
    """The guest's name back from QloApps' first and last name."""
    return last.strip() if first.strip() == last.strip() else f"{first.strip()} {last.strip()}".strip()


def build_catalog(
    profile: HotelProfile,
    hotel_id: int,
    room_types: list[dict[str, Any]],
    products: list[dict[str, Any]],
    rooms: list[dict[str, Any]],
    configuration: dict[str, str],
    currency: str,
    explicit_ids: Mapping[str, int],
) -> Catalog:
    """Maps QloApps room types to our codes (explicit id, else by name) and numbers their rooms.

    A room type maps to our code when ``explicit_ids`` names its product id, or when one of its names (any
    language) equals the code, or the profile's English or Spanish name, ignoring case. Unmapped types are
    left out: conserje does not sell them. Rooms must be numbered with digits only (our port's room numbers
    are integers); others are left out.
    """
    by_name: dict[str, str] = {}
    for code, room_type in profile.room_types.items():
        for name in (code, room_type.name.en, room_type.name.es):
            by_name[name.strip().casefold()] = code
    reverse = {product: code for code, product in explicit_ids.items()}
    names = {integer(item["id"]): localized(item.get("name")) for item in products}
    prices = {integer(item["id"]): amount(item["price"]) for item in products}
    types: dict[str, QloRoomType] = {}
    for row in room_types:
        if integer(row["id_hotel"]) != hotel_id:
            continue
        product = integer(row["id_product"])
        ours = reverse.get(product) or next(
            (by_name[n.strip().casefold()] for n in names.get(product, []) if n.strip().casefold() in by_name), None
        )
        if ours is None or ours in types or product not in prices:
            continue
        guests = integer(row.get("max_guests") or 0) or (
            integer(row.get("max_adults") or row.get("adults") or 0) + integer(row.get("max_children") or 0)
        )
        types[ours] = QloRoomType(ours, product, names[product][0], guests, prices[product])
    by_product = {item.id_product: code for code, item in types.items()}
    numbered: dict[int, tuple[int, str]] = {}
    for row in rooms:
        label = str(row.get("room_num", "")).strip()
        product = integer(row["id_product"])
        if product in by_product and label.isdigit():
            numbered[integer(row["id"])] = (int(label), by_product[product])
    try:
        cancel = int(configuration["PS_OS_CANCELED"])
        cancelled = {cancel} | ({int(configuration["PS_OS_REFUND"])} if configuration.get("PS_OS_REFUND") else set())
    except (KeyError, ValueError):
        raise Malformed("order states not configured") from None
    room_ids = {number: id_room for id_room, (number, _) in numbered.items()}
    return Catalog(types, by_product, numbered, room_ids, currency.upper(), cancel, frozenset(cancelled))


def ari_offers(data: Any, catalog: Catalog) -> tuple[str, dict[str, tuple[Decimal, Decimal, list[int]]]]:
    """Currency and, per our code, (nightly base price, stay total, free QloApps room ids) from a hotel_ari reply."""
    if not isinstance(data, dict) or not isinstance(data.get("hotel_ari"), dict):
        raise Malformed("hotel_ari reply without hotel_ari")
    ari = data["hotel_ari"]
    result: dict[str, tuple[Decimal, Decimal, list[int]]] = {}
    for item in as_list(ari.get("room_types")):
        code = catalog.by_product.get(integer(item["id_room_type"]))
        if code is None:
            continue
        free = [integer(room["id_room"]) for room in as_list((item.get("rooms") or {}).get("available"))]
        result[code] = (amount(item["base_price"]), amount(item["total_price"]), free)
    return str(ari.get("currency") or catalog.currency).upper(), result


def to_reservation(
    order: dict[str, Any], booking: dict[str, Any], stay: dict[str, Any], catalog: Catalog, tz: ZoneInfo
) -> Reservation:
    """One reservation from an order (code, state), its booking (guest, currency) and its first room stay."""
    room = catalog.rooms.get(integer(stay["id_room"]))
    code = catalog.by_product.get(integer(stay["id_product"]))
    if room is None or code is None:
        raise Malformed("booking on a room or room type conserje does not know")
    guest = booking["associations"]["customer_detail"]
    cancelled: Status | None = "cancelled" if integer(order["current_state"]) in catalog.cancelled_states else None
    check_in, check_out = day(stay["date_from"]), day(stay["date_to"])
    nights = max((check_out - check_in).days, 1)
    total = amount(stay["total_price_tax_excl"])
    created = datetime.fromisoformat(str(order["date_add"]).strip())
    return Reservation(
        code=str(order["reference"]).strip().upper(),
        room_type=code,
        room_number=room[0],
        check_in=check_in,
        check_out=check_out,
        guests=integer(stay.get("adults") or stay.get("adult") or 0) + integer(stay.get("children") or 0),
        guest_name=join_name(str(guest["firstname"]), str(guest["lastname"])),
        email=str(guest["email"]).strip().lower(),
        phone=phone_digits(str(guest.get("phone") or "")),
        status=cancelled or STAY_STATUS.get(integer(stay["id_status"]), "confirmed"),
        nightly_rate=money(total / nights),
        total=total,
        currency=str(booking["currency"]).upper(),
        checkin_time=hhmm(stay["check_in_time"]),
        checkout_time=hhmm(stay["check_out_time"]),
        created_at=created if created.tzinfo else created.replace(tzinfo=tz),
    )


# A charge's idempotency key travels in its service name: keyed_name writes it, folio_lines reads it back.
KEYED = re.compile(r"^(?P<name>.*) \(ref (?P<key>[A-Za-z0-9-]{1,64})\)$")


def keyed_name(name: str, key: str) -> str:
    """A service name carrying an idempotency key, within QloApps' 128 characters."""
    if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", key):
        raise ValueError("an idempotency key is 1-64 letters, digits or dashes")
    suffix = f" (ref {key})"
    return name[: 128 - len(suffix)] + suffix


def folio_lines(booking: dict[str, Any], code: str, currency: str) -> list[Charge]:
    """Every service line of a booking's rooms, with the idempotency key read back from its name."""
    lines = []
    for room_type in as_list(booking["associations"]["room_types"]):
        for room in as_list(room_type["rooms"]):
            for service in as_list(room.get("services")):
                name = str(service["name"])
                keyed = KEYED.match(name)
                total = service.get("total_price_without_tax")
                if total is None:
                    total = Decimal(str(service["unit_price_without_tax"])) * int(service.get("quantity") or 1)
                lines.append(
                    Charge(
                        code,
                        keyed["name"] if keyed else name,
                        amount(total),
                        currency,
                        clock.now(),
                        keyed["key"] if keyed else None,
                    )
                )
    return lines
