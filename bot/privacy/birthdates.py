"""Dates that read as somebody's date of birth (a full date old enough, or one
next to a word such as "geboren")."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.privacy.finding import Finding

# --- dates of birth -------------------------------------------------------------

_MONTHS_NL = (
    "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|"
    "december|jan|feb|febr|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec"
)
_MONTHS_EN = "january|february|march|may|june|july|august|october"
_MONTH = rf"(?:{_MONTHS_NL}|{_MONTHS_EN})\.?"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH_NUM = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d{2}"

# Not glued to other numbers; a sentence may end right after the date.
_DATE_NUMERIC = (
    rf"(?<![\d/-])(?<!\d\.){_DAY}(?P<sep>[-/.]){_MONTH_NUM}(?P=sep)(?:{_YEAR}|\d{{2}})"
    r"(?![\d/-]|[.:]\d)"
)
_DATE_NUMERIC_NO_YEAR = rf"(?<![\d/-])(?<!\d\.){_DAY}[-/.]{_MONTH_NUM}(?![\d/-]|[.:]\d)"
_DATE_WORDS = rf"\b{_DAY}\s+{_MONTH}(?:\s+{_YEAR})?\b"
_DATE_WORDS_YEAR = rf"\b{_DAY}\s+{_MONTH}\s+{_YEAR}\b"
_DATE_WORDS_EN = rf"\b{_MONTH}\s+{_DAY}(?:st|nd|rd|th)?,?\s+{_YEAR}\b"
_MONTH_YEAR = rf"\b{_MONTH}\s+{_YEAR}\b"
_DATE_ISO = rf"\b{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b"
# After a birth keyword a month and year is enough ("geboren in mei 2009"); a
# year alone is not flagged anywhere ("in 2008 geboren" is common and vague).
_ANY_DATE = (
    rf"(?:{_DATE_NUMERIC}|{_DATE_WORDS_EN}|{_DATE_WORDS}|{_DATE_ISO}|{_MONTH_YEAR}"
    rf"|{_DATE_NUMERIC_NO_YEAR})"
)

_BIRTH_KEYWORD = (
    r"\b(?:geboren|geb\.?|geboortedatum|geboortedag|verjaardag|jarig|born|birthday|"
    r"date\s+of\s+birth|d\.?o\.?b\.?)"
)
_BIRTH_WORD = re.compile(_BIRTH_KEYWORD, re.IGNORECASE)
# "geboren op 3-4-2008", "geb. 03/04/2008", "jarig op 3 april": the keyword
# makes even a date without a year a birthday. Matched right after a keyword.
_DATE_AFTER_KEYWORD = re.compile(
    r"(?:\s+(?:is|was))?(?:\s+(?:op|on|in|de|the))?\s*:?\s*(?P<date>" + _ANY_DATE + ")",
    re.IGNORECASE,
)
# "op 15 maart 2008 geboren", "op 2 februari 2010 geboren is": matched in the
# few words before "geboren"/"born".
_DATE_BEFORE_KEYWORD = re.compile(
    r"(?P<date>" + _ANY_DATE + r")\W{0,3}(?:\w+\W+){0,2}$", re.IGNORECASE
)
# Where a full date could be: a year, or three numbers with date separators.
_DATE_ANCHOR = re.compile(r"(?:19|20)\d\d|\d{1,2}[-/.]\d{1,2}[-/.]\d{2}")
# A full date with a year from long enough ago is most likely somebody's birth.
_FULL_DATE = re.compile(
    rf"(?:{_DATE_NUMERIC}|{_DATE_WORDS_EN}|{_DATE_WORDS_YEAR}|{_DATE_ISO})", re.IGNORECASE
)
# "sinds 1-1-2015", "vanaf", "tot": a date that starts or ends a period.
_PERIOD_BEFORE = re.compile(
    r"\b(?:sinds|vanaf|per|tot|t/m|tm|van|since|from|until|till|as\s+of)\s+$", re.IGNORECASE
)
# People reflecting on recent work mention recent dates; a full date this many
# years back or more is read as a date of birth.
_MIN_AGE_YEARS = 8


def birthdates(text: str, year: int) -> Iterator[Finding]:
    """Dates next to a birth keyword, and full dates old enough to be births.

    The date patterns are only tried near a keyword or a year-like anchor, which
    keeps this cheap on long texts.
    """
    if not any(c.isdigit() for c in text):
        return
    for kw in _BIRTH_WORD.finditer(text):
        after = _DATE_AFTER_KEYWORD.match(text, kw.end(), kw.end() + 40)
        if after:
            yield Finding("birthdate", after.start("date"), after.end("date"))
        before = _DATE_BEFORE_KEYWORD.search(text, max(0, kw.start() - 50), kw.start())
        if before:
            yield Finding("birthdate", before.start("date"), before.end("date"))
    seen_end = -1
    for anchor in _DATE_ANCHOR.finditer(text):
        if anchor.start() < seen_end:
            continue
        for m in _FULL_DATE.finditer(text, max(0, anchor.start() - 25), anchor.end() + 25):
            if not m.start() <= anchor.start() < m.end():
                continue
            seen_end = m.end()
            if _is_old(m.group(), year) and not _PERIOD_BEFORE.search(
                text, max(0, m.start() - 12), m.start()
            ):
                yield Finding("birthdate", m.start(), m.end())
            break


def _is_old(found: str, year: int) -> bool:
    """Whether a full date lies far enough back to be somebody's birth."""
    numbers = re.findall(r"\d+", found)
    four = [n for n in numbers if len(n) == 4]
    date_year = int(four[0] if four else numbers[-1])
    if date_year < 100:  # two-digit year: the century that is not in the future
        date_year += 2000 if date_year <= year % 100 else 1900
    return 1900 <= date_year <= year - _MIN_AGE_YEARS
