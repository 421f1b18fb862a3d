"""Building the XML bodies of QloApps webservice writes (bookings, room stays, order states, searches).

QloApps reads writes as XML (``<qloapps><booking>...</booking></qloapps>``), with lists written as repeated child
tags; its object resources parse nothing else. Kept apart from the reading of its JSON replies
(qloapps_json.py), which this module only uses to walk a booking it sends back whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from actions.pms.models import BookingRequest
from actions.pms.port import InvalidStay
from actions.pms.qloapps_json import as_list

# The id_status written to a room stay for each of our statuses (cancelling is an order state instead).
STATUS_CODES: dict[str, int] = {"confirmed": 1, "checked_in": 2, "checked_out": 3}


def to_xml(node: str, fields: Mapping[str, Any]) -> str:
    """A QloApps write body: ``<qloapps><node>...</node></qloapps>``; a list value repeats its tag."""
    root = Element("qloapps")
    _fill(SubElement(root, node), fields)
    return tostring(root, encoding="unicode")


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            for one in item if isinstance(item, list) else [item]:
                _fill(SubElement(element, key), one)
    elif value is not None:
        element.text = str(value)


def split_name(name: str) -> tuple[str, str]:
    """First and last name as QloApps requires both; a single word fills both and is joined back once."""
    words = name.split()
    if not words:
        raise InvalidStay("the guest's name is required")
    return (" ".join(words[:-1]) or words[-1]), words[-1]


def clean_description(text: str) -> str:
    """A charge description QloApps accepts as a service name (no <>;=#{} characters)."""
    return re.sub(r"[<>;=#{}]", " ", text).strip()[:128] or "charge"


def ari_body(hotel_id: int, check_in: date, check_out: date, guests: int, product: int | None) -> str:
    """A hotel_ari search for one room with ``guests`` adults (optionally one room type)."""
    fields: dict[str, Any] = {
        "id_hotel": hotel_id,
        "date_from": check_in.isoformat(),
        "date_to": check_out.isoformat(),
        "get_available_rooms": 1,
        "associations": {"room_occupancies": {"room_occupancy": [{"adults": guests, "children": 0}]}},
    }
    if product is not None:
        fields["id_room_type"] = product
    return to_xml("hotel_ari", fields)


def booking_body(request: BookingRequest, hotel_id: int, currency: str, product: int, id_room: int | None) -> str:
    """A bookings POST for one room, awaiting payment, with the guest as QloApps' customer."""
    first, last = split_name(request.guest_name)
    digits = re.sub(r"\D", "", request.phone or "")
    room: dict[str, Any] = {"adults": request.guests, "child": 0}
    if id_room is not None:
        room = {"id_room": id_room, **room}
    room_type = {
        "id_room_type": product,
        "checkin_date": request.check_in.isoformat(),
        "checkout_date": request.check_out.isoformat(),
        "number_of_rooms": 1,
        "rooms": {"room": [room]},
    }
    guest = {"firstname": first, "lastname": last, "email": request.email.strip().lower()}
    booking = {
        "id_property": hotel_id,
        "currency": currency,
        "booking_status": 1,  # new
        "payment_status": 3,  # awaiting payment: the guest pays at the hotel
        "source": "conserje",
        "associations": {
            "customer_detail": {**guest, "phone": f"+{digits}" if digits else ""},
            "room_types": {"room_type": [room_type]},
        },
    }
    return to_xml("booking", booking)


def with_service(booking: dict[str, Any], hotel_id: int, name: str, price: Decimal) -> str:
    """A bookings PUT that keeps every room and service (PUT replaces them) and adds one to the first room."""
    assoc = booking["associations"]
    guest = assoc["customer_detail"]
    room_types = []
    for index, room_type in enumerate(as_list(assoc["room_types"])):
        rooms = []
        for position, room in enumerate(as_list(room_type["rooms"])):
            services = [
                {key: service[key] for key in ("id_service", "quantity", "unit_price_without_tax")}
                for service in as_list(room.get("services"))
            ]
            if index == 0 and position == 0:
                services.append({"name": name, "quantity": 1, "price_mode": 1, "unit_price_without_tax": price})
            entry = {"id_room": room["id_room"], "adults": room["adults"], "child": room.get("child", 0)}
            rooms.append({**entry, "services": {"service": services}})
        keys = ("id_room_type", "checkin_date", "checkout_date", "number_of_rooms")
        room_types.append({**{key: room_type[key] for key in keys}, "rooms": {"room": rooms}})
    body = {
        "id": booking["id"],
        "id_property": hotel_id,
        "currency": booking["currency"],
        "associations": {
            "customer_detail": {key: guest.get(key, "") for key in ("firstname", "lastname", "email", "phone")},
            "room_types": {"room_type": room_types},
        },
    }
    return to_xml("booking", body)
