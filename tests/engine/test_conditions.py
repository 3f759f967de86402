"""Conditions that compare one answer with another answer of the same run."""

from __future__ import annotations

from typing import Any

import pytest

from bot.dialogues.conditions import holds
from bot.dialogues.model import Compare


@pytest.mark.parametrize(
    ("compare", "answers", "expected"),
    [
        ({"gt_answer": "voor"}, {"na": 4, "voor": 2}, True),
        ({"gt_answer": "voor"}, {"na": 2, "voor": 2}, False),
        ({"gte_answer": "voor"}, {"na": 2, "voor": 2}, True),
        ({"lt_answer": "voor"}, {"na": 1, "voor": 2}, True),
        ({"lte_answer": "voor"}, {"na": 3, "voor": 2}, False),
        ({"eq_answer": "voor"}, {"na": "ja", "voor": "ja"}, True),
        ({"ne_answer": "voor"}, {"na": "ja", "voor": "ja"}, False),
        # a missing answer on either side makes every *_answer operator false
        ({"gt_answer": "voor"}, {"na": 4}, False),
        ({"gt_answer": "voor"}, {"voor": 2}, False),
        ({"ne_answer": "voor"}, {"na": 4}, False),
        # an order only holds between numbers (a bool is no number)
        ({"gt_answer": "voor"}, {"na": "4", "voor": 2}, False),
        ({"gt_answer": "voor"}, {"na": True, "voor": 0}, False),
        # mixed with plain operators: all must hold
        ({"gt_answer": "voor", "gte": 4}, {"na": 3, "voor": 1}, False),
        ({"gt_answer": "voor", "gte": 4}, {"na": 4, "voor": 1}, True),
        ({"gt_answer": "voor", "answered": True}, {"na": 4, "voor": 1}, True),
    ],
)
def test_one_answer_against_another(
    compare: dict[str, Any], answers: dict[str, Any], expected: bool
) -> None:
    assert holds({"na": Compare(**compare)}, answers) is expected


def test_answered_false_still_means_missing() -> None:
    assert holds({"na": Compare(answered=False)}, {}) is True
    assert holds({"na": Compare(answered=False)}, {"na": 1}) is False


def test_the_other_answers_are_listed_per_operator() -> None:
    compare = Compare(gt_answer="voor", ne_answer="x")
    assert compare.other_answers == {"gt_answer": "voor", "ne_answer": "x"}
    assert "other_answers" not in compare.model_dump()
