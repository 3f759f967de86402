"""Checks on a dialogue's graph and states: every target exists, every state is
reachable and can reach an end, and each state is complete for what it asks.

A dialogue that passes them compiles into a machine in which nobody gets stuck.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.dialogues.checks.branch_conditions import check_condition
from bot.dialogues.checks.names import suggest
from bot.dialogues.flow import can_end, reachable
from bot.dialogues.model import Dialogue, MultiAsk, Rule, State
from bot.dialogues.problems import Problem
from bot.dialogues.yamlsource import PathKey, YamlDoc

# The options a yes/no question maps in `next`.
YESNO = ("yes", "no")


def check_start(dialogue: Dialogue, doc: YamlDoc) -> Iterator[Problem]:
    """The start names a state; without it nothing else about paths can be said."""
    if dialogue.start not in dialogue.states:
        yield doc.problem(
            ("start",),
            f"start state '{dialogue.start}' does not exist",
            suggest(dialogue.start, list(dialogue.states)),
        )


def check_states(dialogue: Dialogue, stored: dict[str, str], doc: YamlDoc) -> Iterator[Problem]:
    """Each state on its own, then where it leads, state by state in file order."""
    names = list(dialogue.states)
    for name, state in dialogue.states.items():
        yield from _check_state(dialogue, name, state, stored, doc)
        for target, path in _target_paths(state, ("states", name)):
            if target not in dialogue.states:
                yield doc.problem(
                    path,
                    f"state '{name}' goes to unknown state '{target}'",
                    suggest(target, names),
                )


def check_paths(dialogue: Dialogue, doc: YamlDoc) -> Iterator[Problem]:
    """Every state is reachable from the start, and from each one an end is."""
    if dialogue.start not in dialogue.states:
        return
    seen = reachable(dialogue)
    for name in dialogue.states:
        if name not in seen:
            yield doc.problem(
                ("states", name),
                f"state '{name}' is unreachable from start '{dialogue.start}'",
                "point a 'next' to it or remove it",
            )
    ending = can_end(dialogue)
    for name in dialogue.states:
        if name in seen and name not in ending:
            yield doc.problem(
                ("states", name),
                f"no end can be reached from state '{name}'",
                "add a path to a state with 'end: true'",
            )


def _check_state(
    dialogue: Dialogue, name: str, state: State, stored: dict[str, str], doc: YamlDoc
) -> Iterator[Problem]:
    base: PathKey = ("states", name)
    if state.end:
        yield from _check_end_state(name, state, base, doc)
        return
    yield from _check_step(name, state, base, doc)
    yield from _check_ask(name, state, base, doc)
    if isinstance(state.next, dict):
        yield from _check_option_map(name, state, state.next, base, doc)
    elif isinstance(state.next, list):
        yield from _check_rules(dialogue, name, state.next, stored, base, doc)


def _check_end_state(name: str, state: State, base: PathKey, doc: YamlDoc) -> Iterator[Problem]:
    """An end state says goodbye and goes nowhere."""
    for key in ("ask", "next", "store"):
        if getattr(state, key) is not None:
            yield doc.problem(
                (*base, key),
                f"end state '{name}' has '{key}'",
                f"remove '{key}' or 'end: true'",
            )
    if not state.says and state.card is None:
        yield doc.problem(base, f"end state '{name}' says nothing", "add 'say' with a closing text")


def _check_step(name: str, state: State, base: PathKey, doc: YamlDoc) -> Iterator[Problem]:
    """A step shows something, leads somewhere and stores only what it asks."""
    if not state.says and state.card is None:
        yield doc.problem(base, f"state '{name}' has no 'say' or 'card'", "add the text to show")
    if state.next is None:
        yield doc.problem(
            base,
            f"state '{name}' has no 'next' and is not an end",
            "add 'next: <state>' or 'end: true'",
        )
    if state.store and state.input_kind == "continue":
        yield doc.problem(
            (*base, "store"),
            f"state '{name}' stores an answer but asks for none",
            "remove 'store' or add 'ask'",
        )


def _check_ask(name: str, state: State, base: PathKey, doc: YamlDoc) -> Iterator[Problem]:
    """A choice has options to press, and a multi's maximum can be reached."""
    ask = state.ask
    if ask is None:
        return
    spec = ask.choice or ask.multi
    if spec is not None and not spec.options:
        yield doc.problem(
            (*base, "ask"),
            f"state '{name}' offers a choice without options",
            "list at least one option under 'options'",
        )
    multi = ask.multi
    if multi is not None and not _max_reachable(multi):
        yield doc.problem(
            (*base, "ask"),
            f"state '{name}': multi max must lie between min and the number of options",
        )


def _max_reachable(multi: MultiAsk) -> bool:
    """No maximum, or one a person can reach without breaking the minimum."""
    return multi.max is None or multi.min <= multi.max <= len(multi.options)


def _check_option_map(
    name: str, state: State, given: dict[str, str], base: PathKey, doc: YamlDoc
) -> Iterator[Problem]:
    """`next` as option -> state covers exactly the options the question offers."""
    path = (*base, "next")
    kind = state.input_kind
    expected: list[str]
    if kind == "choice" and state.ask and state.ask.choice:
        expected = list(state.ask.choice.options)
    elif kind == "yesno":
        expected = list(YESNO)
    else:
        yield doc.problem(
            path,
            f"state '{name}': 'next' maps options, but the state asks for {kind}",
            "use 'next: <state>' or rules with 'if'",
        )
        return
    for option in expected:
        if option not in given:
            yield doc.problem(
                path,
                f"state '{name}': option '{option}' has no target in 'next'",
                f"add '{option}: <state>'",
            )
    for option in given:
        if option not in expected:
            yield doc.problem(
                path,
                f"state '{name}': 'next' names '{option}', which is not an option",
                f"options are: {', '.join(expected)}",
            )


def _check_rules(
    dialogue: Dialogue,
    name: str,
    rules: list[Rule],
    stored: dict[str, str],
    base: PathKey,
    doc: YamlDoc,
) -> Iterator[Problem]:
    """Rules are tried in order, so only the last may lack an `if`, and it must."""
    for i, rule in enumerate(rules):
        path = (*base, "next", i)
        if rule.if_ is None and i != len(rules) - 1:
            yield doc.problem(
                path,
                f"state '{name}': rule {i + 1} has no 'if', so later rules never apply",
                "move it to the end",
            )
        if rule.if_ is not None:
            yield from check_condition(rule.if_, (*path, "if"), stored, dialogue, doc)
    if rules and rules[-1].if_ is not None:
        yield doc.problem(
            (*base, "next"),
            f"state '{name}': the last rule has an 'if', so no rule may match",
            "end with a rule without 'if', e.g. {to: <state>}",
        )


def _target_paths(state: State, base: PathKey) -> Iterator[tuple[str, PathKey]]:
    """Each state named in `next`, with the path where it is named."""
    nxt = state.next
    if isinstance(nxt, str):
        yield nxt, (*base, "next")
    elif isinstance(nxt, dict):
        for option, target in nxt.items():
            yield target, (*base, "next", option)
    elif isinstance(nxt, list):
        for i, rule in enumerate(nxt):
            yield rule.to, (*base, "next", i, "to")
