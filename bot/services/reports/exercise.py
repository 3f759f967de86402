"""One exercise's page: a funnel of how far people got (with drop-offs), every
structured question's distribution, and confidence over time for a scenario.

The exercise's own counts are registered first, as on the overview, then its
questions, the funnel's rows (with consistent answers the same people as a
question's "answered by") and the months last: a month is the figure to hide
when it would give a shown one away.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from bot.dialogues.compile import CompiledDialogue
from bot.services.reports.disclosure import Figures
from bot.services.reports.questions import (
    Question,
    distribution,
    funnel_questions,
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
from bot.services.reports.report import REACHED, Report, register_exercise, register_pairs
from bot.services.reports.tables import ExerciseStats, Row, Scope, Table
from bot.services.reports.texts import Texts


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
    started = {run.person_id for run in runs}
    finished = {run.person_id for run in runs if run.status == "finished"}
    register_exercise(report, did, started, finished)
    keys = stored_keys(compiled)
    questions = structured_questions(compiled, answers, texts, locale)
    for question in questions:
        register_question(report, did, question)
    register_answer_order(report, compiled, [q.key for q in questions])
    asked = funnel_questions(compiled, questions)
    _register_reach(report, did, asked, finished)
    scenario = all(k in keys for k in CONFIDENCE)
    if scenario:
        months = {m: set(found) for m, found in monthly_pairs(runs, answers).items()}
        with_pair = {pid for (pid, d) in confidence_pairs(answers) if d == did}
        register_pairs(report, did, with_pair, months, asks_before=True)
    figures = report.resolve()
    me = scope.key
    detail = report.detailed(me)
    return ExerciseStats(
        scope,
        did,
        texts.title(compiled, locale),
        figures.cell((me, "started", did)),
        figures.cell((me, "finished", did)),
        _funnel(figures, me, compiled, asked, texts, locale) if detail else None,
        tuple(distribution(compiled, q, figures, report, me, texts, locale) for q in questions)
        if detail
        else (),
        _over_time(report, figures, me, did, runs, answers) if scenario and detail else None,
        tuple(k for k, s in keys.items() if spec.states[s].input_kind == "text"),
    )


def _register_reach(
    report: Report, did: str, asked: Sequence[Question], finished: set[int]
) -> None:
    """The funnel's rows between started and finished: who got at least as far as
    each question every way asks (answered it, a later one, or finished).

    With the answers as the dialogue stores them this is the question's "answered
    by" itself (one set of people, so no extra figure to hide); it differs only
    where a question was added to an exercise after some people had done it, and
    then the funnel still only goes down."""
    further = set(finished)
    reach: list[tuple[Hashable, ...]] = []
    for question in reversed(asked):
        further |= set(question.latest)
        name = ("reached", did, question.key)
        report.figure(name, further, REACHED, detail=True)
        report.within(name, ("answered", did, question.key))
        reach.insert(0, name)
    report.chain([("started", did), *reach, ("finished", did)])


def _funnel(
    figures: Figures,
    me: Hashable,
    compiled: CompiledDialogue,
    asked: Sequence[Question],
    texts: Texts,
    locale: str,
) -> Table:
    """How far people got, named by question: who started, who got as far as each
    question that every way through the exercise asks (in the order asked), who
    finished; and who dropped off since the row above (or since the last shown
    row, when the ones in between are hidden)."""
    did = compiled.spec.id
    chain: list[Hashable] = [(me, "started", did)]
    chain += [(me, "reached", did, q.key) for q in asked]
    chain.append((me, "finished", did))
    labels = [texts.text(locale, "web.agg.started")]
    labels += [texts.short(compiled.spec.states[q.state], locale) for q in asked]
    labels.append(texts.text(locale, "web.agg.finished"))
    row_keys = ["started", *(q.key for q in asked), "finished"]
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
