"""Dates, times and numbers of nights in Spanish or English guest messages, without Duckling.

``extract(text, now)`` returns ``Found`` items (entity ``date`` → ISO date, ``time`` → "HH:MM", ``nights`` → int)
with character offsets into the original text. Both languages are matched at once; case, missing accents and
simple punctuation do not matter. Everything resolves against ``now.date()`` (already in the hotel's zone).

Semantics:
- hoy/today/tonight/esta noche = today; mañana/tomorrow = +1 ("de la mañana", "por la mañana", "esta mañana" are
  mornings, not tomorrow); pasado mañana/day after tomorrow = +2; ayer/yesterday = -1; anteayer = -2;
  "en 3 días", "dentro de una semana", "in 3 days", "in a week", "2 weeks from now" = today + n days/weeks.
- weekdays: "el viernes", "este viernes", "friday", "this friday", "on Friday" = next occurrence, today included;
  "el viernes que viene", "el próximo viernes", "next friday" = next occurrence strictly after today.
  "los viernes" / "every friday" (recurring) are ignored. "el viernes 12" is resolved by the day number.
- "el 12", "el día 12", "the 12th" = day 12 of this month if not passed (today included), else of the next month
  that has it. Numeric dates are always day first (the hotel is in Argentina): "12/12", "12-12", "12.12.2026",
  "12/12/26"; ISO "2026-12-12". Without a year, the next such date from today on (so it rolls into next year).
- month names and abbreviations in both languages: "12 de diciembre", "12 dic", "1ro de enero",
  "primero de enero", "quince de marzo", "December 12th", "Dec 12", "12 December", "the 12th of December".
- ranges give two dates with roles check_in and check_out: "del 12 al 15 (de diciembre)", "12-15 dic",
  "from Dec 12 to 15", "between the 12th and the 15th", "desde el viernes hasta el domingo", "from friday to
  sunday". A side without a month borrows the other's; the check_out is the first matching date after the
  check_in. Two bare numbers form a range only when the first is marked as a day ("del 12", "el 12", "12th"),
  so "de 10 a 12" or "2-3 personas" are not dates. A single date after desde/a partir de/from/starting/since gets
  role check_in; after hasta/until/till, check_out. So do check-in/llegada/llego/arriving (check_in) and
  check-out/salida/me voy/leaving (check_out) right before a date: "check-out el domingo".
- weekends ("el fin de semana", "este finde", "this weekend") give check_in Friday and check_out Sunday of the
  coming weekend; on a Friday or Saturday that is the weekend in progress, with check_in today (never in the
  past); on a Sunday it is already over, so the next Friday is used. "el fin de semana que viene", "el próximo
  finde", "next weekend" = the weekend after the one in progress on Fri/Sat/Sun, else the coming one.
- nights: "3 noches", "tres noches", "una noche", "for 2 nights", "a night" → integer (words 1–31).
- times → "HH:MM": "a las 13(:30)", "a la 1", "a las 2 de la tarde" (14:00), "a las 10 de la noche" (22:00),
  "a las 9 de la mañana", "a las 4 y media", "13 hs", "13h", "1pm", "at 1 pm", "1:30pm", "11am", "3 o'clock",
  "until 2pm", "hasta las 14", noon/mediodía (12:00), midnight/medianoche (00:00). An hour 1–7 written without a
  leading zero and without am/pm or part of the day is read as afternoon ("a las 2" / "at 2" → 14:00): guests
  talk about check-in and late check-out hours; "07:00", "7am" or "7 de la mañana" keep the morning. "2 hs" is
  read as a clock time, never as a duration.
- a number followed by a counted noun ("2 personas", "3 adults", "2nd floor") is never a date or a time;
  "habitación 101" contains no date.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from nlu import date_words as words

CHECK_IN = "check_in"
CHECK_OUT = "check_out"


@dataclass(frozen=True)
class Found:
    """One extracted entity; ``start``/``end`` are offsets into the original text."""

    entity: str
    value: str | int
    start: int
    end: int
    role: str | None = None


@dataclass(frozen=True)
class _Atom:
    """A matched expression before resolution; ``kind`` says which fields matter."""

    kind: str  # full | day | weekday | rel | weekend | time | nights
    start: int
    end: int
    day: int = 0
    month: int = 0
    year: int | None = None
    weekday: int = 0
    nxt: bool = False  # "next friday", "next weekend"
    offset: int = 0  # rel: days from today
    strong: bool = False  # day: marked as a day ("el 12", "12th"), not just a number
    value: str | int = ""  # time "HH:MM" or number of nights

    @property
    def is_date(self) -> bool:
        """Whether this atom can take part in a date range."""
        return self.kind in ("full", "day", "weekday", "rel")


def fold(text: str) -> str:
    """Lower-cases ``text`` and strips accents one character at a time, so offsets stay those of ``text``."""
    out: list[str] = []
    for char in text:
        low = char.lower()
        low = low if len(low) == 1 else char
        out.append("'" if low == "’" else unicodedata.normalize("NFD", low)[0])
    return "".join(out)


_NUMERIC_END = re.compile(rf"\d{words.ORDINAL}?$")
_COUNTED = re.compile(r"\s*(?:" + "|".join(words.COUNTED_NOUNS) + r")(?!\w)")
_MORNING_BEFORE = re.compile(r"\b(?:la|las|esta|una|cada|toda|media)\s+$")
_RECURRING_BEFORE = re.compile(r"\b(?:los|every|cada)\s+$")
_DEL_BEFORE = re.compile(r"\bdel\s+$")
_ROLE_BEFORE = {  # words right before a single date that say which end of the stay it is
    CHECK_IN: re.compile(
        r"\b(?:desde|a\s+partir\s+del?|from|starting(?:\s+(?:on|from))?|since|check[\s-]?in|llegada|entrada|"
        r"ingreso|llego|llegamos|arriving|arrive|arrival)\s*:?\s+(?:(?:el|the|on)\s+)?$"
    ),
    CHECK_OUT: re.compile(
        r"(?:\bhasta|\buntil|\btill|\btil|'til|\bcheck[\s-]?out|\bsalida|\begreso|\bme\s+voy|\bnos\s+vamos|"
        r"\bleaving|\bleave|\bdeparture)\s*:?\s+(?:(?:el|the|on)\s+)?$"
    ),
}
_RANGE_BEFORE = re.compile(r"\b(?P<p>del?|desde|a\s+partir\s+del?|from|entre|between)\s+(?:(?:el|the)\s+)?$")
_RANGE_GAP = re.compile(r"\s*(?P<c>al|a|hasta|to|till|until|through|thru|y|and|-|–|—)\s*(?:(?:el|the)\s+)?")


_NUMBER_WORDS = {**words.NUMBERS, **words.ONE_ARTICLES, **words.DAY_WORDS}


def _number(token: str) -> int:
    """The value of a digit string or a number word ("tres", "a", "veintiuno")."""
    token = re.sub(r"\s+", " ", token)
    return int(token) if token.isdigit() else _NUMBER_WORDS[token]


def _full(m: re.Match[str], text: str) -> _Atom | None:
    """Day, month and maybe year: ISO, numeric (day first) or with a month name."""
    groups = m.groupdict()
    if groups.get("sep") == "." and not groups.get("y"):
        return None  # "1.5" is a decimal, not the 1st of May
    month = words.MONTHS[groups["mon"].rstrip(".")] if groups.get("mon") else int(groups["m"])
    day = int(groups["d"]) if groups.get("d") else _number(groups["dw"])
    year = int(groups["y"]) if groups.get("y") else None
    if year is not None and year < 100:
        year += 2000
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    return _Atom("full", m.start(), m.end(), day=day, month=month, year=year)


def _day(m: re.Match[str], text: str) -> _Atom | None:
    """A day of the month without a month: strong with an article, a weekday or an ordinal, else weak."""
    day = int(m["d"])
    if not 1 <= day <= 31:
        return None
    art = (m["art"] or "").strip()
    strong = bool(m["o"] or m["wd"] or art.startswith(("el", "dia")) or _DEL_BEFORE.search(text, 0, m.start()))
    return _Atom("day", m.start(), m.end(), day=day, strong=strong)


def _relative(m: re.Match[str], text: str) -> _Atom | None:
    """hoy, mañana, ayer and friends; "mañana" after "la"/"esta" is a morning."""
    key = re.sub(r"\s+", " ", m[0])
    if key == "manana" and _MORNING_BEFORE.search(text, 0, m.start()):
        return None
    return _Atom("rel", m.start(), m.end(), offset=words.RELATIVE_DAYS[key])


def _offset(m: re.Match[str], text: str) -> _Atom | None:
    """Today plus n days or weeks: "en 3 días", "dentro de una semana", "in a week", "2 weeks from now"."""
    days = _number(m["n"]) * (7 if m["u"].startswith(("sem", "week")) else 1)
    return _Atom("rel", m.start(), m.end(), offset=days)


def _weekday(m: re.Match[str], text: str) -> _Atom | None:
    """A weekday: "el viernes", "next friday", "el viernes que viene"; recurring "los viernes" is ignored."""
    if not m["mod"] and _RECURRING_BEFORE.search(text, 0, m.start()):
        return None
    nxt = bool(m["post"]) or bool(re.search(r"proxim|next", m["mod"] or ""))
    return _Atom("weekday", m.start(), m.end(), weekday=words.WEEKDAYS[m["wd"]], nxt=nxt)


def _weekend(m: re.Match[str], text: str) -> _Atom | None:
    """A weekend: "el fin de semana", "este finde", "next weekend"."""
    nxt = bool(m["post"]) or bool(re.search(r"proxim|next", m["mod"] or ""))
    return _Atom("weekend", m.start(), m.end(), nxt=nxt)


def _nights(m: re.Match[str], text: str) -> _Atom | None:
    """A number of nights: "3 noches", "tres noches", "a night"."""
    count = _number(m["n"])
    return _Atom("nights", m.start(), m.end(), value=count) if 1 <= count <= 365 else None


def _time(m: re.Match[str], text: str) -> _Atom | None:
    """A clock time; see the module docstring for how hours without am/pm are read."""
    groups = m.groupdict()
    if groups.get("named"):
        return _Atom("time", m.start(), m.end(), value=words.NAMED_TIMES[m["named"]])
    raw = groups["h"]
    hour = _number(raw)
    minute = int(groups["mm"]) if groups.get("mm") else {"media": 30, "cuarto": 15, None: 0}[groups.get("frac")]
    if groups.get("minus"):
        hour, minute = hour - 1, 45
    period = groups.get("per") or groups.get("night") or ("pm" if groups.get("noon") else None)
    half = words.PERIODS.get(period or "")
    if hour > 24 or minute > 59:
        return None
    if groups.get("ap"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if groups["ap"] == "p" else 0)
    elif half == "pm" and hour < 12:
        hour += 12
    elif half == "night":
        hour = 0 if hour == 12 else hour + 12 if 5 <= hour < 12 else hour
    elif half == "am" and hour > 12:
        return None
    elif half is None and 1 <= hour <= 7 and not raw.startswith("0"):
        hour += 12  # hotel context: "a las 2" is the afternoon
    return _Atom("time", m.start(), m.end(), value=f"{hour % 24:02d}:{minute:02d}")


_Builder = Callable[[re.Match[str], str], _Atom | None]
_PATTERNS: list[tuple[re.Pattern[str], _Builder]] = [
    (re.compile(source), build)
    for source, build in (
        (words.ISO_DATE, _full),
        (words.NUMERIC_DATE, _full),
        (words.DAY_MONTH, _full),
        (words.MONTH_DAY, _full),
        (words.BARE_DAY, _day),
        (words.RELATIVE_DAY, _relative),
        (words.OFFSET_IN, _offset),
        (words.OFFSET_FROM_NOW, _offset),
        (words.WEEKDAY, _weekday),
        (words.WEEKEND, _weekend),
        (words.NIGHTS, _nights),
        (words.TIME_ES, _time),
        (words.TIME_MERIDIEM, _time),
        (words.TIME_AT, _time),
        (words.TIME_CLOCK, _time),
        (words.TIME_HOURS, _time),
        (words.TIME_NAMED, _time),
    )
]


def _atoms(text: str) -> list[_Atom]:
    """All matches of all patterns, keeping the longest where they overlap, sorted by start."""
    found: list[tuple[int, int, _Atom]] = []
    for rank, (pattern, build) in enumerate(_PATTERNS):
        for match in pattern.finditer(text):
            atom = build(match, text)
            if atom is None or (_NUMERIC_END.search(text, atom.start, atom.end) and _COUNTED.match(text, atom.end)):
                continue
            found.append((-(atom.end - atom.start), rank, atom))
    chosen: list[_Atom] = []
    for _, _, atom in sorted(found, key=lambda item: (item[0], item[2].start, item[1])):
        if all(atom.end <= other.start or atom.start >= other.end for other in chosen):
            chosen.append(atom)
    return sorted(chosen, key=lambda atom: atom.start)


def _add_months(day: date, months: int) -> tuple[int, int]:
    """(year, month) ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _safe_date(year: int, month: int, day: int) -> date | None:
    """The date, or None when it does not exist (31/4, 29/2 of a common year)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _resolve(atom: _Atom, today: date, ref: date, strict: bool) -> date | None:
    """The date of ``atom``: the first match on/after ``ref`` (after it when ``strict``)."""

    def fits(candidate: date | None) -> bool:
        return candidate is not None and (candidate > ref or (candidate == ref and not strict))

    if atom.kind == "rel":
        return today + timedelta(days=atom.offset)
    if atom.kind == "weekday":
        delta = (atom.weekday - ref.weekday()) % 7
        return ref + timedelta(days=7 if delta == 0 and (strict or atom.nxt) else delta)
    if atom.kind == "full" and atom.year is not None:
        return _safe_date(atom.year, atom.month, atom.day)
    if atom.kind == "full":
        options = (_safe_date(year, atom.month, atom.day) for year in range(ref.year, ref.year + 9))
    else:
        options = (_safe_date(*_add_months(ref, step), atom.day) for step in range(13))
    return next((option for option in options if fits(option)), None)


def _weekend_dates(today: date, nxt: bool) -> tuple[date, date]:
    """(check_in, check_out) of the coming or next weekend; see the module docstring."""
    weekday = today.weekday()
    if weekday in (4, 5):  # Friday or Saturday: the weekend in progress
        friday = today - timedelta(days=weekday - 4)
        return (friday + timedelta(days=7), friday + timedelta(days=9)) if nxt else (today, friday + timedelta(days=2))
    friday = today + timedelta(days=(4 - weekday) % 7)
    return friday, friday + timedelta(days=2)


def _range(first: _Atom, second: _Atom, text: str) -> bool:
    """Whether ``first`` and ``second`` are the two ends of one stay ("del 12 al 15", "from friday to sunday")."""
    gap = _RANGE_GAP.fullmatch(text, first.end, second.start)
    if gap is None:
        return False
    before = _RANGE_BEFORE.search(text, 0, first.start)
    prefix = re.sub(r"\s+", " ", before["p"]) if before else ""
    if (gap["c"] in ("y", "and")) != (prefix in ("entre", "between")):
        return False
    if first.kind == "day" and not first.strong:
        return second.kind == "full"
    if second.kind == "day" and not second.strong:
        return first.kind == "full" or first.kind == "day"
    return True


def _stay(first: _Atom, second: _Atom, today: date) -> tuple[date | None, date | None]:
    """Check-in and check-out dates of a range.

    A bare first day borrows the month of the second ("del 12 al 15 de diciembre"); the check-out is the first
    matching date after the check-in, so "del viernes al domingo" or "from Dec 30 to Jan 2" never go backwards.
    """
    if first.kind == "day" and second.kind == "full":
        month, year = second.month, second.year
        if first.day > second.day:  # "del 28 al 3 de enero": the 28th of December
            month, year = (12, year - 1 if year else None) if month == 1 else (month - 1, year)
        first = replace(first, kind="full", month=month, year=year)
    start = _resolve(first, today, today, strict=False)
    return start, (_resolve(second, today, start, strict=True) if start else None)


def _date_found(atom: _Atom, value: date | None, role: str | None) -> list[Found]:
    """A one-item list with the date entity, or nothing when the date does not exist."""
    return [Found("date", value.isoformat(), atom.start, atom.end, role)] if value else []


def extract(text: str, now: datetime) -> list[Found]:
    """All dates, times and night counts in ``text``, resolved against ``now`` and sorted by start.

    Args:
        text: the guest's message, as typed.
        now: the current instant, already in the hotel's time zone.

    Returns:
        One ``Found`` per entity; a range or a weekend gives two dates (check_in, check_out) in that order.
    """
    folded = fold(text)
    today = now.date()
    atoms = _atoms(folded)
    results: list[Found] = []
    index = 0
    while index < len(atoms):
        atom = atoms[index]
        following = atoms[index + 1] if index + 1 < len(atoms) else None
        if atom.is_date and following is not None and following.is_date and _range(atom, following, folded):
            check_in, check_out = _stay(atom, following, today)
            results += _date_found(atom, check_in, CHECK_IN) + _date_found(following, check_out, CHECK_OUT)
            index += 2
            continue
        index += 1
        if atom.kind == "time" or atom.kind == "nights":
            results.append(Found(atom.kind, atom.value, atom.start, atom.end))
        elif atom.kind == "weekend":
            check_in, check_out = _weekend_dates(today, atom.nxt)
            results += _date_found(atom, check_in, CHECK_IN) + _date_found(atom, check_out, CHECK_OUT)
        elif atom.kind != "day" or atom.strong:
            role = next((name for name, rx in _ROLE_BEFORE.items() if rx.search(folded, 0, atom.start)), None)
            results += _date_found(atom, _resolve(atom, today, today, strict=False), role)
    return results
