"""Diagrams name every comparison a condition can make, in the author's words."""

from __future__ import annotations

import pytest

from bot.dialogues.diagram import describe
from bot.dialogues.model import Compare, Rule

OTHER_ANSWER_OPS = ["eq_answer", "ne_answer", "lt_answer", "lte_answer", "gt_answer", "gte_answer"]


@pytest.mark.parametrize("op", OTHER_ANSWER_OPS)
def test_a_comparison_with_another_answer_is_drawn(op: str) -> None:
    rule = Rule.model_validate({"if": {"zeker_na": {op: "zeker_voor"}}, "to": "gedaald"})
    assert rule.if_ is not None
    text = describe(rule.if_)
    assert text.startswith("zeker_na ")
    assert text.endswith(" zeker_voor")


def test_a_drop_in_confidence_reads_as_one_line() -> None:
    rule = Rule.model_validate(
        {
            "if": {"all": [{"zeker_voor": {"gte": 2}}, {"zeker_na": {"lt_answer": "zeker_voor"}}]},
            "to": "gedaald",
        }
    )
    assert rule.if_ is not None
    assert describe(rule.if_).endswith(" and zeker_na < zeker_voor")
    assert Compare(lt_answer="zeker_voor").other_answers == {"lt_answer": "zeker_voor"}
