"""Names of people: capitalised words that read as a name, not as a sentence start,
a place or an organisation. Tuned for precision with the word lists in
:mod:`bot.privacy.names`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.privacy.finding import Finding
from bot.privacy.names import (
    FIRST_NAMES,
    NAME_TRIGGERS,
    NON_NAME_PHRASES,
    NON_NAMES,
    PARTICLES,
    RELATIONS,
    word_set,
)

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


def person_names(text: str) -> Iterator[Finding]:
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
