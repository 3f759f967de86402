"""House rules of the training: a named reflection method, and for street scenarios
the craft elements they train and confidence asked before and after.

The dashboard compares confidence before and after and counts craft elements per
question, so a dialogue that skips these would leave holes in every report.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.dialogues.checks.names import suggest
from bot.dialogues.model import CRAFT_ELEMENTS, METHODS, Dialogue, Kind
from bot.dialogues.problems import Problem
from bot.dialogues.yamlsource import PathKey, YamlDoc

# The answers in which a street scenario stores confidence before and after.
CONFIDENCE_KEYS = ("zeker_voor", "zeker_na")


def check_conventions(dialogue: Dialogue, stored: dict[str, str], doc: YamlDoc) -> list[Problem]:
    """A known method for every dialogue; method, craft tags and confidence scales
    for a street scenario."""
    found: list[Problem] = []
    if dialogue.method is not None and dialogue.method not in METHODS:
        found.append(
            doc.problem(
                ("method",),
                f"unknown method '{dialogue.method}'",
                "use one of: " + ", ".join(METHODS),
            )
        )
    if dialogue.kind == Kind.STRAATSCENARIO:
        found.extend(_check_street_scenario(dialogue, stored, doc))
    return found


def _check_street_scenario(
    dialogue: Dialogue, stored: dict[str, str], doc: YamlDoc
) -> Iterator[Problem]:
    if dialogue.method is None:
        yield doc.problem(
            ("id",), "a street scenario needs 'method'", "name the reflection structure, e.g. ALACT"
        )
    if not set(dialogue.tags) & set(CRAFT_ELEMENTS):
        yield doc.problem(
            ("tags",) if dialogue.tags else ("id",),
            "a street scenario needs 'tags' with the craft elements it trains",
            "use: " + ", ".join(CRAFT_ELEMENTS),
        )
    for key in CONFIDENCE_KEYS:
        state = dialogue.states.get(stored.get(key, ""))
        if state is None or state.input_kind != "scale":
            yield doc.problem(
                ("states",),
                f"a street scenario stores confidence as a scale answer '{key}'",
                f"add a 1-5 scale with 'store: {key}'",
            )


def check_question_tags(dialogue: Dialogue, doc: YamlDoc) -> Iterator[Problem]:
    """A craft element the dialogue is tagged with must be worked on by a question:
    the question carries the tag (`tags:` on the state). Question tags are the
    dialogue's own, and only questions carry them."""
    asked: set[str] = set()
    for name, state in dialogue.states.items():
        if not state.tags:
            continue
        base: PathKey = ("states", name, "tags")
        if state.input_kind in (None, "continue"):
            yield doc.problem(
                base,
                f"state '{name}' has 'tags' but asks nothing",
                "put 'tags' on the question that works on them",
            )
            continue
        asked.update(state.tags)
        for i, tag in enumerate(state.tags):
            if tag not in dialogue.tags:
                yield doc.problem(
                    (*base, i),
                    f"state '{name}' is tagged '{tag}', which the dialogue's 'tags' do not list",
                    suggest(tag, dialogue.tags) or f"add '{tag}' to the dialogue's 'tags'",
                )
    for i, tag in enumerate(dialogue.tags):
        if tag in CRAFT_ELEMENTS and tag not in asked:
            yield doc.problem(
                ("tags", i),
                f"the dialogue is tagged with craft element '{tag}', but no question works on it",
                f"add 'tags: [{tag}]' to the question that trains it, or remove the tag",
            )
