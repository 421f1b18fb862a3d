"""Rules and helpers shared by every PMS adapter: the stay rules of the port, money, phone matching."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from actions.pms.port import InvalidStay

MAX_NIGHTS = 30
CENT = Decimal("0.01")


def money(value: float | Decimal | int) -> Decimal:
    """An amount with two decimals."""
    return Decimal(str(value)).quantize(CENT)


def phone_digits(phone: str | None) -> str | None:
    """The phone's digits, with Argentina's mobile 9 (549…) folded into 54… so both forms match."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("549"):
        digits = "54" + digits[3:]
    return digits or None


def check_stay(check_in: date, check_out: date, guests: int) -> None:
    """The port's stay rules, checked by every adapter before it books or prices anything.

    Raises:
        InvalidStay: check-out not after check-in, more than MAX_NIGHTS nights, or no guest.
    """
    nights = (check_out - check_in).days
    if nights < 1:
        raise InvalidStay("check-out must be after check-in")
    if nights > MAX_NIGHTS:
        raise InvalidStay(f"at most {MAX_NIGHTS} nights")
    if guests < 1:
        raise InvalidStay("at least one guest")
