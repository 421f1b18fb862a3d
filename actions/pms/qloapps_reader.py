"""Reading one QloApps hotel: its catalog (room types, rooms, order states, currency) and its reservations.

The catalog rarely changes, so it is loaded once per process; a reservation is read afresh on every call, from
its order (reference, state), its booking (guest, currency) and its room stays (see the resources listed in
actions/pms/qloapps.py). Split from the adapter so that its operations read as what they ask and change, with
how an order becomes a Reservation kept here; replies are parsed by actions/pms/qloapps_json.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from actions.pms import qloapps_json as qj
from actions.pms import qloapps_xml as qx
from actions.pms.models import Reservation
from actions.pms.port import PMSError, ReservationNotFound
from actions.pms.qloapps_client import QloAppsClient, gather_all
from actions.profile_models import HotelProfile

ORDER_FIELDS = "[id,reference,current_state,id_customer,date_add]"


class QloAppsReader:
    """The catalog and reservations of one QloApps hotel, read through its webservice client."""

    def __init__(
        self,
        client: QloAppsClient,
        hotel_id: int,
        profile: HotelProfile,
        room_type_ids: Mapping[str, int],
        stay_resource: str,
    ) -> None:
        """Keeps what reading needs; nothing is fetched until the first call.

        Args:
            client: the webservice transport.
            hotel_id: the QloApps hotel (``id_property``) this assistant serves.
            profile: the hotel profile (room-type names, time zone).
            room_type_ids: {our room-type code: QloApps id_product}, overriding the match by name.
            stay_resource: the resource of room stays (``room_bookings``, ``bookings`` in older module releases).
        """
        self._client = client
        self._hotel_id = hotel_id
        self._profile = profile
        self._room_type_ids = dict(room_type_ids)
        self._stay_resource = stay_resource
        self._catalog: qj.Catalog | None = None
        self._lock = asyncio.Lock()

    # -- catalog (room types, rooms, states, currency) ---------------------------------------------------------

    async def catalog(self) -> qj.Catalog:
        """The catalog, loaded on first use and kept for the life of the process."""
        async with self._lock:
            if self._catalog is None:
                self._catalog = await self._load_catalog()
            return self._catalog

    async def _load_catalog(self) -> qj.Catalog:
        hotel = {"filter[id_hotel]": f"[{self._hotel_id}]"}
        names = "[PS_OS_CANCELED|PS_OS_REFUND|PS_CURRENCY_DEFAULT]"
        types, rooms, configs = await gather_all(
            self._client.listing("hotel_room_types", "hotel_room_types", {**hotel, "display": "full"}),
            self._client.listing("hotel_rooms", "hotel_rooms", {**hotel, "display": "[id,id_product,room_num]"}),
            self._client.listing(
                "configurations", "configurations", {"filter[name]": names, "display": "[name,value]"}
            ),
        )
        with qj.parsing("GET configurations"):
            configuration = {str(item["name"]): str(item["value"]) for item in configs}
            currency_id = qj.integer(configuration["PS_CURRENCY_DEFAULT"])
        product_ids = "|".join(str(product) for product in qj.ids(types, "id_product")) or "0"  # 0: none
        query = {"filter[id]": f"[{product_ids}]", "display": "[id,name,price]"}
        products, currency = await gather_all(
            self._client.listing("room_types", "room_types", query),
            self._client.call("GET", f"currencies/{currency_id}"),
        )
        with qj.parsing("GET room_types"):
            iso = str(currency["currency"]["iso_code"])
            return qj.build_catalog(
                self._profile, self._hotel_id, types, products, rooms, configuration, iso, self._room_type_ids
            )

    # -- reading reservations ----------------------------------------------------------------------------------

    async def stays(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """Room stays of this hotel matching the filters, oldest first."""
        query = {"filter[id_hotel]": f"[{self._hotel_id}]", "display": "full", "sort": "[id_ASC]", **params}
        return await self._client.listing(self._stay_resource, "bookings", query)

    async def load(self, order_id: int) -> Reservation | None:
        """The reservation of an order, or None when QloApps has no such booking in this hotel."""
        orders, booking, stays = await gather_all(
            self._client.listing("orders", "orders", {"filter[id]": f"[{order_id}]", "display": ORDER_FIELDS}),
            self._client.call("GET", f"bookings/{order_id}"),
            self.stays({"filter[id_order]": f"[{order_id}]"}),
        )
        if not orders or booking is None or not stays:
            return None
        catalog = await self.catalog()
        with qj.parsing("GET bookings"):
            return qj.to_reservation(orders[0], booking["booking"], stays[0], catalog, self._profile.tz)

    async def load_many(self, order_ids: list[int]) -> list[Reservation]:
        """The reservations of these orders, each read once; orders QloApps no longer has are left out."""
        found = await gather_all(*(self.load(order_id) for order_id in dict.fromkeys(order_ids)))
        return [item for item in found if item is not None]

    async def order_id(self, code: str) -> int | None:
        """The order id behind a booking code (the order reference)."""
        reference = code.strip().upper()
        if not reference.isalnum():
            return None
        orders = await self._client.listing(
            "orders", "orders", {"filter[reference]": f"[{reference}]", "display": "[id]"}
        )
        return next(iter(qj.ids(orders, "id")), None)

    async def require(self, code: str) -> tuple[int, Reservation]:
        """The order id and reservation of a booking code; ReservationNotFound when QloApps has none."""
        order_id = await self.order_id(code)
        reservation = await self.load(order_id) if order_id else None
        if order_id is None or reservation is None:
            raise ReservationNotFound(code)
        return order_id, reservation

    async def reload(self, order_id: int) -> Reservation:
        """The reservation of an order this adapter just changed; PMSError if QloApps lost it."""
        reservation = await self.load(order_id)
        if reservation is None:
            raise PMSError("QloApps lost track of a booking it just changed")
        return reservation

    async def ari(
        self, check_in: date, check_out: date, guests: int, product: int | None
    ) -> tuple[str, dict[str, tuple[Decimal, Decimal, list[int]]]]:
        """QloApps' availability & rates search for one occupancy."""
        body = qx.ari_body(self._hotel_id, check_in, check_out, guests, product)
        data = await self._client.call("POST", "hotel_ari", xml=body)
        catalog = await self.catalog()
        with qj.parsing("POST hotel_ari"):
            return qj.ari_offers(data, catalog)
