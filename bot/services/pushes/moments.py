"""Reading the moment a trainer types in a chat ("morgen 9:00", "vr 14u", "1 december 9").

Trainers type times as they would say them, in Dutch or English, so this is a
small hand-made reader rather than a date library: it accepts the phrasings
we have seen, refuses anything ambiguous (a day without a time), and always
means Europe/Amsterdam wall-clock time, whatever the server's zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from bot.clock import AMSTERDAM

TZ = AMSTERDAM


def in_local(moment: datetime) -> datetime:
    """`moment` on the Amsterdam wall clock; naive datetimes are refused, as they are
    always a bug here (the service works in aware UTC)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware UTC")
    return moment.astimezone(TZ)


def at_local(day: date, at: time) -> datetime:
    """A local wall-clock time on a day, as aware UTC.

    A time that does not exist (the spring-forward gap) is read with the offset
    before the change, so it lands just after the gap; an ambiguous one (the
    autumn hour that happens twice) is the first of the two.
    """
    return datetime.combine(day, at, tzinfo=TZ).astimezone(UTC)


_NOW_WORDS = frozenset(
    {"nu", "now", "direct", "meteen", "nu meteen", "right now", "immediately", "asap"}
)
_FILLER = frozenset({"om", "at", "on", "op", "uur", "o'clock", "oclock"})
_RELATIVE = {
    "vandaag": 0,
    "vanochtend": 0,
    "vanmorgen": 0,
    "vanmiddag": 0,
    "vanavond": 0,
    "today": 0,
    "tonight": 0,
    "morgen": 1,
    "tomorrow": 1,
    "overmorgen": 2,
    "day after tomorrow": 2,
}
_WEEKDAY_NAMES = (
    ("maandag", "ma", "monday", "mon", "mo"),
    ("dinsdag", "di", "tuesday", "tue", "tues", "tu"),
    ("woensdag", "wo", "wednesday", "wed", "we"),
    ("donderdag", "do", "thursday", "thu", "thur", "thurs", "th"),
    ("vrijdag", "vr", "friday", "fri", "fr"),
    ("zaterdag", "za", "saturday", "sat", "sa"),
    ("zondag", "zo", "sunday", "sun", "su"),
)
_WEEKDAYS = {name: number for number, names in enumerate(_WEEKDAY_NAMES) for name in names}
#: "komende maandag" is plain "maandag"; "volgende maandag" is never today.
_THIS = frozenset({"komende", "aanstaande", "deze", "this", "coming"})
_NEXT = frozenset({"volgende", "next"})
_MONTH_NAMES = (
    ("januari", "january", "jan"),
    ("februari", "february", "feb"),
    ("maart", "march", "mar", "mrt"),
    ("april", "apr"),
    ("mei", "may"),
    ("juni", "june", "jun"),
    ("juli", "july", "jul"),
    ("augustus", "august", "aug"),
    ("september", "sep", "sept"),
    ("oktober", "october", "okt", "oct"),
    ("november", "nov"),
    ("december", "dec"),
)
_MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names}

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY = re.compile(r"(\d{1,2})([-/])(\d{1,2})(?:\2(\d{4}|\d{2}))?")
_DOTTED_DMY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th|ste|de|e)?"
_DAY_MONTH = re.compile(_ORDINAL + r" ([a-z]+)(?: (\d{4}))?")
_MONTH_DAY = re.compile(r"([a-z]+) " + _ORDINAL + r"(?: (\d{4}))?")
_CLOCK_12 = re.compile(r"(\d{1,2})(?:[:.](\d{2}))? ?(am|pm|a\.m\.|p\.m\.)")
_CLOCK_24 = re.compile(r"(\d{1,2})(?:[:.uh](\d{2}))?(?: ?(?:u|h))?")


def parse_when(text: str, now: datetime) -> datetime | None:
    """A moment typed by a trainer, in Dutch or English, local to Europe/Amsterdam.

    Returns aware UTC, or None when it cannot be read. A day without a time is
    not accepted (guessing an hour would surprise); a time without a day means
    today. Weekday names mean the next such day, today if that time is still
    ahead. A date without a year means the nearest such date (so "2-1" typed in
    December is next January, but "26-11" typed on 27 November is in the past).
    Past moments are returned as they are: the caller rejects them and says so.
    """
    words = [w.strip(".,;!?") for w in text.lower().replace(",", " ").split()]
    words = [w for w in words if w and w not in _FILLER]
    if not words:
        return None
    if " ".join(words) in _NOW_WORDS:
        return now.astimezone(UTC)
    today = in_local(now).date()
    # Day first ("morgen 9:00") is tried at every split before time first
    # ("9:00 morgen"), so "1 december 9" is 1 December at 9, not 9 December at 1.
    splits = [(words[:i], words[i:]) for i in range(len(words))]
    splits += [(words[i:], words[:i]) for i in range(1, len(words) + 1)]
    for day_words, time_words in splits:
        at = _parse_time(" ".join(time_words))
        if at is None:
            continue
        day = _parse_day(day_words, at, today, now)
        if day is not None:
            return at_local(day, at)
    return None


def _parse_time(text: str) -> time | None:
    if m := _CLOCK_12.fullmatch(text):
        hour, minute = int(m[1]), int(m[2] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        return time(hour % 12 + (12 if m[3].startswith("p") else 0), minute)
    if m := _CLOCK_24.fullmatch(text):
        hour, minute = int(m[1]), int(m[2] or 0)
        return time(hour, minute) if hour <= 23 and minute <= 59 else None
    return None


def _parse_day(words: list[str], at: time, today: date, now: datetime) -> date | None:
    if not words:
        return today
    phrase = " ".join(words)
    if phrase in _RELATIVE:
        return today + timedelta(days=_RELATIVE[phrase])
    strict = words[0] in _NEXT
    prefixed = strict or words[0] in _THIS
    rest = words[1:] if prefixed else words
    if len(rest) == 1 and rest[0] in _WEEKDAYS:
        ahead = (_WEEKDAYS[rest[0]] - today.weekday()) % 7
        if ahead == 0 and (strict or at_local(today, at) < now):
            ahead = 7
        return today + timedelta(days=ahead)
    if prefixed or not rest:
        return None
    weekday = None
    if len(rest) > 1 and rest[0] in _WEEKDAYS:  # "maandag 1 december": must agree
        weekday, rest = _WEEKDAYS[rest[0]], rest[1:]
    day = _parse_date(" ".join(rest), today)
    if day is None or (weekday is not None and day.weekday() != weekday):
        return None
    return day


def _parse_date(text: str, today: date) -> date | None:
    year: int | None
    if m := _ISO_DATE.fullmatch(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY.fullmatch(text):
        day, month = int(m[1]), int(m[3])
        year = None if m[4] is None else int(m[4]) + (2000 if len(m[4]) == 2 else 0)
    elif m := _DOTTED_DMY.fullmatch(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif (m := _DAY_MONTH.fullmatch(text)) and m[2] in _MONTHS:
        day, month, year = int(m[1]), _MONTHS[m[2]], int(m[3]) if m[3] else None
    elif (m := _MONTH_DAY.fullmatch(text)) and m[1] in _MONTHS:
        day, month, year = int(m[2]), _MONTHS[m[1]], int(m[3]) if m[3] else None
    else:
        return None
    years = [year] if year is not None else [today.year - 1, today.year, today.year + 1]
    candidates = [found for y in years if (found := _date_or_none(y, month, day)) is not None]
    if not candidates:
        return None
    return min(candidates, key=lambda found: abs((found - today).days))


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
