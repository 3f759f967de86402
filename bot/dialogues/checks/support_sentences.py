"""The same support sentence in more than MAX_SUPPORT_REPEATS exercises.

A support step is what a low answer on a scale leads to (e.g. confidence after
`lte: 2`, or below confidence before), with the steps only reachable through it.
Written once and copied, "thank you for your honesty" reads like a formula by
the fourth exercise; each exercise says it in its own words. This is the one
check that looks across dialogues.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.dialogues.checks.names import stored_keys
from bot.dialogues.content import Locale, Text
from bot.dialogues.flow import reachable_from
from bot.dialogues.model import AllOf, AnyOf, Condition, Dialogue, NotCond
from bot.dialogues.problems import Problem

# A support sentence may recur in at most this many exercises before it reads as a formula.
MAX_SUPPORT_REPEATS = 3
# Shorter sentences ("Dat is rugdekking.") may recur; a formula is longer.
MIN_SUPPORT_WORDS = 4

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_BULLET = re.compile(r"^(?:[•\-–*]|\d+[.)])\s*")


@dataclass(frozen=True)
class _Use:
    """One exercise's use of a support sentence, as written there."""

    dialogue_id: str
    sentence: str
    text: Text


def check_repeated_support(dialogues: Iterable[Dialogue], locale: Locale) -> list[Problem]:
    """Every use of a support sentence beyond the first MAX_SUPPORT_REPEATS exercises
    (by id) that share it."""
    problems: list[Problem] = []
    for uses in _uses_by_sentence(dialogues, locale).values():
        if len({use.dialogue_id for use in uses}) <= MAX_SUPPORT_REPEATS:
            continue
        uses.sort(key=lambda use: use.dialogue_id)
        names = ", ".join(use.dialogue_id for use in uses)
        for use in uses[MAX_SUPPORT_REPEATS:]:
            problems.append(
                Problem(
                    use.text.file,
                    use.text.line,
                    f"support sentence '{use.sentence}' recurs in {len(uses)} exercises "
                    f"({names}); at most {MAX_SUPPORT_REPEATS} may share one",
                    f"write the support step of '{use.dialogue_id}' in its own words",
                )
            )
    return problems


def _uses_by_sentence(dialogues: Iterable[Dialogue], locale: Locale) -> dict[str, list[_Use]]:
    """Normalised sentence -> its uses, at most one per exercise: case, spacing and
    the closing mark do not make a sentence new."""
    found: dict[str, list[_Use]] = {}
    for dialogue in dialogues:
        seen: set[str] = set()
        for text in _support_texts(dialogue, locale):
            for sentence in _sentences(text.value):
                norm = " ".join(sentence.lower().split()).rstrip(".!?…:")
                if norm in seen:
                    continue
                seen.add(norm)
                found.setdefault(norm, []).append(_Use(dialogue.id, sentence, text))
    return found


def _support_texts(dialogue: Dialogue, locale: Locale) -> Iterator[Text]:
    for name in sorted(support_states(dialogue)):
        state = dialogue.states[name]
        keys = list(state.says)
        if state.card:
            keys += [f"{state.card}.title", f"{state.card}.body"]
        for key in keys:
            text = locale.texts.get(key)
            if text is not None:
                yield text


def support_states(dialogue: Dialogue) -> set[str]:
    """States reached by a low answer on a scale, plus those only reachable through them."""
    stored = stored_keys(dialogue)
    scales = {key for key, name in stored.items() if dialogue.states[name].input_kind == "scale"}
    entries = {
        rule.to
        for state in dialogue.states.values()
        if isinstance(state.next, list)
        for rule in state.next
        if rule.if_ is not None and _is_low(rule.if_, scales) and rule.to in dialogue.states
    }
    region: set[str] = set()
    for entry in entries:
        behind = reachable_from(dialogue, entry)
        region |= behind - reachable_from(dialogue, dialogue.start, avoid={entry})
    return region


def _is_low(cond: Condition, scales: set[str]) -> bool:
    """Whether a condition holds for a low scale answer (below a number or another answer)."""
    if isinstance(cond, AllOf):
        return any(_is_low(sub, scales) for sub in cond.all)
    if isinstance(cond, AnyOf):
        return any(_is_low(sub, scales) for sub in cond.any)
    if isinstance(cond, NotCond):
        return False
    return any(
        key in scales and any(v is not None for v in (c.lt, c.lte, c.lt_answer, c.lte_answer))
        for key, c in cond.items()
    )


def _sentences(text: str) -> Iterator[str]:
    """Sentences of at least MIN_SUPPORT_WORDS words, bullets stripped."""
    for part in _SENTENCE_END.split(text):
        sentence = _BULLET.sub("", part.strip()).strip()
        if len(sentence.split()) >= MIN_SUPPORT_WORDS:
            yield sentence
