"""Postcodes, licence plates and street addresses."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.privacy.finding import Finding
from bot.privacy.names import word_set

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


def plates(text: str) -> Iterator[Finding]:
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


def postcodes(text: str) -> Iterator[Finding]:
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


def addresses(text: str) -> Iterator[Finding]:
    """A capitalised street name with a Dutch street suffix and a house number."""
    for m in _ADDRESS.finditer(text):
        words = m.group().split()
        if len(words) == 2 and words[0] in _NOT_STREETS:
            continue
        yield Finding("address", m.start(), m.end())
