"""Loyalty points in the chat: ask_points (points, level, points to the next, badges) and redeem_points.

Both go through lookup_form first (on WhatsApp the sender's number identifies the stay). Redeeming shows the
catalogue as buttons; a choice is paid from the ledger once per stay (actions/loyalty.py). A late checkout reward
is granted only if the late-checkout policy allows that hour for the stay (actions/stay_policy.py: the room must
be free, the stay not ended), and then goes the late-checkout way (stay_requests.redeem_late_checkout): with
approval instant the check-out time moves at once with no charge; with approval staff the points are held and
the request waits for the front desk, whose decision reaches the guest like any other (action_stay_request_outcome).
"""

from __future__ import annotations

import json

from rasa_sdk.events import EventType, SlotSet

from actions import loyalty, stay_requests
from actions.base import HotelAction, Turn
from actions.formatting import day_label
from actions.late_checkout import REPLIES
from actions.pms.models import Reservation
from actions.profile_models import Reward
from actions.reservations import FORGET_LOOKUP, identify
from actions.stay_policy import assess

FORGET_REWARD = [SlotSet("reward", None)]


class ActionAskPoints(HotelAction):
    """The guest's points, level, points to the next level and badges."""

    def name(self) -> str:
        """Domain name."""
        return "action_ask_points"

    async def act(self, turn: Turn) -> list[EventType]:
        """Identifies the guest by their stay and states their standing."""
        reservation = await identify(turn)
        if reservation is None:
            turn.say("utter_stay_not_identified", phone=turn.services.profile.hotel.phone)
            return FORGET_LOOKUP
        rules = turn.services.profile.loyalty
        standing = await loyalty.standing(turn.services.db, rules, loyalty.guest_key(reservation))
        badges = ", ".join(name.replace("_", " ") for name in standing.badges) or "—"
        common = {"balance": standing.balance, "level": standing.level.capitalize(), "badges": badges}
        if standing.next_level is None:
            turn.say("utter_points_standing_top", **common)
        else:
            turn.say(
                "utter_points_standing",
                missing=standing.points_to_next,
                next_level=standing.next_level.capitalize(),
                **common,
            )
        return FORGET_LOOKUP


class ActionRedeemPoints(HotelAction):
    """The rewards catalogue, or the chosen reward paid with points."""

    def name(self) -> str:
        """Domain name."""
        return "action_redeem_points"

    async def act(self, turn: Turn) -> list[EventType]:
        """Catalogue as buttons when no reward is chosen; otherwise redeems it for the identified stay."""
        reservation = await identify(turn)
        if reservation is None:
            turn.say("utter_stay_not_identified", phone=turn.services.profile.hotel.phone)
            return FORGET_LOOKUP + FORGET_REWARD
        rules = turn.services.profile.loyalty
        guest = loyalty.guest_key(reservation)
        chosen = turn.tracker.get_slot("reward")
        if chosen not in rules.rewards:
            balance = (await loyalty.standing(turn.services.db, rules, guest)).balance
            buttons = [
                {
                    "title": f"{reward.title.in_(turn.language)} · {reward.points} pts",
                    "payload": "/redeem_points" + json.dumps({"reward": code}),
                }
                for code, reward in rules.rewards.items()
            ]
            turn.dispatcher.utter_message(response="utter_rewards_catalogue", buttons=buttons, balance=balance)
            return FORGET_REWARD  # the proof of identity stays for the button that follows
        reward = rules.rewards[chosen]
        if reward.late_checkout_until is not None:
            return await self._late_checkout(turn, reservation, chosen, reward) + FORGET_LOOKUP + FORGET_REWARD
        try:
            paid = await loyalty.redeem(
                turn.services.db, rules, guest, chosen, f"{reservation.code}:{chosen}", turn.now
            )
        except loyalty.NotEnoughPoints as exc:
            turn.say("utter_redeem_not_enough", cost=exc.cost, balance=exc.balance)
            return FORGET_LOOKUP + FORGET_REWARD
        facility = turn.services.profile.facilities[reward.facility or "bar"].name.in_(turn.language)
        turn.say("utter_redeem_drink_done", facility=facility, code=reservation.code, balance=paid.balance)
        return FORGET_LOOKUP + FORGET_REWARD

    async def _late_checkout(self, turn: Turn, reservation: Reservation, code: str, reward: Reward) -> list[EventType]:
        """The late-checkout policy decides first; then the points pay (or are held for staff's approval)."""
        running, until = turn.services, str(reward.late_checkout_until)
        assessment = await assess("late_checkout", running.pms, running.profile, reservation, turn.now)
        day = day_label(assessment.day, turn.language)
        option = assessment.pick(until)
        if isinstance(option, str):
            turn.say(REPLIES["late_checkout"][option], limit=assessment.limit, time=reservation.checkout_time, day=day)
            return []
        channel = turn.tracker.get_latest_input_channel() or "rest"
        conversation = (turn.tracker.sender_id, channel, turn.language)
        try:
            request = await stay_requests.redeem_late_checkout(
                running, reservation, code, assessment.day, until, conversation, turn.now
            )
        except loyalty.NotEnoughPoints as exc:
            turn.say("utter_redeem_not_enough", cost=exc.cost, balance=exc.balance)
            return []
        if request.status == "pending":
            turn.say("utter_redeem_late_checkout_pending", day=day, time=until, points=request.points)
            return []
        balance = (await loyalty.standing(running.db, running.profile.loyalty, loyalty.guest_key(reservation))).balance
        turn.say("utter_redeem_late_checkout_done", day=day, time=until, balance=balance)
        return []
