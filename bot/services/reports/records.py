"""The rows a report is computed from, as plain values, and what is derived from
them before any figure is registered (the before/after confidence pairs).

Only structured answers ever become an `AnswerRecord`: the reading queries
(aggregates.py) never select the free-text column.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import AMSTERDAM

#: Answer kinds that may be counted; free text ("text") is not among them.
STRUCTURED = ("choice", "multi", "yesno", "scale")
#: A street scenario's confidence, asked before and after the exercise.
CONFIDENCE = ("zeker_voor", "zeker_na")


@dataclass(frozen=True)
class AnswerRecord:
    """One structured answer: who, in which run, to which question, what."""

    person_id: int
    run_id: int
    dialogue_id: str
    key: str
    kind: str
    value: Any


@dataclass(frozen=True)
class RunRecord:
    """One run, with the states it went through (how far it got in the funnel)."""

    person_id: int
    dialogue_id: str
    status: str
    state: str
    history: tuple[str, ...]
    started_at: datetime
    id: int


def _confidence_by_run(
    rows: Iterable[AnswerRecord],
) -> tuple[dict[int, dict[str, float]], dict[int, AnswerRecord]]:
    """Run -> confidence key -> value, and run -> one of its answers (who and what)."""
    by_run: dict[int, dict[str, float]] = defaultdict(dict)
    sample: dict[int, AnswerRecord] = {}
    for row in rows:
        if row.key in CONFIDENCE and isinstance(row.value, int | float):
            by_run[row.run_id][row.key] = float(row.value)
            sample[row.run_id] = row
    return by_run, sample


def confidence_pairs(rows: Iterable[AnswerRecord]) -> dict[tuple[int, str], tuple[float, float]]:
    """(person, dialogue) -> (before, after) from the person's latest run that has both."""
    by_run, sample = _confidence_by_run(rows)
    pairs: dict[tuple[int, str], tuple[int, float, float]] = {}
    for run_id, found in by_run.items():
        if len(found) == 2:
            slot = (sample[run_id].person_id, sample[run_id].dialogue_id)
            if slot not in pairs or run_id > pairs[slot][0]:
                pairs[slot] = (run_id, found[CONFIDENCE[0]], found[CONFIDENCE[1]])
    return {slot: (before, after) for slot, (_, before, after) in pairs.items()}


def monthly_pairs(
    runs: Iterable[RunRecord], rows: Iterable[AnswerRecord]
) -> dict[str, dict[int, tuple[float, float]]]:
    """Month -> person -> (before, after): each person's pair of `confidence_pairs`
    (their latest run with both) under the month that run started.

    Every pair sits in exactly one month, so the months add up to the overall
    figures (count and averages), and the disclosure rules for parts of a total
    apply to them: one month cannot be worked out as the total minus the others.
    """
    month_of = {run.id: run.started_at.astimezone(AMSTERDAM).strftime("%Y-%m") for run in runs}
    by_run, sample = _confidence_by_run(rows)
    latest: dict[tuple[int, str], tuple[int, float, float]] = {}
    for run_id, found in by_run.items():
        if len(found) == 2 and run_id in month_of:
            slot = (sample[run_id].person_id, sample[run_id].dialogue_id)
            if slot not in latest or run_id > latest[slot][0]:
                latest[slot] = (run_id, found[CONFIDENCE[0]], found[CONFIDENCE[1]])
    months: dict[str, dict[int, tuple[float, float]]] = defaultdict(dict)
    for (person, _), (run_id, before, after) in latest.items():
        months[month_of[run_id]][person] = (before, after)
    return dict(months)
