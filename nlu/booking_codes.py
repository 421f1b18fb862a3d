"""Booking codes and email addresses in Spanish or English guest messages: how a guest names a reservation.

``find_emails`` and ``find_booking_codes`` return ``Found`` items (nlu/dates.py) with character offsets into the
original text, sorted by start and never overlapping. Kept apart from guest counts (nlu/guests.py) and from the
Rasa component that combines both (nlu/booking.py): these are pattern rules only, no Rasa.

- ``email`` → the address in lower case.
- ``booking_code`` → upper case, without spaces or dashes. A code is 6 characters from A–Z and 2–9 with at least one
  letter and one digit ("K7P2QX", "9RTM4A"), typed in any case, whole or split 3+3 by one space or dash
  ("k7p-2qx" → "K7P2QX"). Right after a code keyword (código, reserva, reservation, booking, code, confirmación,
  confirmation, localizador, referencia/reference, with fillers such as "es", "is", "nro", "number", ":", "#") any
  6 letters and digits count, even without a digit, unless it is a common word ("reserva porque", "booking is
  friday"); a code with no digit must then be typed in capitals or follow an explicit "es"/"is"/":"/"#"/"number".
  A split code whose halves are a word and a number ("son 345", "the 4th") is not a code without a keyword.
"""

from __future__ import annotations

import re

from nlu import date_words as words
from nlu.dates import Found, fold

BOOKING_CODE = "booking_code"
EMAIL = "email"

# --- email -----------------------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+%-])[\w.+%-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}"
    r"(?![\w@-]|\.[a-z0-9])",
    re.IGNORECASE,
)


def find_emails(text: str) -> list[Found]:
    """Email addresses in ``text``, value in lower case."""
    return [Found(EMAIL, m[0].lower(), m.start(), m.end()) for m in _EMAIL.finditer(text)]


# --- booking codes ---------------------------------------------------------------------------------------------

_CODE_KEYWORD = (
    r"\b(?:codigo|cod|reserva|reservacion|reservation|booking|code|confirmacion|confirmation|localizador|locator|"
    r"referencia|reference|ref)\b"
)
_MARKERS = r"es|is|was|era|seria|sera|number|numero|nro|num|nº|n°|id|#|:|="
_FILLERS = rf"de|del|la|el|mi|my|your|tu|su|the|no|n|reserva|booking|code|codigo|confirmacion|confirmation|{_MARKERS}"
_KEYWORD_CODE = re.compile(
    rf"{_CODE_KEYWORD}(?P<gap>(?:[\s.:#=-]*(?<![\w])(?:{_FILLERS})(?![\w]))*[\s.:#=º°-]*)"
    r"(?<![a-z0-9])(?P<code>[a-z0-9]{6}|[a-z0-9]{3}[ -][a-z0-9]{3})(?![a-z0-9@]|[.-][a-z0-9])"
)
_MARKER_IN_GAP = re.compile(rf"(?:[#:=]|(?<![\w])(?:{_MARKERS})(?![\w]))")
_CODE = re.compile(
    r"(?<![\w@./-])(?P<code>[a-z2-9]{6}|(?P<left>[a-z2-9]{3})[ -](?P<right>[a-z2-9]{3}))(?![\w@/-]|\.[a-z0-9])"
)
_GLUED_UNIT = re.compile(
    r"\d+(?:" + "|".join(words.COUNTED_NOUNS) + r"|hs|hrs?|am|pm|st|nd|rd|th|ro|do|er|x\d+)"
    r"|(?:usd|ars|eur|us|u\$s|hab|room|piso|nro)\d+"
)
_ORDINAL_OR_HOUR = re.compile(r"\d+(?:st|nd|rd|th|ro|do|er|to|vo|am|pm|hs|h)")
# Three-letter words that make "<word> <code-like>" natural language, not a split code.
_STOP3 = frozenset(
    "the and for you are was its his her our not but all any can has one two six ten day per via "
    "del las los por con son que una uno dos mis sus tus hay sin ver voy soy hab nro num usd ars eur mes dia "
    "mas muy les nos fue era vez ese esa eso par".split()
)
# Common words that may follow a code keyword but are not codes ("mi reserva es porque...", "booking is friday").
_COMMON_WORDS = frozenset(
    {*words.MONTHS, *words.WEEKDAYS, *words.NUMBERS, *(key.replace(" ", "") for key in words.RELATIVE_DAYS)}
    | set(
        "porque please number numero postal online triple simple single double family junior suites superior "
        "cancel change cambio status estado pronto thanks urgent quiero tengo nombre correo before activa "
        "activo active pagada pagado booked hecha listed anular borrar delete remove modify update cuando where "
        "donde cuanto cuales cual which itself mismo nuevo nueva confirm valida valido sirve ayuda ayudar "
        "tienen anoche tonight semana weekend finde sabado domingo otra otro other another grande placed broken "
        "closed failed issued expiro vencio".split()
    )
)


def _code_value(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw).upper()


def _mixed(token: str) -> bool:
    """Whether ``token`` has at least one letter and one digit."""
    return any(char.isalpha() for char in token) and any(char.isdigit() for char in token)


def _plain_code(m: re.Match[str], text: str) -> bool:
    """Whether a code-shaped token without a keyword reads as a code, not as "2camas", "son 345" or "the 4th"."""
    if not _mixed(m["code"]) or not text[m.start() : m.end()].isascii():
        return False
    if m["left"] is None:
        return not _GLUED_UNIT.fullmatch(m["code"])
    halves = (m["left"], m["right"])
    if any(half in _STOP3 or _ORDINAL_OR_HOUR.fullmatch(half) for half in halves):
        return False
    return not any(a.isalpha() and b.isdigit() for a, b in (halves, halves[::-1]))


def _keyword_code(m: re.Match[str], text: str) -> bool:
    """Whether the token after a code keyword is a code: any letters and digits, but not a common word."""
    raw = text[m.start("code") : m.end("code")]
    if not re.fullmatch(r"[A-Za-z0-9]{6}|[A-Za-z0-9]{3}[ -][A-Za-z0-9]{3}", raw):
        return False  # accented letters folded into ASCII are not code characters
    halves = re.split(r"[ -]", m["code"])
    if any(half in _STOP3 or _ORDINAL_OR_HOUR.fullmatch(half) for half in halves) or _GLUED_UNIT.fullmatch(m["code"]):
        return False  # "booking for 2pm", "reserva 2camas"
    value = _code_value(raw)
    if _mixed(value) or value.isdigit():
        return True
    if m["code"] in _COMMON_WORDS:
        return False
    capitals = raw.isupper() and any(char.islower() for char in text)
    return capitals or bool(_MARKER_IN_GAP.search(m["gap"]))


def find_booking_codes(text: str) -> list[Found]:
    """Booking codes in ``text``, value in upper case without separators."""
    folded = fold(text)
    found: dict[int, Found] = {}
    for m in _KEYWORD_CODE.finditer(folded):
        if _keyword_code(m, text):
            found[m.start("code")] = Found(BOOKING_CODE, _code_value(m["code"]), m.start("code"), m.end("code"))
    for m in _CODE.finditer(folded):
        if m.start() not in found and _plain_code(m, text):
            found[m.start()] = Found(BOOKING_CODE, _code_value(m["code"]), m.start(), m.end())
    return non_overlapping(sorted(found.values(), key=lambda item: item.start))


# --- overlaps (also used by nlu/booking.py to combine codes, emails and guests) --------------------------------


def non_overlapping(found: list[Found], taken: list[Found] | None = None) -> list[Found]:
    """``found`` without the items that overlap ``taken`` or an earlier item of ``found``."""
    kept = list(taken or [])
    result: list[Found] = []
    for item in found:
        if all(item.end <= other.start or item.start >= other.end for other in kept):
            kept.append(item)
            result.append(item)
    return result
