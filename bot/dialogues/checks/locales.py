"""Checks on the locales themselves, before any dialogue is read: translations
match the Dutch reference key for key, and the knowledge library's cards are
complete and fit on a phone.

A text present in one language only shows its raw key in the other; a card
without a source cannot be trusted by the professionals it is written for.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.dialogues.checks.texts import MAX_MESSAGE, too_long
from bot.dialogues.content import DEFAULT_LOCALE, Locale, Text, placeholders
from bot.dialogues.problems import Problem

# What a knowledge-library card (`kennis.<id>.<field>`) is made of.
CARD_FIELDS = ("title", "body", "source")


def check_translation_gaps(locales: dict[str, Locale]) -> list[Problem]:
    """Every Dutch text must exist in each other locale checked, and the other way round."""
    reference = locales.get(DEFAULT_LOCALE)
    if reference is None:
        return []
    problems = []
    for code, locale in locales.items():
        if code == DEFAULT_LOCALE:
            continue
        for key in sorted(reference.texts.keys() - locale.texts.keys()):
            text = reference.texts[key]
            problems.append(
                Problem(
                    text.file,
                    text.line,
                    f"text '{key}' has no translation in locale '{code}'",
                    f"add it to content/{code}/",
                )
            )
        for key in sorted(locale.texts.keys() - reference.texts.keys()):
            text = locale.texts[key]
            problems.append(
                Problem(
                    text.file,
                    text.line,
                    f"text '{key}' exists in '{code}' but not in '{DEFAULT_LOCALE}'",
                    f"add the Dutch original to content/{DEFAULT_LOCALE}/ or remove it",
                )
            )
    return problems


def check_incomplete_cards(locales: dict[str, Locale]) -> list[Problem]:
    """Every knowledge-library card (`kennis.<id>`) needs a title, a body and a source."""
    return [problem for code, locale in locales.items() for problem in _card_fields(code, locale)]


def _card_fields(code: str, locale: Locale) -> Iterator[Problem]:
    cards: dict[str, set[str]] = {}
    first: dict[str, Text] = {}
    for key, text in locale.texts.items():
        parts = key.split(".")
        if parts[0] != "kennis":
            continue
        if len(parts) != 3 or parts[2] not in CARD_FIELDS:
            yield Problem(
                text.file,
                text.line,
                f"'{key}' is not a card field",
                "use kennis.<id>.title, .body or .source",
            )
            continue
        cards.setdefault(parts[1], set()).add(parts[2])
        first.setdefault(parts[1], text)
    for card, fields in cards.items():
        for missing in [f for f in CARD_FIELDS if f not in fields]:
            yield Problem(
                first[card].file,
                first[card].line,
                f"card 'kennis.{card}' has no {missing} in locale '{code}'",
                f"add kennis.{card}.{missing}",
            )


def check_library_cards(locale: Locale) -> list[Problem]:
    """Cards of the knowledge library (`kennis.<id>.body`) fit on a phone too, and use
    no placeholder: the library is read from the menu, outside any exercise, where
    nothing fills one (not a person's name, nor a local contact)."""
    problems = []
    for key, text in locale.texts.items():
        if not key.startswith("kennis."):
            continue
        if key.endswith(".body") and len(text.value) > MAX_MESSAGE:
            problems.append(too_long(key, text))
        problems.extend(
            Problem(
                text.file,
                text.line,
                f"text '{key}' of the knowledge library uses '{{{name}}}', which nothing "
                "fills outside an exercise",
                "name the national route here, and the local one in an exercise",
            )
            for name in sorted(placeholders(text.value))
        )
    return problems
