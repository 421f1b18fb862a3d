"""Vocabulary and grammar of the date/time extractor (nlu/dates.py), in Spanish and English.

Every word is written the way ``dates.fold`` leaves text: lower case, accents and tildes removed ("miercoles",
"sabado", "dieciseis", "manana"). The patterns at the end are regular expression sources built from these tables;
dates.py compiles them and pairs each with the function that reads its named groups. Nothing but string building
happens at import time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MONTHS: dict[str, int] = {
    # Spanish, with "setiembre" (common in Argentina) and the usual abbreviations
    "enero": 1,
    "ene": 1,
    "febrero": 2,
    "feb": 2,
    "marzo": 3,
    "mar": 3,
    "abril": 4,
    "abr": 4,
    "mayo": 5,
    "junio": 6,
    "jun": 6,
    "julio": 7,
    "jul": 7,
    "agosto": 8,
    "ago": 8,
    "septiembre": 9,
    "setiembre": 9,
    "sep": 9,
    "sept": 9,
    "set": 9,
    "octubre": 10,
    "oct": 10,
    "noviembre": 11,
    "nov": 11,
    "diciembre": 12,
    "dic": 12,
    # English
    "january": 1,
    "jan": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "dec": 12,
}

# Month words that are also ordinary words ("set", "mar"): accepted after a day number ("12 set"), never before.
AMBIGUOUS_MONTHS: frozenset[str] = frozenset({"set", "mar"})

WEEKDAYS: dict[str, int] = {
    "lunes": 0,
    "martes": 1,
    "miercoles": 2,
    "jueves": 3,
    "viernes": 4,
    "sabado": 5,
    "domingo": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}

_ES_UNITS = ["uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"]
_ES_TEENS = ["diez", "once", "doce", "trece", "catorce", "quince", "dieciseis", "diecisiete", "dieciocho", "diecinueve"]
_EN_UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_EN_TEENS = [
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]


def _number_words() -> dict[str, int]:
    """Cardinal words 1–31 in both languages, including "un"/"una", "veintiun" and "twenty-one"/"twenty one"."""
    words: dict[str, int] = {"un": 1, "una": 1}
    for value, (es, en) in enumerate(zip(_ES_UNITS, _EN_UNITS, strict=True), start=1):
        words[es] = value
        words[en] = value
    for value, (es, en) in enumerate(zip(_ES_TEENS, _EN_TEENS, strict=True), start=10):
        words[es] = value
        words[en] = value
    words["veinte"] = 20
    words["twenty"] = 20
    for value, (es, en) in enumerate(zip(_ES_UNITS, _EN_UNITS, strict=True), start=21):
        words["veinti" + es] = value
        words[f"twenty-{en}"] = value
        words[f"twenty {en}"] = value
    words["veintiun"] = 21
    words["veintiuna"] = 21
    words["treinta"] = 30
    words["thirty"] = 30
    words["treinta y uno"] = 31
    words["treinta y un"] = 31
    words["thirty-one"] = 31
    words["thirty one"] = 31
    return words


NUMBERS: dict[str, int] = _number_words()

RELATIVE_DAYS: dict[str, int] = {
    "hoy": 0,
    "today": 0,
    "tonight": 0,
    "esta noche": 0,
    "manana": 1,
    "tomorrow": 1,
    "pasado manana": 2,
    "day after tomorrow": 2,
    "the day after tomorrow": 2,
    "ayer": -1,
    "yesterday": -1,
    "anteayer": -2,
    "antes de ayer": -2,
    "day before yesterday": -2,
    "the day before yesterday": -2,
}

# Words that count as "one" only in front of a unit ("a night", "in a week").
ONE_ARTICLES: dict[str, int] = {"a": 1, "an": 1}

DAY_WORDS: dict[str, int] = {"primero": 1, "first": 1}

# Parts of the day: which half of the clock an hour belongs to.
PERIODS: dict[str, str] = {
    "manana": "am",
    "madrugada": "am",
    "morning": "am",
    "tarde": "pm",
    "afternoon": "pm",
    "evening": "pm",
    "noche": "night",
    "night": "night",
}

# Fixed times of day.
NAMED_TIMES: dict[str, str] = {
    "mediodia": "12:00",
    "noon": "12:00",
    "midday": "12:00",
    "medianoche": "00:00",
    "midnight": "00:00",
}

# Nouns that make the number before them a quantity, never a day or an hour ("2 personas", "3 adults").
COUNTED_NOUNS: tuple[str, ...] = (
    "personas?",
    "adultos?",
    "ninos?",
    "ninas?",
    "menores",
    "huespedes",
    "habitacion(?:es)?",
    "cuartos?",
    "camas?",
    "noches?",
    "dias?",
    "semanas?",
    "meses",
    "anos",
    "estrellas?",
    "pisos?",
    "people",
    "persons?",
    "adults?",
    "kids?",
    "children",
    "child",
    "guests?",
    "rooms?",
    "beds?",
    "nights?",
    "days?",
    "weeks?",
    "months?",
    "years?",
    "stars?",
    "floors?",
    "pax",
    "euros?",
    "dolares",
    "dollars?",
    "pesos",
    "usd",
    "ars",
    "%",
)


def alternation(words: Iterable[str]) -> str:
    """A non-capturing regex alternation of ``words``, longest first so that "sept" wins over "sep"."""
    ordered = sorted(set(words), key=lambda word: (-len(word), word))
    return "(?:" + "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in ordered) + ")"


# --- patterns (sources; named groups are read by the builders in dates.py) ------------------------------------

ORDINAL = r"(?:st|nd|rd|th|ro|ero|er|º|°|ª)"
_MONTH = alternation(MONTHS)
_MONTH_FIRST = alternation(set(MONTHS) - AMBIGUOUS_MONTHS)
_WEEKDAY = alternation(WEEKDAYS)
_NUMBER_OR_A = alternation({**NUMBERS, **ONE_ARTICLES})
_DAY_WORD = alternation({**NUMBERS, **DAY_WORDS})
_HOUR_WORD = alternation(word for word, value in NUMBERS.items() if value <= 12)
_WD_PREFIX = rf"(?:\b(?:(?:el|on)\s+)?{_WEEKDAY},?\s+)?"  # "el viernes 12": the day number decides
_AMPM = r"(?P<ap>[ap])(?:\.\s?m\.|m\b)"
_EN_PERIOD = r"(?:\s+(?:in\s+the\s+(?P<per>morning|afternoon|evening)|at\s+(?P<night>night)))?"
_NOT_PART_OF_NUMBER = r"(?<![\d/.:,$])\b"

ISO_DATE = r"(?<![\d/.-])\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d-])"
NUMERIC_DATE = (
    rf"{_WD_PREFIX}(?<![\d/.:,$-])\b(?P<d>\d{{1,2}})(?P<sep>[/.-])(?P<m>\d{{1,2}})"
    r"(?:(?P=sep)(?P<y>\d{4}|\d{2}))?(?![\d/.-]?\d)"
)
DAY_MONTH = (
    rf"{_WD_PREFIX}(?:\b(?:el|the)\s+)?(?:\bdia\s+)?{_NOT_PART_OF_NUMBER}"
    rf"(?:(?P<d>\d{{1,2}}){ORDINAL}?\s*|(?P<dw>{_DAY_WORD})\s+)(?:(?:de|of)\s+)?(?:the\s+month\s+of\s+)?"
    rf"(?P<mon>{_MONTH})\b\.?(?:,?\s*(?:del?\s+)?(?P<y>\d{{4}})(?!\d))?"
)
MONTH_DAY = (
    rf"{_WD_PREFIX}\b(?P<mon>{_MONTH_FIRST})\b\.?\s*(?:the\s+)?"
    rf"(?:(?P<d>\d{{1,2}}){ORDINAL}?|(?P<dw>primero|first))(?![\w°]|[/.:]\d)(?:,?\s*(?P<y>\d{{4}})(?!\d))?"
)
BARE_DAY = (
    rf"(?P<art>\b(?:el|the|on\s+the)\s+(?:dia\s+)?|\bdia\s+)?(?P<wd>\b(?:el\s+|on\s+)?{_WEEKDAY},?\s+"
    rf"(?:(?:el|the)\s+)?)?{_NOT_PART_OF_NUMBER}(?P<d>\d{{1,2}})(?P<o>{ORDINAL})?(?![\w°]|[/.:,]\d)"
)
RELATIVE_DAY = rf"\b{alternation(RELATIVE_DAYS)}\b"
OFFSET_IN = rf"\b(?:en|dentro\s+de|in)\s+(?P<n>\d{{1,3}}|{_NUMBER_OR_A})\s+(?P<u>dias?|semanas?|days?|weeks?)\b"
OFFSET_FROM_NOW = rf"\b(?P<n>\d{{1,3}}|{_NUMBER_OR_A})\s+(?P<u>days?|weeks?)\s+from\s+now\b"
WEEKDAY = (
    r"(?P<mod>\b(?:el\s+proximo|this\s+coming|proximo|este|el|on|this|next|coming)\s+)?"
    rf"\b(?P<wd>{_WEEKDAY})\b(?P<post>\s+(?:que\s+viene|proximo|next))?"
)
WEEKEND = (
    r"(?P<mod>\b(?:el\s+proximo|this\s+coming|proximo|este|el|this|next|the|coming)\s+)?"
    r"\b(?:fin\s+de\s+semana|finde|weekend)\b(?P<post>\s+(?:que\s+viene|proximo))?"
)
NIGHTS = rf"\b(?P<n>\d{{1,3}}|{_NUMBER_OR_A})\s+(?:noches?|nights?)\b"
TIME_ES = (  # "a las 2 de la tarde", "hasta las 14 hs", "a la una y media"
    r"\b(?:a|hasta|desde|para|antes\s+de|despues\s+de|tipo|sobre|de|entre|y|como\s+a)\s+las?\s+"
    rf"(?P<h>\d{{1,2}}(?!\d)|{_HOUR_WORD}\b)(?:\s*[:.h]\s*(?P<mm>\d{{2}})|\s+y\s+(?P<frac>media|cuarto)"
    rf"|\s+(?P<minus>menos\s+cuarto))?(?:\s*(?:hs|hrs?|horas?|h)\b)?(?:\s*{_AMPM})?"
    r"(?:\s+(?:de|por|en|a)\s+la\s+(?P<per>manana|madrugada|tarde|noche)|\s+(?:del?|al)\s+(?P<noon>mediodia))?"
)
TIME_MERIDIEM = (  # "1pm", "at 1:30 p.m.", "until 2pm", "3 o'clock"
    rf"(?:\b(?:at|by|until|till|til|around|before|after|from|to)\s+)?{_NOT_PART_OF_NUMBER}"
    rf"(?P<h>\d{{1,2}}|{_HOUR_WORD})(?:[:.](?P<mm>\d{{2}}))?\s*(?:{_AMPM}|o'?clock\b){_EN_PERIOD}"
)
TIME_AT = rf"\b(?:at|until|till|around|by)\s+(?P<h>\d{{1,2}})(?::(?P<mm>\d{{2}}))?{_EN_PERIOD}(?![\w:/]|\.\d)"
TIME_CLOCK = rf"{_NOT_PART_OF_NUMBER}(?P<h>\d{{1,2}})[:h](?P<mm>\d{{2}})(?:\s*(?:hs|hrs?|h)\b)?(?![\d:])"
TIME_HOURS = rf"{_NOT_PART_OF_NUMBER}(?P<h>\d{{1,2}})(?:[.h](?P<mm>\d{{2}}))?\s*(?:hs|hrs?|h)\b"
TIME_NAMED = rf"\b(?P<named>{alternation(NAMED_TIMES)})\b"
