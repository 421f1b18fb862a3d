"""A local QloApps webservice: the subset conserje uses, over real HTTP, in QloApps' documented shapes.

Served by aiohttp on 127.0.0.1 (a free port) inside the test's event loop. Like QloApps it requires HTTP Basic
auth with the webservice key as user name (401 otherwise), answers JSON only when asked (``output_format=JSON``),
reads request bodies as XML (``<qloapps><node>...</node></qloapps>``), writes numbers of object resources as
strings, returns ``[]`` for an empty listing, and understands the documented listing parameters: ``display``
(``full`` or ``[a,b]``), ``filter[field]`` (``[a|b]``, ``[a,b]`` interval, ``[x]%`` / ``%[x]`` / ``%[x]%`` LIKE,
``>[x]``, ``<[x]``, ``![x]``; text compared case-insensitively like MySQL) and ``sort``.

Resources: hotel_room_types, room_types, hotel_rooms, configurations, currencies, hotel_ari (POST), bookings
(POST, GET, PUT), orders, order_histories (POST), customers, room_bookings (GET, PUT). Inventory is seeded from the
hotel profile: one QloApps room type per profile room type (names in English and Spanish), one room per room
number. A room-night belongs to at most one stay; a booking takes its nights without yielding to the event loop,
so concurrent bookings of the last room let exactly one through (as the contract's race requires).

Switches: ``delay`` (seconds to sleep before answering), ``garbage`` (``"invalid_json"``, ``"server_error"``,
``"empty"``), and ``stop()`` (the port is closed: connection refused).
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import string
from datetime import date, datetime, timedelta
from typing import Any
from xml.etree.ElementTree import Element, ParseError, fromstring

from aiohttp import web

from actions.profile_models import HotelProfile

STATE_AWAITING, STATE_ACCEPTED, STATE_CANCELED, STATE_REFUND = 1, 2, 6, 7
STAY_ASSIGNED, STAY_CHECKED_OUT, STAY_CANCELLED = 1, 3, 5
STAY_FIELDS = (
    "id_product id_order id_order_detail id_cart id_room id_hotel id_customer booking_type id_status comment "
    "check_in check_out date_from date_to total_price_tax_excl total_price_tax_incl total_paid_amount is_back_order "
    "room_num room_type_name hotel_name city state country zipcode phone email check_in_time check_out_time "
    "adults children date_add date_upd"
).split()
STAY_WRITABLE = ("id_status", "check_in", "check_out", "check_in_time", "check_out_time", "comment", "adults")
STAY_REQUIRED = ("id_product", "id_order", "id_room", "id_status", "date_from", "date_to", "room_num")


class WsError(Exception):
    """A webservice error, rendered as QloApps does: {"errors": [{"code": ..., "message": ...}]}."""

    def __init__(self, status: int, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def xml_to_dict(element: Element) -> Any:
    """An XML node as PHP's json_encode(SimpleXML) sees it: repeated tags become lists, leaves their text."""
    children = list(element)
    if not children:
        return (element.text or "").strip()
    result: dict[str, Any] = {}
    for child in children:
        value = xml_to_dict(child)
        if child.tag in result:
            if not isinstance(result[child.tag], list):
                result[child.tag] = [result[child.tag]]
            result[child.tag].append(value)
        else:
            result[child.tag] = value
    return result


def listed(value: Any, tag: str) -> list[Any]:
    """The items of ``<tags><tag/>...</tags>`` however the parser nested them."""
    if isinstance(value, dict) and tag in value:
        value = value[tag]
    if value in (None, "", {}):
        return []
    return value if isinstance(value, list) else [value]


def _compare_key(value: Any) -> Any:
    text = str(value)
    try:
        return (0, float(text))
    except ValueError:
        return (1, text.casefold())


def matches(value: Any, spec: str) -> bool:
    """Whether a field value passes a PrestaShop filter expression."""
    text = "" if value is None else str(value)
    if spec.startswith("![") and spec.endswith("]"):
        return all(text.casefold() != item.casefold() for item in spec[2:-1].split("|"))
    if spec[:2] in (">[", "<[") and spec.endswith("]"):
        left, right = _compare_key(text), _compare_key(spec[2:-1])
        return left > right if spec[0] == ">" else left < right
    found = re.fullmatch(r"(%?)\[(.*)\](%?)", spec)
    if not found:
        raise WsError(400, "Invalid filter", 0)
    before, inner, after = found.groups()
    if before or after:
        folded, needle = text.casefold(), inner.casefold()
        if before and after:
            return needle in folded
        return folded.endswith(needle) if before else folded.startswith(needle)
    if "," in inner and "|" not in inner:
        low, high = inner.split(",", 1)
        return _compare_key(low) <= _compare_key(text) <= _compare_key(high)
    return any(text.casefold() == item.casefold() for item in inner.split("|"))


def nights(first: date, last: date) -> list[date]:
    """Every night of a stay [first, last)."""
    return [first + timedelta(days=offset) for offset in range((last - first).days)]


def as_date(value: str) -> date:
    """A QloApps date or date-time as a date."""
    return date.fromisoformat(str(value).strip()[:10])


def midnight(value: date) -> str:
    """A stay date as QloApps stores it."""
    return f"{value.isoformat()} 00:00:00"


class QloAppsFake:
    """The fake QloApps: start(), url, the switches, and its in-memory hotel."""

    def __init__(self, profile: HotelProfile, api_key: str, hotel_id: int = 1) -> None:
        """Seeds one hotel from the profile (QloApps ids deliberately differ from our codes and room numbers)."""
        self.profile = profile
        self.api_key = api_key
        self.hotel_id = hotel_id
        self.delay = 0.0
        self.garbage: str | None = None
        self.requests: list[tuple[str, str]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.products: dict[int, dict[str, Any]] = {}
        self.hotel_room_types: dict[int, dict[str, Any]] = {}
        self.rooms: dict[int, dict[str, Any]] = {}
        for index, (_, room_type) in enumerate(profile.room_types.items(), start=1):
            product = 10 + index
            self.products[product] = {
                "id": product,
                "name": [{"id": "1", "value": room_type.name.en}, {"id": "2", "value": room_type.name.es}],
                "price": f"{room_type.rate:.6f}",
                "active": "1",
            }
            self.hotel_room_types[index] = {
                "id": index,
                "id_product": str(product),
                "id_hotel": str(hotel_id),
                "adults": str(min(2, room_type.max_guests)),
                "children": "0",
                "max_adults": str(room_type.max_guests),
                "max_children": "0",
                "max_guests": str(room_type.max_guests),
            }
            for number in room_type.rooms:
                id_room = len(self.rooms) + 1
                self.rooms[id_room] = {
                    "id": id_room,
                    "id_product": str(product),
                    "id_hotel": str(hotel_id),
                    "room_num": str(number),
                    "id_status": "1",
                    "floor": str(number // 100),
                }
        self.configurations = [
            {"id": 1, "name": "PS_OS_AWAITING_PAYMENT", "value": str(STATE_AWAITING)},
            {"id": 2, "name": "PS_OS_PAYMENT_ACCEPTED", "value": str(STATE_ACCEPTED)},
            {"id": 3, "name": "PS_OS_CANCELED", "value": str(STATE_CANCELED)},
            {"id": 4, "name": "PS_OS_REFUND", "value": str(STATE_REFUND)},
            {"id": 5, "name": "PS_CURRENCY_DEFAULT", "value": "1"},
        ]
        self.currencies = {1: {"id": 1, "name": profile.hotel.currency, "iso_code": profile.hotel.currency}}
        self.customers: dict[int, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.stays: dict[int, dict[str, Any]] = {}
        self.services: dict[int, list[dict[str, Any]]] = {}
        self.histories: list[dict[str, Any]] = []
        self.taken: dict[tuple[int, date], int] = {}  # (id_room, night) -> stay id: the inventory

    # -- lifecycle ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listens on 127.0.0.1, on a free port."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_route("*", "/api/{resource}", self._dispatch)
        app.router.add_route("*", "/api/{resource}/{id}", self._dispatch)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Closes the port: further requests get "connection refused"."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """Base URL of the QloApps site (the API is under /api)."""
        return f"http://127.0.0.1:{self.port}"

    # -- HTTP plumbing -----------------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        if self.delay:
            await asyncio.sleep(self.delay)
        expected = "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.Response(
                status=401, text="401 Unauthorized", headers={"WWW-Authenticate": 'Basic realm="Webservice"'}
            )
        if self.garbage == "invalid_json":
            return web.Response(
                status=200, text="<br /><b>Fatal error</b>: {secret PHP trace", content_type="text/html"
            )
        if self.garbage == "server_error":
            return web.Response(status=500, text="Fatal error: SQLSTATE[HY000] guest@example.com 5491155551234")
        if self.garbage == "empty":
            return web.json_response({})
        if "JSON" not in (request.query.get("output_format"), request.query.get("io_format")):
            return web.Response(status=400, text="<qloapps>XML output is not served by this fake</qloapps>")
        try:
            return await handler(request)
        except WsError as error:
            body = {"errors": [{"code": error.code, "message": error.message}]}
            return web.json_response(body, status=error.status)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        resource, method = request.match_info["resource"], request.method
        item = request.match_info.get("id")
        handler = getattr(self, f"_{method.lower()}_{resource}", None)
        if handler is None:
            raise WsError(405 if hasattr(self, f"_get_{resource}") else 400, "Method or resource not supported", 22)
        status, body = await handler(request, int(item) if item and item.isdigit() else None)
        return web.json_response(body, status=status)

    async def _body(self, request: web.Request, node: str) -> dict[str, Any]:
        try:
            root = fromstring(await request.text())
        except ParseError:
            raise WsError(400, "XML error", 127) from None
        data = xml_to_dict(root)
        if not isinstance(data, dict) or not isinstance(data.get(node), dict):
            raise WsError(400, f"Invalid request: {node} expected", 127)
        return data[node]

    def _listing(self, request: web.Request, node: str, records: list[dict[str, Any]]) -> tuple[int, Any]:
        """A PrestaShop listing: filters, sort, display (ids only by default); ``[]`` when nothing matches."""
        found = list(records)
        for key, spec in request.query.items():
            field = re.fullmatch(r"filter\[(\w+)\]", key)
            if field:
                found = [record for record in found if matches(record.get(field.group(1)), spec)]
        sort = re.fullmatch(r"\[(\w+)_(ASC|DESC)\]", request.query.get("sort", ""))
        if sort:
            found.sort(key=lambda record: _compare_key(record.get(sort.group(1))), reverse=sort.group(2) == "DESC")
        display = request.query.get("display")
        if display != "full":
            fields = display.strip("[]").split(",") if display else ["id"]
            found = [{name: record.get(name) for name in fields if name in record} for record in found]
        return 200, ({node: found} if found else [])

    # -- catalog -----------------------------------------------------------------------------------------------

    async def _get_hotel_room_types(self, request: web.Request, _: int | None) -> tuple[int, Any]:
        return self._listing(request, "hotel_room_types", list(self.hotel_room_types.values()))

    async def _get_room_types(self, request: web.Request, item: int | None) -> tuple[int, Any]:
        if item is not None:
            if item not in self.products:
                raise WsError(404, "Room type not found", 87)
            return 200, {"room_type": self.products[item]}
        return self._listing(request, "room_types", list(self.products.values()))

    async def _get_hotel_rooms(self, request: web.Request, _: int | None) -> tuple[int, Any]:
        return self._listing(request, "hotel_rooms", list(self.rooms.values()))

    async def _get_configurations(self, request: web.Request, _: int | None) -> tuple[int, Any]:
        return self._listing(request, "configurations", self.configurations)

    async def _get_currencies(self, request: web.Request, item: int | None) -> tuple[int, Any]:
        if item is None:
            return self._listing(request, "currencies", list(self.currencies.values()))
        if item not in self.currencies:
            raise WsError(404, "Currency not found", 87)
        return 200, {"currency": self.currencies[item]}

    # -- availability ------------------------------------------------------------------------------------------

    def _free_rooms(self, product: int, first: date, last: date) -> list[dict[str, Any]]:
        wanted = nights(first, last)
        return [
            room
            for id_room, room in self.rooms.items()
            if int(room["id_product"]) == product and not any((id_room, night) in self.taken for night in wanted)
        ]

    async def _post_hotel_ari(self, request: web.Request, _: int | None) -> tuple[int, Any]:
        ari = await self._body(request, "hotel_ari")
        if str(ari.get("id_hotel")) != str(self.hotel_id):
            raise WsError(400, "Hotel not found", 100)
        first, last = as_date(ari["date_from"]), as_date(ari["date_to"])
        occupancies = listed((ari.get("associations") or {}).get("room_occupancies"), "room_occupancy")
        guests = max((int(o.get("adults") or 0) + int(o.get("children") or 0) for o in occupancies), default=0)
        room_types = []
        for room_type in self.hotel_room_types.values():
            product = int(room_type["id_product"])
            if ari.get("id_room_type") and int(ari["id_room_type"]) != product:
                continue
            if guests > int(room_type["max_guests"]):
                continue  # occupancy-wise search: the type cannot host this occupancy
            price = float(self.products[product]["price"])
            free = self._free_rooms(product, first, last)
            room_types.append(
                {
                    "id_room_type": product,
                    "base_price": price,
                    "base_price_with_tax": price,
                    "total_price": price * len(nights(first, last)),
                    "total_price_with_tax": price * len(nights(first, last)),
                    "name": self.products[product]["name"],
                    "rooms": {"available": [{"id_room": str(r["id"]), "room_number": r["room_num"]} for r in free]},
                }
            )
        free_total = sum(len(item["rooms"]["available"]) for item in room_types)
        body = {
            "id_hotel": str(self.hotel_id),
            "date_from": first.isoformat(),
            "date_to": last.isoformat(),
            "currency": self.profile.hotel.currency,
            "total_rooms": len(self.rooms),
            "total_available_rooms": free_total,
            "room_types": room_types,
        }
        return 200, {"hotel_ari": body}

    # -- bookings ----------------------------------------------------------------------------------------------

    def _customer(self, detail: dict[str, Any]) -> int:
        email = str(detail.get("email", "")).strip()
        for customer in self.customers.values():
            if customer["email"].casefold() == email.casefold():
                if detail.get("phone"):
                    customer["phone"] = str(detail["phone"])
                return int(customer["id"])
        customer_id = len(self.customers) + 1
        self.customers[customer_id] = {
            "id": customer_id,
            "firstname": str(detail["firstname"]),
            "lastname": str(detail["lastname"]),
            "email": email,
            "phone": str(detail.get("phone") or ""),
            "active": "1",
        }
        return customer_id

    async def _post_bookings(self, request: web.Request, _: int | None) -> tuple[int, Any]:
        booking = await self._body(request, "booking")
        if "id" in booking:
            raise WsError(400, "id is forbidden when adding a new resource", 404)
        if str(booking.get("currency", "")).upper() != self.profile.hotel.currency:
            raise WsError(400, "Please provide valid currency.", 404)
        if str(booking.get("id_property")) != str(self.hotel_id):
            raise WsError(400, "Please provide a valid id_property.", 404)
        associations = booking.get("associations") or {}
        detail = associations.get("customer_detail") or {}
        for field in ("firstname", "lastname", "email"):
            if not str(detail.get(field) or "").strip():
                raise WsError(400, f"Please provide a valid {field}.", 404)
        wanted = []  # (product, first, last, id_room or None, adults) for every requested room
        for room_type in listed(associations.get("room_types"), "room_type"):
            product = int(room_type["id_room_type"])
            first, last = as_date(room_type["checkin_date"]), as_date(room_type["checkout_date"])
            if product not in self.products or last <= first:
                raise WsError(400, "Requested room(s) not available.", 404)
            rooms = listed(room_type.get("rooms"), "room") or [{}] * int(room_type.get("number_of_rooms") or 1)
            for room in rooms:
                id_room = int(room["id_room"]) if room.get("id_room") else None
                wanted.append((product, first, last, id_room, int(room.get("adults") or 1)))
        if not wanted:
            raise WsError(400, "Requested room(s) not available.", 404)
        # From here to the end nothing awaits: checking and taking the nights is one step for the event loop.
        chosen: list[int] = []
        for product, first, last, id_room, _ in wanted:
            free = [room["id"] for room in self._free_rooms(product, first, last) if room["id"] not in chosen]
            if id_room is not None:
                free = [room for room in free if room == id_room]
            if not free:
                raise WsError(400, "Requested room(s) not available.", 404)
            chosen.append(free[0])
        order_id = self._new_order(self._customer(detail), str(booking.get("source") or ""))
        for (product, first, last, _, adults), id_room in zip(wanted, chosen, strict=True):
            self._new_stay(order_id, product, id_room, first, last, adults)
        return 201, {"booking": self._booking_details(order_id)}

    def _new_order(self, customer_id: int, source: str) -> int:
        order_id = len(self.orders) + 1
        letters = {order["reference"] for order in self.orders.values()}
        reference = "".join(secrets.choice(string.ascii_uppercase) for _ in range(9))
        while reference in letters:
            reference = "".join(secrets.choice(string.ascii_uppercase) for _ in range(9))
        self.orders[order_id] = {
            "id": order_id,
            "reference": reference,
            "id_customer": str(customer_id),
            "current_state": str(STATE_AWAITING),
            "id_currency": "1",
            "source": source,
            "date_add": datetime.now(self.profile.tz).strftime("%Y-%m-%d %H:%M:%S"),
        }
        return order_id

    def _new_stay(self, order_id: int, product: int, id_room: int, first: date, last: date, adults: int) -> None:
        stay_id = len(self.stays) + 1
        price = float(self.products[product]["price"]) * len(nights(first, last))
        policies = self.profile.policies
        self.stays[stay_id] = {
            "id": stay_id,
            "id_product": str(product),
            "id_order": str(order_id),
            "id_order_detail": str(order_id),
            "id_cart": str(order_id),
            "id_room": str(id_room),
            "id_hotel": str(self.hotel_id),
            "id_customer": self.orders[order_id]["id_customer"],
            "booking_type": "1",
            "id_status": str(STAY_ASSIGNED),
            "comment": "",
            "check_in": "0000-00-00 00:00:00",
            "check_out": "0000-00-00 00:00:00",
            "date_from": midnight(first),
            "date_to": midnight(last),
            "total_price_tax_excl": f"{price:.6f}",
            "total_price_tax_incl": f"{price:.6f}",
            "total_paid_amount": "0.000000",
            "is_back_order": "0",
            "room_num": self.rooms[id_room]["room_num"],
            "room_type_name": self.products[product]["name"][0]["value"],
            "hotel_name": self.profile.hotel.name,
            "city": "Buenos Aires",
            "state": "",
            "country": "Argentina",
            "zipcode": "",
            "phone": self.profile.hotel.phone,
            "email": self.profile.hotel.email,
            "check_in_time": policies.checkin_from,
            "check_out_time": policies.checkout_until,
            "adults": str(adults),
            "children": "0",
            "date_add": self.orders[order_id]["date_add"],
            "date_upd": self.orders[order_id]["date_add"],
        }
        self.services[stay_id] = []
        for night in nights(first, last):
            self.taken[(id_room, night)] = stay_id

    def _release(self, stay_id: int, since: date | None = None) -> None:
        for key in [key for key, owner in self.taken.items() if owner == stay_id]:
            if since is None or key[1] >= since:
                del self.taken[key]

    def _booking_details(self, order_id: int) -> dict[str, Any]:
        """GET /api/bookings/{id}, as WebserviceSpecificManagementBookings::getBookingDetails renders it."""
        order = self.orders[order_id]
        customer = self.customers[int(order["id_customer"])]
        stays = [stay for stay in self.stays.values() if stay["id_order"] == str(order_id)]
        room_types: dict[tuple[str, str, str], dict[str, Any]] = {}
        for stay in stays:
            key = (stay["id_product"], stay["date_from"], stay["date_to"])
            entry = room_types.setdefault(
                key,
                {
                    "id_room_type": int(stay["id_product"]),
                    "checkin_date": stay["date_from"],
                    "checkout_date": stay["date_to"],
                    "total_tax": 0,
                    "number_of_rooms": 0,
                    "name": stay["room_type_name"],
                    "rooms": [],
                },
            )
            entry["number_of_rooms"] += 1
            room: dict[str, Any] = {
                "id_room": int(stay["id_room"]),
                "id_hotel_booking": stay["id"],
                "adults": int(stay["adults"]),
                "child": 0,
                "unit_price_without_tax": float(stay["total_price_tax_excl"]),
                "total_tax": 0,
            }
            if self.services[stay["id"]]:
                room["services"] = self.services[stay["id"]]
            entry["rooms"].append(room)
        paid = sum(float(stay["total_price_tax_excl"]) for stay in stays)
        paid += sum(s["total_price_without_tax"] for stay in stays for s in self.services[stay["id"]])
        return {
            "id": order_id,
            "id_property": self.hotel_id,
            "currency": self.profile.hotel.currency,
            "source": order["source"],
            "booking_date": order["date_add"],
            "id_language": 1,
            "associations": {
                "customer_detail": {
                    "id_customer": customer["id"],
                    "firstname": customer["firstname"],
                    "lastname": customer["lastname"],
                    "email": customer["email"],
                    "phone": customer["phone"],
                },
                "price_details": {"total_paid": 0, "total_price_without_tax": round(paid, 2), "total_tax": 0},
                "cart_rules": [],
                "remarks": [],
                "room_types": list(room_types.values()),
            },
        }

    async def _get_bookings(self, request: web.Request, item: int | None) -> tuple[int, Any]:
        if item is None:
            return 200, {"bookings": [{"id": order_id} for order_id in self.orders]}
        if item not in self.orders:
            return 404, ""
        return 200, {"booking": self._booking_details(item)}

    async def _put_bookings(self, request: web.Request, item: int | None) -> tuple[int, Any]:
        """Replaces rooms' services like QloApps' PUT: rooms left out of the request are removed from the order."""
        booking = await self._body(request, "booking")
        if item is None or item not in self.orders or str(booking.get("id")) != str(item):
            raise WsError(400, "Booking not found.", 404)
        associations = booking.get("associations") or {}
        if not (associations.get("customer_detail") or {}).get("email"):
            raise WsError(400, "Customer details not found.", 404)
        requested: dict[tuple[int, str], dict[str, Any]] = {}
        for room_type in listed(associations.get("room_types"), "room_type"):
            first = midnight(as_date(room_type["checkin_date"]))
            for room in listed(room_type.get("rooms"), "room"):
                requested[(int(room["id_room"]), first)] = room
        stays = [stay for stay in self.stays.values() if stay["id_order"] == str(item)]
        if len(requested) > len(stays):
            raise WsError(400, "This fake does not add rooms through PUT", 404)
        for stay in stays:
            room = requested.get((int(stay["id_room"]), stay["date_from"]))
            if room is None:
                self._release(stay["id"])
                del self.stays[stay["id"]]
                continue
            services = []
            for service in listed(room.get("services"), "service"):
                quantity = int(service.get("quantity") or 1)
                if service.get("id_service"):
                    known = {s["id_service"]: s for s in self.services[stay["id"]]}
                    base = known.get(int(service["id_service"]))
                    if base is None:
                        raise WsError(400, "Invalid request for service.", 404)
                    unit = float(service.get("unit_price_without_tax") or base["unit_price_without_tax"])
                    services.append({**base, "quantity": quantity, "unit_price_without_tax": unit})
                    services[-1]["total_price_without_tax"] = round(unit * quantity, 2)
                else:
                    if not service.get("name") or re.search(r"[<>;=#{}]", str(service["name"])):
                        raise WsError(400, "Invalid service name.", 404)
                    unit = float(service.get("unit_price_without_tax") or 0)
                    services.append(
                        {
                            "id_service": 1000 + sum(len(v) for v in self.services.values()) + len(services),
                            "name": str(service["name"]),
                            "quantity": quantity,
                            "unit_price_without_tax": unit,
                            "total_price_without_tax": round(unit * quantity, 2),
                            "total_tax": 0,
                            "per_night": 0,
                            "price_mode": int(service.get("price_mode") or 1),
                        }
                    )
            self.services[stay["id"]] = services
        return 200, {"booking": self._booking_details(item)}

    # -- orders, customers, room stays -------------------------------------------------------------------------

    async def _get_orders(self, request: web.Request, item: int | None) -> tuple[int, Any]:
        if item is not None:
            return (200, {"order": self.orders[item]}) if item in self.orders else (404, "")
        return self._listing(request, "orders", list(self.orders.values()))

    async def _get_customers(self, request: web.Request, item: int | None) -> tuple[int, Any]:
        if item is not None:
            return (200, {"customer": self.customers[item]}) if item in self.customers else (404, "")
        return self._listing(request, "customers", list(self.customers.values()))

    async def _post_order_histories(self, request: web.Request, _: int | None) -> tuple[int, Any]:
        history = await self._body(request, "order_history")
        order_id, state = int(history.get("id_order") or 0), int(history.get("id_order_state") or 0)
        if order_id not in self.orders or state not in (STATE_AWAITING, STATE_ACCEPTED, STATE_CANCELED, STATE_REFUND):
            raise WsError(400, "Validation error", 0)
        self.orders[order_id]["current_state"] = str(state)
        if state in (STATE_CANCELED, STATE_REFUND):
            for stay in self.stays.values():
                if stay["id_order"] == str(order_id):
                    self._release(stay["id"])
        record = {"id": len(self.histories) + 1, "id_order": str(order_id), "id_order_state": str(state)}
        self.histories.append(record)
        return 201, {"order_history": record}

    async def _get_room_bookings(self, request: web.Request, item: int | None) -> tuple[int, Any]:
        if item is not None:
            return (200, {"booking": self.stays[item]}) if item in self.stays else (404, "")
        return self._listing(request, "bookings", list(self.stays.values()))

    async def _put_room_bookings(self, request: web.Request, item: int | None) -> tuple[int, Any]:
        """Updates a room stay (the whole object is sent, as PrestaShop's PUT requires)."""
        record = await self._body(request, "booking")
        if item is None or item not in self.stays:
            return 404, ""
        if str(record.get("id")) != str(item):
            raise WsError(400, "id is required and must match the URL", 89)
        unknown = sorted(set(record) - set(STAY_FIELDS) - {"id"})
        if unknown:
            raise WsError(400, f"parameter {unknown[0]} not writable", 92)
        for field in STAY_REQUIRED:
            if not str(record.get(field) or "").strip():
                raise WsError(400, f"property HotelBookingDetail->{field} is empty", 41)
        stay = self.stays[item]
        for field in STAY_WRITABLE:
            if field in record:
                stay[field] = str(record[field])
        status = int(stay["id_status"])
        if status == STAY_CHECKED_OUT and not stay["check_out"].startswith("0000"):
            self._release(item, since=as_date(stay["check_out"]))
        elif status == STAY_CANCELLED:
            self._release(item)
        return 200, {"booking": stay}
