"""The shipped exercises cover the training: every part, every craft element.

Issue #17 set the floor: at least 34 exercises, at least 5 per training part,
every craft element trained (tagged and asked about) by at least 2 exercises,
and every street scenario with a plan and a line for a drop in confidence.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.dialogues.catalog import Catalog, load_valid_catalog
from bot.dialogues.checks import stored_keys, support_states
from bot.dialogues.model import CRAFT_ELEMENTS, AllOf, AnyOf, Condition, Kind, NotCond, Part

REPO = Path(__file__).parent.parent.parent


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_valid_catalog([REPO / "dialogues"], REPO / "content", ["nl", "en"], root=REPO)


def test_there_are_at_least_34_exercises(catalog: Catalog) -> None:
    assert len(catalog.dialogues) >= 34


@pytest.mark.parametrize("part", list(Part))
def test_every_training_part_has_at_least_five(catalog: Catalog, part: Part) -> None:
    found = sorted(d.spec.id for d in catalog.dialogues.values() if d.spec.part == part)
    assert len(found) >= 5, found


def test_every_craft_element_is_trained_by_at_least_two(catalog: Catalog) -> None:
    asked: Counter[str] = Counter()
    for loaded in catalog.dialogues.values():
        tags = {t for s in loaded.spec.states.values() for t in s.tags or []}
        asked.update(tags & set(CRAFT_ELEMENTS))
    assert {element: asked[element] for element in CRAFT_ELEMENTS if asked[element] < 2} == {}


def test_street_scenarios_keep_a_plan_and_answer_a_drop_in_confidence(catalog: Catalog) -> None:
    missing = []
    for loaded in catalog.dialogues.values():
        spec = loaded.spec
        if spec.kind != Kind.STRAATSCENARIO:
            continue
        if "plan" not in stored_keys(spec):
            missing.append(f"{spec.id}: no 'plan'")
        drops = [
            rule
            for state in spec.states.values()
            if isinstance(state.next, list)
            for rule in state.next
            if rule.if_ is not None and _compares_below(rule.if_)
        ]
        if not drops:
            missing.append(f"{spec.id}: no line when confidence drops (lt_answer)")
        if not support_states(spec):
            missing.append(f"{spec.id}: no support step")
    assert missing == []


def _compares_below(cond: Condition) -> bool:
    """Whether a condition asks if one answer lies below another (`lt_answer`)."""
    if isinstance(cond, AllOf):
        return any(_compares_below(c) for c in cond.all)
    if isinstance(cond, AnyOf):
        return any(_compares_below(c) for c in cond.any)
    if isinstance(cond, NotCond):
        return _compares_below(cond.not_)
    return any(compare.lt_answer is not None for compare in cond.values())
