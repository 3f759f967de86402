"""Checks on a dialogue's texts in one locale: each exists, uses only placeholders
the dialogue can fill, and fits on a phone.

A missing text or an unknown placeholder would show a raw key or `{name}` to a
professional mid-exercise; an overlong message makes them scroll past it.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.dialogues.checks.names import stored_keys, suggest
from bot.dialogues.contacts import CONTACT_KEYS, contact_key, placeholder
from bot.dialogues.content import Locale, Text, placeholders
from bot.dialogues.model import Ask, Dialogue
from bot.dialogues.problems import Problem
from bot.dialogues.yamlsource import PathKey, YamlDoc

# Placeholders every text may use besides the dialogue's stored answers: the
# person's name and the organisation's local contacts (bot/dialogues/contacts.py).
GLOBAL_PLACEHOLDERS = frozenset({"first_name", *(placeholder(key) for key in CONTACT_KEYS)})

# The longest message or card body a phone shows comfortably (docs/content-guide.md).
MAX_MESSAGE = 600


def check_texts(dialogue: Dialogue, doc: YamlDoc, locale: Locale) -> list[Problem]:
    """Missing texts, unknown placeholders and overlong messages for one locale."""
    problems: list[Problem] = []
    allowed = GLOBAL_PLACEHOLDERS | set(stored_keys(dialogue))
    messages = set(message_keys(dialogue))
    for key, path in text_keys(dialogue):
        text = locale.texts.get(key)
        if text is None:
            problems.append(
                doc.problem(
                    path,
                    f"text '{key}' is missing in locale '{locale.code}'",
                    f"add it to content/{locale.code}/{key.split('.')[0]}.yaml",
                )
            )
            continue
        if key in messages and len(text.value) > MAX_MESSAGE:
            problems.append(too_long(key, text))
        problems.extend(
            unknown_placeholder(name, key, text, dialogue.id)
            for name in sorted(placeholders(text.value) - allowed)
        )
    return problems


def unknown_placeholder(name: str, key: str, text: Text, dialogue_id: str) -> Problem:
    """A placeholder nothing fills; a `contact.*` one is told apart, with the known keys."""
    contact = contact_key(name)
    if contact is not None:
        known = ", ".join(CONTACT_KEYS)
        return Problem(
            text.file,
            text.line,
            f"text '{key}' uses '{{{name}}}', but '{contact}' is no local contact",
            suggest(contact, CONTACT_KEYS) or f"local contacts are: {known}",
        )
    return Problem(
        text.file,
        text.line,
        f"text '{key}' uses placeholder '{{{name}}}', which dialogue "
        f"'{dialogue_id}' does not provide",
        "use {first_name}, {contact.<key>} or the name of an answer the dialogue stores",
    )


def text_keys(dialogue: Dialogue) -> Iterator[tuple[str, PathKey]]:
    """Every content key the dialogue uses, with the path where it is named."""
    yield dialogue.title, ("title",)
    if dialogue.summary:
        yield dialogue.summary, ("summary",)
    for name, state in dialogue.states.items():
        base: PathKey = ("states", name)
        for i, key in enumerate(state.says):
            yield key, (*base, "say", i) if isinstance(state.say, list) else (*base, "say")
        if state.card:
            yield f"{state.card}.title", (*base, "card")
            yield f"{state.card}.body", (*base, "card")
        if state.ask is not None:
            yield from _ask_text_keys(state.ask, base)


def _ask_text_keys(ask: Ask, base: PathKey) -> Iterator[tuple[str, PathKey]]:
    """The labels of a question's options and of its scale's ends."""
    spec = ask.choice or ask.multi
    if spec is not None:
        for option, key in spec.options.items():
            yield key, (*base, "ask", ask.kind, "options", option)
    if ask.scale is not None:
        for end, label in (("low", ask.scale.low), ("high", ask.scale.high)):
            if label:
                yield label, (*base, "ask", "scale", end)


def message_keys(dialogue: Dialogue) -> Iterator[str]:
    """The keys of the messages a dialogue sends: its `say` texts and card bodies."""
    for state in dialogue.states.values():
        yield from state.says
        if state.card:
            yield f"{state.card}.body"


def too_long(key: str, text: Text) -> Problem:
    """An overlong message or card, with the way to split it that fits its kind."""
    size = len(text.value)
    if key.endswith(".body"):
        card = key.removesuffix(".body")
        return Problem(
            text.file,
            text.line,
            f"card '{card}' is {size} characters long, more than {MAX_MESSAGE}",
            "split it into two cards (a second step, or a second library card) or cut it",
        )
    return Problem(
        text.file,
        text.line,
        f"text '{key}' is {size} characters long, more than {MAX_MESSAGE}",
        "split it over several messages (say: [a, b]) or cut it",
    )
