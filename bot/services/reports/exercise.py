"""One exercise's page: a funnel of how far people got (with drop-offs), every
structured question's distribution, and confidence over time for a scenario.

The exercise's own counts are registered first, as on the overview, then its
questions, the funnel's intermediate steps and the months last: a step or a
month is the figure to hide when it would give a shown one away.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from bot.dialogues.compile import CompiledDialogue
from bot.services.reports.disclosure import Figures
from bot.services.reports.questions import (
    distribution,
    register_answer_order,
    register_question,
    stored_keys,
    structured_questions,
)
from bot.services.reports.records import (
    CONFIDENCE,
    AnswerRecord,
    RunRecord,
    confidence_pairs,
    monthly_pairs,
)
from bot.services.reports.report import STEP, Report, register_exercise, register_pairs
from bot.services.reports.tables import ExerciseStats, Row, Scope, Table
from bot.services.reports.texts import Texts


@dataclass
class _Reach:
    """How far each person got: `total` steps to finish, and per person the
    furthest step of any of their runs."""

    total: int
    started: set[int] = field(default_factory=set)
    finished: set[int] = field(default_factory=set)
    step: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, compiled: CompiledDialogue, runs: Sequence[RunRecord]) -> _Reach:
        spec = compiled.spec
        # A finished run went all the way, whatever the length of its branch.
        total = max(
            compiled.remaining.get(spec.start, 1),
            max((len(r.history) + 1 for r in runs if r.status != "finished"), default=1),
        )
        reach = cls(total)
        for run in runs:
            reach.started.add(run.person_id)
            if run.status == "finished":
                reach.finished.add(run.person_id)
            step = total if run.status == "finished" else len(run.history) + 1
            reach.step[run.person_id] = max(step, reach.step.get(run.person_id, 0))
        return reach


def exercise_stats(
    scope: Scope,
    compiled: CompiledDialogue,
    locale: str,
    report: Report,
    runs: Sequence[RunRecord],
    answers: Sequence[AnswerRecord],
    texts: Texts,
) -> ExerciseStats:
    """The exercise page in `scope`, decided together with every other scope."""
    spec = compiled.spec
    did = spec.id
    reach = _Reach.of(compiled, runs)
    register_exercise(report, did, reach.started, reach.finished)
    keys = stored_keys(compiled)
    questions = structured_questions(compiled, answers, texts, locale)
    for question in questions:
        register_question(report, did, question)
    register_answer_order(report, compiled, [q.key for q in questions])
    steps = _register_funnel(report, did, reach)
    scenario = all(k in keys for k in CONFIDENCE)
    if scenario:
        months = {m: set(found) for m, found in monthly_pairs(runs, answers).items()}
        with_pair = {pid for (pid, d) in confidence_pairs(answers) if d == did}
        register_pairs(report, did, with_pair, months, asks_before=True)
    figures = report.resolve()
    me = scope.key
    return ExerciseStats(
        scope,
        did,
        texts.title(compiled, locale),
        figures.cell((me, "started", did)),
        figures.cell((me, "finished", did)),
        _funnel(figures, me, steps, reach.total, texts, locale),
        tuple(distribution(compiled, q, figures, report, me, texts, locale) for q in questions),
        _over_time(report, figures, me, did, runs, answers) if scenario else None,
        tuple(k for k, s in keys.items() if spec.states[s].input_kind == "text"),
    )


def _register_funnel(report: Report, did: str, reach: _Reach) -> list[tuple[Hashable, ...]]:
    """The funnel's steps as one chain: step 1 is everyone who started, it ends with
    those who finished. Returns the chain's figure names."""
    steps: list[tuple[Hashable, ...]] = [("started", did)]
    steps += [("step", did, k) for k in range(2, reach.total + 1)]
    for k in range(2, reach.total + 1):
        report.figure(("step", did, k), {p for p, s in reach.step.items() if s >= k}, STEP)
    steps.append(("finished", did))
    report.chain(steps)
    return steps


def _funnel(
    figures: Figures,
    me: Hashable,
    steps: Sequence[tuple[Hashable, ...]],
    total: int,
    texts: Texts,
    locale: str,
) -> Table:
    """People per step and who dropped off since the step above (or since the last
    shown step, when the ones in between are hidden)."""
    chain = [(me, *name) for name in steps]
    step_label = texts.text(locale, "web.agg.step")
    labels = [step_label.replace("{step}", str(k)) for k in range(1, total + 1)]
    labels.append(texts.text(locale, "web.agg.finished"))
    row_keys = [str(k) for k in range(1, total + 1)] + ["finished"]
    rows = tuple(
        Row(
            row_keys[i],
            labels[i],
            (figures.cell(key), drop),
            None if since is None else labels[since],
        )
        for i, (key, (drop, since)) in enumerate(zip(chain, figures.drops(chain), strict=True))
    )
    return Table("funnel", ("people", "dropped_off"), rows)


def _over_time(
    report: Report,
    figures: Figures,
    me: Hashable,
    did: str,
    runs: Sequence[RunRecord],
    answers: Sequence[AnswerRecord],
) -> Table:
    """Confidence before and after per month a run started, paired per run."""
    mine = report.members(me)
    rows = []
    for month, pairs in sorted(monthly_pairs(runs, answers).items()):
        found = [pair for pid, pair in pairs.items() if pid in mine]
        key = (me, "month", did, month)
        rows.append(
            Row(
                month,
                month,
                (
                    figures.cell(key),
                    figures.mean(key, [b for b, _ in found]),
                    figures.mean(key, [a for _, a in found]),
                ),
            )
        )
    return Table("confidence_by_month", ("people", "before", "after"), tuple(rows))
