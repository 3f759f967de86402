"""Find details in free text that could identify a client or a third party.

Professionals reflect on their street work in their own words; the bot must warn
them before it stores a name, a phone number or an address of somebody they met
(see issue 7, item 2). This module only *finds*: it returns kinds and character
offsets, never the matched text, so that a finding can be logged, counted or
stored without leaking what it points at. Callers that must show the person what
was found slice ``text[f.start:f.end]`` themselves and keep it out of logs.

Checksummed identifiers are confirmed with well-kept validators (python-stdnum
for BSN and IBAN, phonenumbers for phone numbers) instead of hand-written checks;
the rest are regular expressions plus small word lists (:mod:`bot.privacy.names`)
tuned for precision, because a warning that fires on "stap 3 van 7" teaches
people to click it away.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import phonenumbers
from stdnum import iban as std_iban
from stdnum.nl import bsn as std_bsn

from bot.privacy.names import (
    FIRST_NAMES,
    NAME_TRIGGERS,
    NON_NAME_PHRASES,
    NON_NAMES,
    PARTICLES,
    RELATIONS,
    word_set,
)

__all__ = ["KINDS", "Finding", "find_identifying"]

# In order of precedence: when two findings overlap, the earlier kind wins,
# because the more specific (checksummed) reading is the more likely one.
KINDS: tuple[str, ...] = (
    "email",
    "iban",
    "phone",
    "bsn",
    "plate",
    "postcode",
    "address",
    "birthdate",
    "handle",
    "name",
)
_RANK = {kind: i for i, kind in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class Finding:
    """One identifying detail: its kind and where it is, never what it says.

    ``start``/``end`` are offsets into the analysed text (``text[start:end]``).
    Holding no text makes a Finding safe to log, count and persist.
    """

    kind: str
    start: int
    end: int


# --- e-mail and handles -------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)

# "@naam": not after a word character, so the middle of an e-mail never counts.
_AT_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?(?![\w@])")

_PLATFORM_HANDLE = re.compile(
    r"\b(?:snap(?:chat)?|insta(?:gram)?|ig|tik\s?tok|telegram|twitter|discord|facebook|fb)"
    r"(?:[- ]?(?:naam|name|account|handle|id|username|gebruikersnaam))?"
    r"\s*(?:(?P<colon>[:=])|\s(?:is|heet|was)\b:?)\s*[\"'“‘]?"
    r"(?P<handle>@?[A-Za-z0-9_][A-Za-z0-9_.]{1,29})(?![\w@])",
    re.IGNORECASE,
)
# Substrings one of which must occur before the platform pattern is worth running.
_PLATFORM_HINTS = ("snap", "insta", "tik", "telegram", "twitter", "discord", "facebook")
_SHORT_PLATFORMS = re.compile(r"\b(?:ig|fb)\b")
_NOT_HANDLES = word_set(
    "geen niet nee ja onbekend privé prive nvt weg verwijderd een de het zijn haar "
    "private none no yes gone deleted the a his her"
)

# --- numbers with checksums -----------------------------------------------------

# Nine digits, optionally grouped by single spaces or dots ("1234.56.782"), not
# glued to other digits, nor a money amount ("€ 123.456.789").
_BSN = re.compile(r"(?<![\w+.,€$])(?<!\d[ .])\d(?:[ .]?\d){8}(?![ .]?\d)(?!,\d)")
_MONEY_BEFORE = re.compile(r"(?:€|eur|euro)\s*$", re.IGNORECASE)
_MONEY_AFTER = re.compile(r"^\s*(?:euro|eur\b|€)", re.IGNORECASE)

_IBAN = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,32}")

# Numbers anyone may mention: free (0800), paid information lines (0900, 0906,
# 0909), shared-cost and organisation numbers (085x/088 "UAN").
_PUBLIC_PHONE_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.UAN,
    }
)
# Dutch numbers are always written with a trunk 0 or a country code (+31,
# 0031); only such runs of 8 to 15 digits go to phonenumbers, which is slow
# (~0.1 ms a number) and would otherwise also accept "111222333" as a number.
_PHONE_CANDIDATE = re.compile(r"(?<![\w+/.,-])(?:\+|\(0|0)(?:[\s().-]{0,3}\d){7,15}(?![\w])")
# Free and paid information numbers, skipped without asking phonenumbers.
_SERVICE_PREFIXES = ("0800", "0900", "0906", "0909")

# --- postcodes, plates, addresses ----------------------------------------------

_POSTCODE = re.compile(
    r"(?<![\w-])(?P<digits>[1-9]\d{3})(?:\s?(?P<upper>[A-Z]{2})|(?P<lower>[a-z]{2}))(?![\w-])"
)
_POSTCODE_KEYWORD = re.compile(r"postcode\W{0,3}$", re.IGNORECASE)
# Letter pairs postcodes never use (SA, SD, SS), or that after four digits far
# more often mean something else ("2024 EU", "1990 AD", "1500 KM").
_POSTCODE_UNLIKELY = word_set(
    "SA SD SS EU US VS NL BV AD BC AM PM KM CM MM KG GB MB TB HD UK OK TV CO"
)

# Dutch licence-plate sidecodes 1-14 (L = letter, D = digit).
_SIDECODES = frozenset(
    {
        "LL-DD-DD",
        "DD-DD-LL",
        "DD-LL-DD",
        "LL-DD-LL",
        "LL-LL-DD",
        "DD-LL-LL",
        "DD-LLL-D",
        "D-LLL-DD",
        "LL-DDD-L",
        "L-DDD-LL",
        "LLL-DD-L",
        "L-DD-LLL",
        "D-LL-DDD",
        "DDD-LL-D",
    }
)
_SIDECODES_BARE = frozenset(code.replace("-", "") for code in _SIDECODES)
# Three dash-separated groups of letters or digits; the shape is then checked
# against the sidecodes (cheaper than one alternation of fourteen patterns).
_PLATE_DASHED = re.compile(r"(?<![\w-])[A-Za-z0-9]{1,3}-[A-Za-z0-9]{2,3}-[A-Za-z0-9]{1,3}(?![\w-])")
# Without dashes ("AB123C", "GZ 123 K") only right after a word that says plate.
_PLATE_BARE = re.compile(
    r"(?:kenteken|nummerbord|nummerplaat|plaat|plate|registration)\w*"
    r"(?:\s+(?:is|was|van|nummer|number))?\W{1,3}"
    r"(?P<plate>[A-Za-z0-9]{1,6}(?: [A-Za-z0-9]{1,3}){0,2})(?![\w-])",
    re.IGNORECASE,
)


def _plate_shape(plate: str) -> str:
    return "".join("L" if c.isalpha() else "D" if c.isdigit() else "-" for c in plate)


# Common endings of Dutch street names. Left out on purpose: "oord" (Antwoord),
# "veld", "erf", "dam" (Amsterdam 2024), which end too many ordinary words.
_STREET_SUFFIXES = (
    "straat|straatje|straatweg|laan|laantje|weg|plein|pleintje|gracht|kade|singel|dijk|"
    "hof|steeg|steegje|pad|dreef|markt|plantsoen|park|baan|wal|burgwal|haven|hoven|"
    "gaarde|boulevard|allee"
)
_STREET_WORD = (
    r"(?:[A-Z][a-zà-ÿ'’-]*(?:" + _STREET_SUFFIXES + r")"
    r"|(?:Straat|Laan|Weg|Plein|Gracht|Kade|Singel|Dijk|Hof|Steeg|Pad|Dreef|Markt|Wal|Haven))"
)
# Capitalised words before the street name belong to it ("Oude Gracht",
# "Prins Hendrikkade"), except words that are capitalised only because they
# start the sentence ("Op de Hoofdweg 210").
_NOT_STREET_PREFIX = (
    r"(?!(?:Op|In|Aan|Bij|Naar|Langs|Via|Vanaf|Over|Uit|Achter|Voor|Tegenover|Richting|Ik|Hij|"
    r"Zij|Ze|We|Wij|Toen|Daarna|Hier|Daar|Er|At|On|To|From|They|He|She|The)\b)"
)
_STREET_PREFIX = (
    r"(?:"
    + _NOT_STREET_PREFIX
    + r"[A-Z][a-zà-ÿ'’.]*\s+(?:(?:van|de|der|den|het|'t|ter|ten|te|la|le)\s+)*)*"
)
_HOUSE_NUMBER = r"[1-9]\d{0,3}(?:\s?[a-zA-Z](?![\w]))?(?:-\d{1,4}|-[a-zA-Z](?![\w]))?"
_NOT_A_HOUSE = (
    r"(?![\d:]|[.,]\d|\s*(?:uur|keer|min\b|minuten|seconden|dagen|weken|maanden|jaar|jaren|"
    r"km|kilometer|meter|m\b|procent|%|euro|€))"
)
_ADDRESS = re.compile(
    r"(?<![\w-])(?:"
    r"(?:Laan|Plein|Weg|Dreef|Kade|Singel|Straat|Hof)\s+(?:van|der|de|den|op|ter)\s+"
    r"(?:(?:van|de|der|den)\s+)*[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*"
    r"|" + _STREET_PREFIX + _STREET_WORD + r")\s+" + _HOUSE_NUMBER + _NOT_A_HOUSE
)
# Words that end like a street but are ordinary words ("Onderweg 3 keer").
_NOT_STREETS = frozenset({"Onderweg", "Halfweg", "Midweg", "Zijweg", "Park"})

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

# --- names ----------------------------------------------------------------------

_CAP_WORD = re.compile(
    r"(?<![\w@'’.-])[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:-[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)*(?![\w@])"
)
# Names rarely follow an article; titles and institutions do ("de Autoriteit
# Persoonsgegevens", "the Tax Administration").
_ARTICLES = word_set("de het een deze dit onze the a an this that our")
_QUOTED_NICKNAME = re.compile(
    r"\b(?:bijnaam|roepnaam|nickname|(?:noem\w*|call\w*)\s+(?:hem|haar|zichzelf|him|her"
    r"|himself|herself))(?:\s+is)?\s+[\"'‘“](?P<nick>[^\"'’”\n]{2,30})[\"'’”]",
    re.IGNORECASE,
)
_PHRASES_BY_FIRST_WORD: dict[str, tuple[str, ...]] = {}
for _phrase in NON_NAME_PHRASES:
    _first = _phrase.split()[0]
    _PHRASES_BY_FIRST_WORD[_first] = (*_PHRASES_BY_FIRST_WORD.get(_first, ()), _phrase)
_QUOTES = "\"'‘“"
# Capitalised adjectives and plurals of nationality ("Marokkaanse jongens"), and
# compounds that name services rather than people ("Buurtzorg", "Jongerenwerk").
_NOT_NAME_ENDINGS = (
    "se",
    "sche",
    "aans",
    "ers",
    "anen",
    "zorg",
    "werk",
    "huis",
    "beleid",
    "centrum",
    "dienst",
    "raad",
    "school",
)
_SENTENCE_END = ".!?:;…\n"
_PARTICLES_CAPS = frozenset(p.capitalize() for p in PARTICLES)
_OPENERS = " \t\"'“‘(*•-–"


def find_identifying(text: str, *, today: date | None = None) -> list[Finding]:
    """Return the identifying details in ``text``, ordered by position.

    Overlapping candidates are resolved in favour of the more specific kind (see
    ``KINDS``), so every character belongs to at most one finding. ``today``
    only decides how old a full date must be to read as a date of birth; it is a
    parameter so that tests do not depend on the clock.
    """
    if not text:
        return []
    year = (today or date.today()).year
    candidates: list[Finding] = []
    for detector in (
        _emails,
        _ibans,
        _phones,
        _bsns,
        _plates,
        _postcodes,
        _addresses,
        _handles,
        _names,
    ):
        candidates.extend(detector(text))
    candidates.extend(_birthdates(text, year))
    return _resolve(candidates)


def _resolve(candidates: list[Finding]) -> list[Finding]:
    """Keep the highest-ranked finding where candidates overlap."""
    kept: list[Finding] = []
    for finding in sorted(candidates, key=lambda f: (_RANK[f.kind], f.start, -f.end)):
        if all(finding.end <= k.start or finding.start >= k.end for k in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: (f.start, f.end))


def _emails(text: str) -> Iterator[Finding]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield Finding("email", m.start(), m.end())


def _handles(text: str) -> Iterator[Finding]:
    """``@naam`` anywhere, or a username given for a named platform."""
    if "@" in text:
        for m in _AT_HANDLE.finditer(text):
            if any(c.isalpha() for c in m.group()):
                yield Finding("handle", m.start(), m.end())
    lower = text.lower()
    if not any(p in lower for p in _PLATFORM_HINTS) and not _SHORT_PLATFORMS.search(lower):
        return
    for m in _PLATFORM_HANDLE.finditer(text):
        handle = m.group("handle").rstrip(".")
        if handle.lower() in _NOT_HANDLES:
            continue
        # After "is" a real username must look like one: an ordinary word
        # ("zijn insta is weg") is not; after a colon the form says it.
        looks_made_up = handle.startswith("@") or any(c in handle for c in "_.0123456789")
        if m.group("colon") or looks_made_up:
            start = m.start("handle")
            yield Finding("handle", start, start + len(handle))


def _bsns(text: str) -> Iterator[Finding]:
    """Nine digits that pass the 11-test (elfproef)."""
    for m in _BSN.finditer(text):
        if _MONEY_BEFORE.search(text, 0, m.start()) or _MONEY_AFTER.match(text[m.end() :]):
            continue
        if std_bsn.is_valid(m.group()):
            yield Finding("bsn", m.start(), m.end())


def _ibans(text: str) -> Iterator[Finding]:
    """Country code, check digits and account, validated with mod-97.

    The pattern is greedy and may run into the next word ("... 00 voor"), so
    the longest prefix that validates and ends on a word boundary is taken.
    """
    for m in _IBAN.finditer(text):
        positions = [m.start() + i for i, c in enumerate(m.group()) if c != " "]
        for n in range(len(positions), 11, -1):
            end = positions[n - 1] + 1
            if end < len(text) and text[end].isalnum():
                continue
            compact = "".join(text[p] for p in positions[:n]).upper()
            if std_iban.is_valid(compact):
                yield Finding("iban", m.start(), end)
                break


def _phones(text: str) -> Iterator[Finding]:
    """Dutch and international numbers that phonenumbers deems valid.

    Service numbers people should be able to name (0800-7000, 0900-8844, 088
    organisation numbers) are skipped; emergency short numbers like 112 are too
    short to match at all. A Dutch mobile number in a block that phonenumbers
    knows as unassigned ("06-9...") still has the unmistakable 06 shape and
    reads as a phone number to anyone, so it is flagged too.
    """
    for m in _PHONE_CANDIDATE.finditer(text):
        found = _phone_in(m.group())
        if found:
            yield Finding("phone", m.start(), m.start() + found)


def _phone_in(candidate: str) -> int:
    """Length of the phone number that ``candidate`` starts with, or 0.

    The candidate may run into a following number ("06 1234 5678 12 keer"),
    so trailing groups are dropped until a number parses.
    """
    while True:
        digits = "".join(c for c in candidate if c.isdigit())
        if len(digits) < 8:
            return 0
        if not digits.startswith(_SERVICE_PREFIXES):
            try:
                number = phonenumbers.parse(candidate, "NL")
            except phonenumbers.NumberParseException:
                number = None
            if number is not None:
                if phonenumbers.is_valid_number(number):
                    if phonenumbers.number_type(number) not in _PUBLIC_PHONE_TYPES:
                        return len(candidate)
                elif _dutch_mobile_shape(number):
                    return len(candidate)
        head, _, tail = candidate.rstrip().rpartition(" ")
        if not head or not tail:
            return 0
        candidate = head.rstrip()


def _dutch_mobile_shape(number: phonenumbers.PhoneNumber) -> bool:
    national = str(number.national_number)
    return number.country_code == 31 and len(national) == 9 and national.startswith("6")


def _plates(text: str) -> Iterator[Finding]:
    """Dutch sidecodes: any with dashes, without dashes only after "kenteken".

    Letters must be all upper or all lower case, so "Ab-12-34" is not a plate.
    """
    dashed = _PLATE_DASHED.finditer(text) if "-" in text else iter(())
    for m in dashed:
        if _plate_shape(m.group()) in _SIDECODES and _one_case(m.group()):
            yield Finding("plate", m.start(), m.end())
    lower = text.lower()
    if not any(k in lower for k in ("kenteken", "nummer", "plaat", "plate", "registration")):
        return
    for m in _PLATE_BARE.finditer(text):
        plate = m.group("plate")
        shape = _plate_shape(plate.replace(" ", "-"))
        fits = shape in (_SIDECODES if "-" in shape else _SIDECODES_BARE)
        if fits and _one_case(plate):
            yield Finding("plate", m.start("plate"), m.end("plate"))


def _one_case(plate: str) -> bool:
    letters = "".join(c for c in plate if c.isalpha())
    return letters.isupper() or letters.islower()


def _postcodes(text: str) -> Iterator[Finding]:
    """``1234 AB`` / ``1234AB`` (``1234ab`` only written together).

    Upper-case letters are required when there is a space, so "in 2024 is" is
    never a postcode; a few letter pairs that mostly mean something else after a
    number count only right after the word "postcode".
    """
    for m in _POSTCODE.finditer(text):
        letters = (m.group("upper") or m.group("lower")).upper()
        if letters in _POSTCODE_UNLIKELY and not _POSTCODE_KEYWORD.search(text, 0, m.start()):
            continue
        yield Finding("postcode", m.start(), m.end())


def _addresses(text: str) -> Iterator[Finding]:
    """A capitalised street name with a Dutch street suffix and a house number."""
    for m in _ADDRESS.finditer(text):
        words = m.group().split()
        if len(words) == 2 and words[0] in _NOT_STREETS:
            continue
        yield Finding("address", m.start(), m.end())


def _birthdates(text: str, year: int) -> Iterator[Finding]:
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


def _names(text: str) -> Iterator[Finding]:
    """Capitalised words that look like personal names, cheaply and cautiously.

    A run of capitalised words (particles such as "de" or "El" allowed inside)
    counts as a name when one word is a known first name, when a naming word
    comes right before it ("met", "genaamd", "mevrouw", "de moeder van"), or
    when two or more capitalised words stand together mid-sentence. Known
    places, organisations, holidays and the like never count.
    """
    if any(q in text for q in _QUOTES):
        for m in _QUOTED_NICKNAME.finditer(text):
            yield Finding("name", m.start("nick"), m.end("nick"))
    for run in _capitalised_runs(text):
        words = [m.group() for m in run]
        if any(w in FIRST_NAMES for w in words):
            yield Finding("name", run[0].start(), run[-1].end())
            continue
        # Any word may start a sentence: "Mevrouw Bakker", "Volgens Jayden".
        if len(run) > 1 and _sentence_initial(text, run[0].start()):
            run, words = run[1:], words[1:]
        if any(w.lower().endswith(_NOT_NAME_ENDINGS) for w in words):
            continue
        core = [w for w in words if w not in _PARTICLES_CAPS]
        if not core:
            continue
        start = run[0].start()
        prev = _previous_words(text, start)
        if prev[0] in _ARTICLES:
            continue
        # A parenthesis opens a gloss or a title as often as a sentence does.
        initial = _sentence_initial(text, start) or text[start - 1 : start] == "("
        if _after_trigger(prev) or (len(core) >= 2 and not initial):
            yield Finding("name", start, run[-1].end())


def _is_stop(word: str) -> bool:
    return word in NON_NAMES or any(part in NON_NAMES for part in word.split("-"))


def _capitalised_runs(text: str) -> Iterator[list[re.Match[str]]]:
    """Yield runs of adjacent capitalised words that are not known non-names.

    Capitalised particles ("De", "El") never break a run, so "mevrouw De Vries"
    stays one run; a run is trimmed of particles at its end.
    """
    run: list[re.Match[str]] = []
    blocked_until = -1
    for m in _CAP_WORD.finditer(text):
        word = m.group()
        for phrase in _PHRASES_BY_FIRST_WORD.get(word, ()):
            if text.startswith(phrase, m.start()):
                blocked_until = max(blocked_until, m.start() + len(phrase))
        in_phrase = m.start() < blocked_until
        stop = in_phrase or (_is_stop(word) and word not in _PARTICLES_CAPS)
        if run and not stop and _joined(text, run[-1].end(), m.start()):
            run.append(m)
            continue
        if run:
            yield _trimmed(run)
            run = []
        if not stop:
            run.append(m)
    if run:
        yield _trimmed(run)


def _trimmed(run: list[re.Match[str]]) -> list[re.Match[str]]:
    while len(run) > 1 and run[-1].group() in _PARTICLES_CAPS:
        run = run[:-1]
    return run


def _joined(text: str, end: int, start: int) -> bool:
    """Whether only spaces and lower-case particles separate two words."""
    gap = text[end:start]
    if not gap.strip():
        return "\n" not in gap
    return gap.startswith(" ") and gap.endswith(" ") and all(w in PARTICLES for w in gap.split())


def _sentence_initial(text: str, start: int) -> bool:
    i = start
    while i > 0 and text[i - 1] in _OPENERS:
        i -= 1
    return i == 0 or text[i - 1] in _SENTENCE_END


def _previous_words(text: str, start: int) -> tuple[str, str]:
    """The word right before ``start`` and the one before that, lower-cased.

    Stops at sentence punctuation; a comma may follow either word ("zijn
    vader, Peter"). Scans backwards by hand: a regex anchored at the end would
    be retried at every earlier position.
    """
    words: list[str] = []
    i = start
    while len(words) < 2:
        j = i
        while j > 0 and text[j - 1] in " \t":
            j -= 1
        if j == i:
            break
        if j > 0 and text[j - 1] == ",":
            j -= 1
        k = j
        while k > 0 and (text[k - 1].isalpha() or text[k - 1] in "'’"):
            k -= 1
        if k == j:
            break
        words.append(text[k:j].lower())
        i = k
    words.extend(("", ""))
    return words[0], words[1]


def _after_trigger(prev: tuple[str, str]) -> bool:
    """Whether a naming word comes first ("met", "de moeder van", ...)."""
    word, before = prev
    if word in NAME_TRIGGERS:
        return True
    if word == "van" and before in RELATIONS:
        return True
    if word in {"hem", "haar", "him", "her"} and before.startswith(("noem", "call")):
        return True
    return word == "is" and before in {"naam", "bijnaam", "roepnaam", "name", "nickname"}
