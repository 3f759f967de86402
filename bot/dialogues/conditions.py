"""Evaluate branch conditions: plain data compared with stored answers, never code."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.dialogues.model import AllOf, AnyOf, Compare, Condition, NotCond


def holds(condition: Condition, answers: Mapping[str, Any]) -> bool:
    """Whether `condition` is true for the answers given so far."""
    if isinstance(condition, AllOf):
        return all(holds(sub, answers) for sub in condition.all)
    if isinstance(condition, AnyOf):
        return any(holds(sub, answers) for sub in condition.any)
    if isinstance(condition, NotCond):
        return not holds(condition.not_, answers)
    return all(
        _compare(compare, key in answers, answers.get(key))
        and (compare.other_answers == {} or _against_others(compare, key, answers))
        for key, compare in condition.items()
    )


def _against_others(compare: Compare, key: str, answers: Mapping[str, Any]) -> bool:
    """The `*_answer` operators: this answer against another one of the same run.
    False when either is missing; an order only holds between two numbers."""
    if key not in answers:
        return False
    value = answers[key]
    for op, other_key in compare.other_answers.items():
        if other_key not in answers:
            return False
        other = answers[other_key]
        if op == "eq_answer":
            if value != other:
                return False
            continue
        if op == "ne_answer":
            if value == other:
                return False
            continue
        if not (_number(value) and _number(other)):
            return False
        if not ORDER[op](value, other):
            return False
    return True


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "lt_answer": lambda a, b: a < b,
    "lte_answer": lambda a, b: a <= b,
    "gt_answer": lambda a, b: a > b,
    "gte_answer": lambda a, b: a >= b,
}


def _compare(compare: Compare, present: bool, value: Any) -> bool:
    """All operators given must hold; a missing answer only satisfies `answered: false`.

    Checked one by one, stopping at the first that fails: this runs on every
    branching step, so it builds no lists or closures.
    """
    if compare.answered is not None and compare.answered != present:
        return False
    if not present:
        return compare.answered is False or _only_answered(compare)
    return _matches(compare, value) and _within_bounds(compare, value)


def _matches(compare: Compare, value: Any) -> bool:
    """The operators on values: eq, ne, in, not_in and (for a multi answer) contains."""
    if compare.eq is not None and value != compare.eq:
        return False
    if compare.ne is not None and value == compare.ne:
        return False
    if compare.in_ is not None and value not in compare.in_:
        return False
    if compare.not_in is not None and value in compare.not_in:
        return False
    return compare.contains is None or (isinstance(value, list) and compare.contains in value)


def _within_bounds(compare: Compare, value: Any) -> bool:
    """The bounds lt, lte, gt and gte; a bound only holds for a number."""
    if compare.lt is None and compare.lte is None and compare.gt is None and compare.gte is None:
        return True
    if not _number(value):
        return False
    return (
        (compare.lt is None or value < compare.lt)
        and (compare.lte is None or value <= compare.lte)
        and (compare.gt is None or value > compare.gt)
        and (compare.gte is None or value >= compare.gte)
    )


def _only_answered(compare: Compare) -> bool:
    """Whether `answered` is the only plain operator (the `*_answer` ones are checked
    on their own, and fail for a missing answer)."""
    given = compare.model_dump(exclude_none=True).keys() - compare.other_answers.keys()
    return given <= {"answered"} and bool(given)
