"""Guest counts in Spanish or English guest messages: people, parties, couples and travellers alone.

``find_guests`` returns ``Found`` items (nlu/dates.py) with character offsets into the original text, sorted by
start and never overlapping. Kept apart from booking codes and emails (nlu/booking_codes.py) and from the Rasa
component that combines them (nlu/booking.py): these are pattern rules only, no Rasa.

- ``guests`` → an int, 1 to ``max_guests``: a count of people ("2 personas", "dos adultos", "3 pax", "2 parejas" →
  4), summed over a party ("2 adultos y 1 niño" → 3, "we're 2 and a baby" → 3, "una pareja con 2 hijos" → 4); a
  bare number after somos/seremos/vamos a ser/para/for/we are/there are/grupo de/family of ("somos 4", "para
  dos", "we are 3"), or before "of us"; a couple ("una pareja", "a couple", "mi esposa y yo", "my wife and I" → 2);
  alone ("solo yo", "viajo sola", "just me", "by myself" → 1). Never from dates, times, nights, room numbers or
  prices: a number followed by another counted noun ("2 noches", "2 habitaciones", "95 dólares"), a month, an hour
  or a range ("2 o 3 personas") is not a guest count, and nothing the date extractor reads as a date, a time or a
  number of nights is one either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from nlu import date_words as words
from nlu.dates import Found, fold
from nlu.dates import extract as extract_dates

GUESTS = "guests"
MAX_GUESTS = 20

# Date spans only block guest counts, so any fixed reference instant will do (a leap year keeps 29/2 a date).
_REFERENCE = datetime(2024, 1, 1)

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
