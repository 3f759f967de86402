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

from datetime import date

from bot.privacy.birthdates import birthdates
from bot.privacy.contacts import bsns, emails, handles, ibans, phones
from bot.privacy.finding import KINDS, RANK, Finding
from bot.privacy.people import person_names
from bot.privacy.places import addresses, plates, postcodes

__all__ = ["KINDS", "Finding", "find_identifying"]


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
        emails,
        ibans,
        phones,
        bsns,
        plates,
        postcodes,
        addresses,
        handles,
        person_names,
    ):
        candidates.extend(detector(text))
    candidates.extend(birthdates(text, year))
    return _resolve(candidates)


def _resolve(candidates: list[Finding]) -> list[Finding]:
    """Keep the highest-ranked finding where candidates overlap."""
    kept: list[Finding] = []
    for finding in sorted(candidates, key=lambda f: (RANK[f.kind], f.start, -f.end)):
        if all(finding.end <= k.start or finding.start >= k.end for k in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: (f.start, f.end))
