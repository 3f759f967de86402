"""E-mail addresses, social media handles, phone numbers, BSN and IBAN.

Checksummed identifiers are confirmed with well-kept validators (python-stdnum
for BSN and IBAN, phonenumbers for phone numbers) instead of hand-written checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from stdnum import iban as std_iban
from stdnum.nl import bsn as std_bsn

from bot.privacy.finding import Finding
from bot.privacy.names import word_set

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


def emails(text: str) -> Iterator[Finding]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield Finding("email", m.start(), m.end())


def handles(text: str) -> Iterator[Finding]:
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


def bsns(text: str) -> Iterator[Finding]:
    """Nine digits that pass the 11-test (elfproef)."""
    for m in _BSN.finditer(text):
        if _MONEY_BEFORE.search(text, 0, m.start()) or _MONEY_AFTER.match(text[m.end() :]):
            continue
        if std_bsn.is_valid(m.group()):
            yield Finding("bsn", m.start(), m.end())


def ibans(text: str) -> Iterator[Finding]:
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


def phones(text: str) -> Iterator[Finding]:
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
