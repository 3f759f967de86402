"""Checks on branch conditions: each names a stored answer and tests it with
operators and values that answer can have.

A condition that can never hold (an option that does not exist, a number off the
scale, `contains` on a single choice) is not an error at run time: the branch is
silently never taken. Only the validator can catch it.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.dialogues.checks.names import suggest
from bot.dialogues.model import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Dialogue,
    NotCond,
    Scalar,
    ScaleAsk,
    State,
)
from bot.dialogues.problems import Problem
from bot.dialogues.yamlsource import PathKey, YamlDoc

# The `*_answer` operators that test equality; the others order two answers.
_EQUALITY = ("eq_answer", "ne_answer")


def check_condition(
    cond: Condition, path: PathKey, stored: dict[str, str], dialogue: Dialogue, doc: YamlDoc
) -> Iterator[Problem]:
    """Every answer test inside `cond`, however deeply it is nested."""
    if isinstance(cond, AllOf):
        for i, sub in enumerate(cond.all):
            yield from check_condition(sub, (*path, "all", i), stored, dialogue, doc)
    elif isinstance(cond, AnyOf):
        for i, sub in enumerate(cond.any):
            yield from check_condition(sub, (*path, "any", i), stored, dialogue, doc)
    elif isinstance(cond, NotCond):
        yield from check_condition(cond.not_, (*path, "not"), stored, dialogue, doc)
    else:
        for key, compare in cond.items():
            if key not in stored:
                yield doc.problem(
                    (*path, key),
                    f"condition on answer '{key}', which no state stores",
                    suggest(key, list(stored))
                    or "add 'store: " + key + "' to the state that asks it",
                )
                continue
            state = dialogue.states[stored[key]]
            yield from _check_values(key, compare, state, (*path, key), doc)
            yield from _check_other_answers(key, compare, stored, dialogue, (*path, key), doc)


def _check_other_answers(
    key: str,
    compare: Compare,
    stored: dict[str, str],
    dialogue: Dialogue,
    path: PathKey,
    doc: YamlDoc,
) -> Iterator[Problem]:
    """`*_answer` operators name a stored answer of a kind that can be compared."""
    kind = dialogue.states[stored[key]].input_kind
    for op, other in compare.other_answers.items():
        if other not in stored:
            yield doc.problem(
                (*path, op),
                f"'{op}' compares with answer '{other}', which no state stores",
                suggest(other, list(stored)) or "name an answer a state stores",
            )
            continue
        other_kind = dialogue.states[stored[other]].input_kind
        if op in _EQUALITY:
            if other_kind != kind:
                yield doc.problem(
                    (*path, op),
                    f"'{op}' compares a {kind} answer '{key}' with a {other_kind} answer '{other}'",
                    "compare two answers of the same kind",
                )
        elif kind != "scale" or other_kind != "scale":
            yield doc.problem(
                (*path, op),
                f"'{op}' orders '{key}' ({kind}) and '{other}' ({other_kind}), "
                "but only scale answers are numbers",
                "use eq_answer or ne_answer, or compare two scale answers",
            )


def _check_values(
    key: str, compare: Compare, state: State, path: PathKey, doc: YamlDoc
) -> Iterator[Problem]:
    """The operators fit the kind of answer, and the values are ones it can take."""
    yield from _check_operators(key, compare, state.input_kind, path, doc)
    options = _options(state)
    if options is not None:
        yield from _check_option_values(key, compare, options, path, doc)
    scale = state.ask.scale if state.ask else None
    if scale is not None:
        yield from _check_scale_values(key, compare, scale, path, doc)


def _check_operators(
    key: str, compare: Compare, kind: str | None, path: PathKey, doc: YamlDoc
) -> Iterator[Problem]:
    """Bounds need a number (a scale answer), `contains` a list (a multi answer)."""
    bounds = (compare.lt, compare.lte, compare.gt, compare.gte)
    if any(v is not None for v in bounds) and kind != "scale":
        yield doc.problem(
            path,
            f"condition compares answer '{key}' as a number, but it is a {kind} answer",
            "use eq, in or contains",
        )
    if compare.contains is not None and kind != "multi":
        yield doc.problem(
            path, f"'contains' needs a multi answer; '{key}' is a {kind} answer", "use eq or in"
        )


def _options(state: State) -> list[str] | None:
    """The option ids an answer can be: a choice's or multi's, or yes and no."""
    ask = state.ask
    spec = (ask.choice or ask.multi) if ask else None
    if spec is not None:
        return list(spec.options)
    if state.input_kind == "yesno":
        return ["yes", "no"]
    return None


def _check_option_values(
    key: str, compare: Compare, options: list[str], path: PathKey, doc: YamlDoc
) -> Iterator[Problem]:
    values = [
        compare.eq,
        compare.ne,
        compare.contains,
        *(compare.in_ or []),
        *(compare.not_in or []),
    ]
    for value in values:
        if value is not None and value not in options:
            yield doc.problem(
                path,
                f"condition on '{key}' tests '{value}', which is not one of its options",
                "options are: " + ", ".join(options),
            )


def _check_scale_values(
    key: str, compare: Compare, scale: ScaleAsk, path: PathKey, doc: YamlDoc
) -> Iterator[Problem]:
    for value in (compare.eq, compare.ne, *(compare.in_ or []), *(compare.not_in or [])):
        if value is not None and not _on_scale(value, scale):
            yield doc.problem(
                path,
                f"condition on '{key}' tests '{value}', which is not on its scale",
                f"the scale runs from {scale.min} to {scale.max}",
            )


def _on_scale(value: Scalar, scale: ScaleAsk) -> bool:
    """A whole number between the scale's ends (YAML's true is no number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return float(value).is_integer() and scale.min <= value <= scale.max
