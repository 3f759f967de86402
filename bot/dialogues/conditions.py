"""Evaluate branch conditions: plain data compared with stored answers, never code."""

from __future__ import annotations

from collections.abc import Mapping
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
        _compare(compare, key in answers, answers.get(key)) for key, compare in condition.items()
    )


def _compare(compare: Compare, present: bool, value: Any) -> bool:
    """All operators given must hold; a missing answer only satisfies `answered: false`."""
    if compare.answered is not None and compare.answered != present:
        return False
    if not present:
        return compare.answered is False or _only_answered(compare)
    checks: list[bool] = []
    if compare.eq is not None:
        checks.append(value == compare.eq)
    if compare.ne is not None:
        checks.append(value != compare.ne)
    if compare.in_ is not None:
        checks.append(value in compare.in_)
    if compare.not_in is not None:
        checks.append(value not in compare.not_in)
    if compare.contains is not None:
        checks.append(isinstance(value, list) and compare.contains in value)
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    for bound, test in (
        (compare.lt, lambda b: number < b),
        (compare.lte, lambda b: number <= b),
        (compare.gt, lambda b: number > b),
        (compare.gte, lambda b: number >= b),
    ):
        if bound is not None:
            checks.append(number is not None and test(bound))
    return all(checks)


def _only_answered(compare: Compare) -> bool:
    return compare.model_dump(exclude_none=True).keys() == {"answered"}
