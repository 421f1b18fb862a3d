"""Guests, booking codes and email addresses in Spanish or English guest messages, and the Rasa component for them.

``extract(text)`` returns ``Found`` items (nlu/dates.py) with character offsets into the original text, sorted by
start and never overlapping: emails first, then booking codes, then guest counts.

- ``email`` → the address in lower case.
- ``booking_code`` → upper case, without spaces or dashes. A code is 6 characters from A–Z and 2–9 with at least one
  letter and one digit ("K7P2QX", "9RTM4A"), typed in any case, whole or split 3+3 by one space or dash
  ("k7p-2qx" → "K7P2QX"). Right after a code keyword (código, reserva, reservation, booking, code, confirmación,
  confirmation, localizador, referencia/reference, with fillers such as "es", "is", "nro", "number", ":", "#") any
  6 letters and digits count, even without a digit, unless it is a common word ("reserva porque", "booking is
  friday"); a code with no digit must then be typed in capitals or follow an explicit "es"/"is"/":"/"#"/"number".
  A split code whose halves are a word and a number ("son 345", "the 4th") is not a code without a keyword.
- ``guests`` → an int, 1 to ``max_guests``: a count of people ("2 personas", "dos adultos", "3 pax", "2 parejas" →
  4), summed over a party ("2 adultos y 1 niño" → 3, "we're 2 and a baby" → 3, "una pareja con 2 hijos" → 4); a
  bare number after somos/seremos/vamos a ser/para/for/we are/there are/grupo de/family of ("somos 4", "para
  dos", "we are 3"), or before "of us"; a couple ("una pareja", "a couple", "mi esposa y yo", "my wife and I" → 2);
  alone ("solo yo", "viajo sola", "just me", "by myself" → 1). Never from dates, times, nights, room numbers or
  prices: a number followed by another counted noun ("2 noches", "2 habitaciones", "95 dólares"), a month, an hour
  or a range ("2 o 3 personas") is not a guest count, and nothing the date extractor reads as a date, a time or a
  number of nights is one either.

The Rasa component ``BookingEntityExtractor`` appends these entities to the ones already in the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
)

from actions.errors import ConfigError
from nlu import date_words as words
from nlu.dates import Found, fold
from nlu.dates import extract as extract_dates
from nlu.rule_extractor import RuleEntityExtractor

GUESTS = "guests"
BOOKING_CODE = "booking_code"
EMAIL = "email"
MAX_GUESTS = 20
PERSISTED_KEYS = ("max_guests",)

# Date spans only block guest counts, so any fixed reference instant will do (a leap year keeps 29/2 a date).
_REFERENCE = datetime(2024, 1, 1)

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
    return _non_overlapping(sorted(found.values(), key=lambda item: item.start))


# --- guests ----------------------------------------------------------------------------------------------------

_ARTICLES = frozenset({"un", "una", "a", "an"})
_NUMBER_WORDS = {word: value for word, value in words.NUMBERS.items() if word not in _ARTICLES}
_COUNT = rf"(?:\d{{1,2}}|{words.alternation(_NUMBER_WORDS)})"
_COUNT_OR_ARTICLE = rf"(?:\d{{1,2}}|{words.alternation({**_NUMBER_WORDS, **dict.fromkeys(_ARTICLES, 1)})})"
_PEOPLE = r"personas?|huespedes|huesped|pasajer[oa]s?|viajer[oa]s?|pax|people|persons?|guests?|travell?ers?"
_ADULTS = (
    r"adult[oa]s?|mayores|amig[oa]s?|companer[oa]s?|colegas?|jovenes|adults?|friends?|colleagues?|grown[\s-]?ups?|"
    r"seniors?"
)
_KIDS = (
    r"nin[oa]s?|menores|menor|chic[oa]s?|nen[ea]s?|nenit[oa]s?|hij[oa]s?|bebes?|peques?|chiquit[oa]s?|"
    r"kids?|children|child|bab(?:y|ies)|infants?|toddlers?|teens?|teenagers?|sons?|daughters?|little\s+ones?"
)
_PAIRS = r"parejas?|matrimonios?|couples?"
_SPOUSE = (
    r"espos[oa]|marido|mujer|novi[oa]|pareja|prometid[oa]|wife|husband|partner|girlfriend|boyfriend|fiancee?|"
    r"spouse|hubby"
)
_TERM = re.compile(
    rf"(?<![\w$/.,:-])(?P<n>{_COUNT_OR_ARTICLE})\s*(?:(?:small|little|young|pequen[oa]s)\s+)?"
    rf"(?:(?P<people>{_PEOPLE})|(?P<adult>{_ADULTS})|(?P<kid>{_KIDS})|(?P<pair>{_PAIRS}))\b"
)
_LEAD = re.compile(
    r"\b(?:somos|seremos|seriamos|vamos\s+a\s+ser|ibamos\s+a\s+ser|vamos|vendremos|venimos|viajamos|"
    r"(?:para|somos|seremos)\s+(?:nosotr[oa]s|los|las)|para|we\s+are|we'?re|we\s+will\s+be|we'?ll\s+be|"
    r"we\s+would\s+be|we'?d\s+be|there\s+(?:are|will\s+be|would\s+be)|there'?ll\s+be|for|"
    r"grupo\s+de|group\s+of|party\s+of|familia\s+de|family\s+of|en\s+total|in\s+total)"
    rf"\s+(?:(?:como|unos|unas|about|around|approx\.?)\s+)?(?P<n>{_COUNT})"
)
_OF_US = re.compile(rf"(?<![\w$/.,:-])(?P<n>{_COUNT})\s+of\s+us\b|\bboth\s+of\s+us\b")
_COUPLE = re.compile(
    r"\b(?:una|1)\s+pareja\b|\bun\s+matrimonio\b|\b(?:somos|en)\s+pareja\b|"
    r"\ba\s+(?:married\s+|young\s+)?couple(?=\s*(?:$|[,.;:!?)+&]|(?:with|and|from|plus|traveling|travelling|"
    r"arriving|staying|looking|for|in|on|at|who|y|con)\b))|"
    rf"\b(?:mi|my)\s+(?:{_SPOUSE})\s+(?:y|and|&)\s+(?:yo|i|me|myself)\b|"
    rf"\b(?:yo|i|me)\s+(?:y|and|&|\+)\s+(?:mi|my)\s+(?:{_SPOUSE})\b"
)
_ALONE = re.compile(
    r"(?:\bsolo\s+(?:yo|para\s+mi)|\b(?:yo|para\s+mi)\s+sol[oa]|"
    r"\b(?:viajo|voy|vengo|ire|viajare|estoy|estare|llego)\s+sol[oa](?!\s+(?:por|para|a|al|el|la|los|las|un|una|"
    r"unos|unas|de|del|en|con|hasta|desde|\d))|"
    r"\b(?:just|only)\s+(?:me|myself|for\s+me)|\bme\s+(?:alone|only)|\bby\s+myself|"
    r"\b(?:travell?ing|coming|staying|going|i'?m|i\s+am)\s+(?:alone|solo)|\ba\s+solo\s+travell?er)\b"
    r"(?!\s*(?:&|\+|(?:y|and|with|con)\b))"
)
_ANY_NOUN = "|".join(
    (
        _PEOPLE,
        _ADULTS,
        _KIDS,
        _PAIRS,
        *words.COUNTED_NOUNS,
        r"puntos?|points?|horas?|hours?|minutos?|mins?|mil|miles|cientos?|thousand|hundred|k|lucas|palos|mangos|"
        r"bucks|cosas?|things?|reasons?|more|mas|veces|times|x|por\s+ciento|percent|per\s+cent|of(?!\s+us\b)",
    )
)
# What may not follow a bare count: another digit or ordinal, a noun, a month, an hour, or the other end of a range.
_NOT_A_COUNT = re.compile(
    r"[\w°º$%']|[.,:/]\d|\s*(?:-|–|/|o|or|u|a|al|to)\s*\d|"
    rf"\s*(?:{_ANY_NOUN})\b|\s*(?:de\s+)?{words.alternation(words.MONTHS)}\b|"
    r"\s*(?:hs?|hrs?|am|pm|a\.\s?m|p\.\s?m|o'?clock|y\s+media|de\s+la\s+(?:manana|tarde|noche))\b"
)
_RANGE_BEFORE = re.compile(r"\d\s*(?:-|–|/|o|or|u|a|to)\s*$")
_PARTY_GAP = re.compile(
    r"\s*(?:[,:(+&]|\b(?:y|e|and|con|with|mas|plus|junto\s+con|together\s+with)\b)?\s*"
    r"(?:\b(?:mis|my|our|nuestr[oa]s|sus|los|las|the)\s+)?"
)
_STANDALONE_ARTICLE_NOUN = re.compile(r"persona|adult[oa]|person|adult")
# "una persona" is a guest count at the start of an answer or after these ("para una persona"), not in "quiero
# hablar con una persona".
_ARTICLE_COUNT_BEFORE = re.compile(
    r"(?:^|\b(?:para|for|somos|seremos|vamos\s+a\s+ser|we\s+are|we'?re|we'?ll\s+be|solo|just|only|de|of|x))\s*$"
)


def _number(token: str) -> int:
    token = re.sub(r"\s+", " ", token)
    return int(token) if token.isdigit() else {**words.NUMBERS, "a": 1, "an": 1}[token]


@dataclass(frozen=True)
class _Count:
    """A candidate guest count before parties are added up.

    ``kind``: people ("2 personas"), adult, kid, pair ("2 parejas") — the terms, which can join a party — or lead
    ("somos 4"), couple ("una pareja") and alone ("solo yo"). ``standalone`` is False for an article before a noun
    ("un nene", "a guest", "hablar con una persona"): it counts only as part of a party ("somos 2 y un nene"),
    except "una persona"/"un adulto" opening the message or after para/for/somos/solo ("para una persona").
    """

    start: int
    end: int
    value: int
    kind: str
    standalone: bool = True

    @property
    def is_term(self) -> bool:
        return self.kind in ("people", "adult", "kid", "pair")


def _candidates(folded: str) -> list[_Count]:
    """Every candidate count, keeping the longest where they overlap ("somos 2 adultos": the term)."""
    items: list[_Count] = []
    for m in _TERM.finditer(folded):
        if _RANGE_BEFORE.search(folded, 0, m.start()):
            continue
        kind = next(name for name in ("people", "adult", "kid", "pair") if m[name])
        standalone = m["n"] not in _ARTICLES or bool(
            _STANDALONE_ARTICLE_NOUN.fullmatch(m[kind]) and _ARTICLE_COUNT_BEFORE.search(folded, 0, m.start())
        )
        items.append(_Count(m.start(), m.end(), _number(m["n"]) * (2 if kind == "pair" else 1), kind, standalone))
    for m in _LEAD.finditer(folded):
        if not _NOT_A_COUNT.match(folded, m.end("n")):
            items.append(_Count(m.start(), m.end(), _number(m["n"]), "lead"))
    items += [_Count(m.start(), m.end(), _number(m["n"]) if m["n"] else 2, "lead") for m in _OF_US.finditer(folded)]
    items += [_Count(m.start(), m.end(), 2, "couple") for m in _COUPLE.finditer(folded)]
    items += [_Count(m.start(), m.end(), 1, "alone") for m in _ALONE.finditer(folded)]
    chosen: list[_Count] = []
    for item in sorted(items, key=lambda item: (item.start - item.end, not item.standalone, item.start)):
        if all(item.end <= other.start or item.start >= other.end for other in chosen):
            chosen.append(item)
    return sorted(chosen, key=lambda item: item.start)


def _party_size(party: list[_Count]) -> int:
    """The guests of a party; a total followed by its breakdown ("somos 4: 2 adultos y 2 niños") is not added."""
    head, rest = party[0], party[1:]
    breakdown = sum(item.value for item in rest)
    if head.kind in ("people", "lead") and any(item.kind != "kid" for item in rest) and breakdown == head.value:
        return head.value
    return head.value + breakdown


def find_guests(text: str, max_guests: int = MAX_GUESTS) -> list[Found]:
    """Guest counts in ``text`` (see the module docstring), 1 to ``max_guests`` each."""
    folded = fold(text)
    blocked = [(item.start, item.end) for item in extract_dates(text, _REFERENCE)]
    items = [item for item in _candidates(folded) if all(item.end <= s or item.start >= e for s, e in blocked)]
    found: list[Found] = []
    index = 0
    while index < len(items):
        party = [items[index]]
        index += 1
        # A party: terms joined by y/and/con/+/"," ("2 adultos y 1 niño", "una pareja con 2 hijos").
        while (
            index < len(items)
            and items[index].is_term
            and _PARTY_GAP.fullmatch(folded, party[-1].end, items[index].start)
        ):
            party.append(items[index])
            index += 1
        total = _party_size(party)
        if (len(party) > 1 or party[0].standalone) and 1 <= total <= max_guests:
            found.append(Found(GUESTS, total, party[0].start, party[-1].end))
    return found


# --- everything ------------------------------------------------------------------------------------------------


def _non_overlapping(found: list[Found], taken: list[Found] | None = None) -> list[Found]:
    """``found`` without the items that overlap ``taken`` or an earlier item of ``found``."""
    kept = list(taken or [])
    result: list[Found] = []
    for item in found:
        if all(item.end <= other.start or item.start >= other.end for other in kept):
            kept.append(item)
            result.append(item)
    return result


def extract(text: str, max_guests: int = MAX_GUESTS) -> list[Found]:
    """Emails, booking codes and guest counts in ``text``, sorted by start; an email's text yields nothing else.

    Args:
        text: the guest's message, as typed.
        max_guests: the largest guest count accepted (bigger numbers are not read as guests).

    Returns:
        One ``Found`` per entity, never overlapping.
    """
    emails = find_emails(text)
    codes = _non_overlapping(find_booking_codes(text), emails)
    guests = _non_overlapping(find_guests(text, max_guests), emails + codes)
    return sorted(emails + codes + guests, key=lambda item: item.start)


# --- the Rasa component ----------------------------------------------------------------------------------------


def _max_guests(value: Any) -> int:
    """The validated ``max_guests`` setting.

    Raises:
        ConfigError: it is not a positive integer.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"BookingEntityExtractor: max_guests must be a positive integer, not {value!r}")
    return value


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class BookingEntityExtractor(RuleEntityExtractor):
    """Adds `guests` (int), `booking_code` (upper case) and `email` (lower case) entities.

    Not trainable: the config is the whole state (see nlu/rule_extractor.py for persist and load).
    """

    CONFIG_FILE = "booking_extractor.json"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults: guest counts up to MAX_GUESTS."""
        return {"max_guests": MAX_GUESTS}

    PERSISTED_KEYS = PERSISTED_KEYS

    def setup(self) -> None:
        """Validates the config.

        Raises:
            ConfigError: ``max_guests`` is not a positive integer.
        """
        self._max_guests = _max_guests(self._config["max_guests"])

    def entities(self, text: str) -> list[dict[str, Any]]:
        """The entities of ``text`` in Rasa's format."""
        return [
            {
                ENTITY_ATTRIBUTE_TYPE: found.entity,
                ENTITY_ATTRIBUTE_VALUE: found.value,
                ENTITY_ATTRIBUTE_START: found.start,
                ENTITY_ATTRIBUTE_END: found.end,
                ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
            }
            for found in extract(text, self._max_guests)
        ]
