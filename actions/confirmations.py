"""request_qr: the QR confirmation of an identified booking, sent again on request (the service is qr.py)."""

from __future__ import annotations

from rasa_sdk.events import EventType

from actions.base import HotelAction, Turn
from actions.qr import send_qr
from actions.reservations import FORGET_LOOKUP, identify


class ActionSendQr(HotelAction):
    """request_qr, once lookup_form identified the booking: the QR image, or why there is none."""

    def name(self) -> str:
        """Domain name."""
        return "action_send_qr"

    async def act(self, turn: Turn) -> list[EventType]:
        """Issues a fresh QR for an identified booking that has not ended."""
        reservation = await identify(turn)
        if reservation is None:
            turn.say("utter_reservation_not_found", phone=turn.services.profile.hotel.phone)
        elif reservation.status in ("cancelled", "checked_out") or reservation.check_out < turn.now.date():
            turn.say("utter_qr_stay_ended", code=reservation.code)
        else:
            await send_qr(turn, reservation)
        return FORGET_LOOKUP
