"""The coordinator's front page: participation per group, training part and
exercise, and confidence before and after per street scenario.

The exercises' figures are registered first, exactly as on the exercise page
(report.register_exercise), so both pages hide the same cells; the summaries
over exercises (parts, anyone, people) come after them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence

from bot.dialogues.compile import CompiledDialogue
from bot.dialogues.model import Kind, Part
from bot.services.reports.disclosure import Cell, Figures
from bot.services.reports.questions import register_answer_order, stored_keys
from bot.services.reports.records import (
    CONFIDENCE,
    AnswerRecord,
    RunRecord,
    confidence_pairs,
    monthly_pairs,
)
from bot.services.reports.report import (
    ANYONE,
    PART,
    PEOPLE,
    Report,
    register_answered,
    register_exercise,
    register_pairs,
)
from bot.services.reports.tables import Overview, Row, Scope, Table
from bot.services.reports.texts import Texts

Dialogues = Sequence[tuple[str, CompiledDialogue]]
#: (person, dialogue) -> confidence (before, after).
Pairs = dict[tuple[int, str], tuple[float, float]]
#: Dialogue id -> people.
People = dict[str, set[int]]


def overview_of(
    scope: Scope,
    locale: str,
    report: Report,
    runs: Sequence[RunRecord],
    confidence: Sequence[AnswerRecord],
    texts: Texts,
) -> Overview:
    """The overview in `scope`, decided together with every other scope of the report."""
    started: People = defaultdict(set)
    finished: People = defaultdict(set)
    for run in runs:
        started[run.dialogue_id].add(run.person_id)
        if run.status == "finished":
            finished[run.dialogue_id].add(run.person_id)
    dialogues = texts.dialogues()
    pairs = confidence_pairs(confidence)
    scenarios = _register_exercises(report, dialogues, started, finished, runs, confidence, pairs)
    _register_totals(report, dialogues, started, finished)
    figures = report.resolve()
    me = scope.key
    return Overview(
        scope,
        figures.cell((me, "people")),
        _groups_table(scope, figures),
        _parts_table(figures, me, texts, locale),
        _exercises_table(figures, me, dialogues, texts, locale),
        _confidence_table(figures, report.members(me), me, scenarios, pairs, texts, locale)
        if report.detailed(me)
        else None,
    )


def _register_exercises(
    report: Report,
    dialogues: Dialogues,
    started: People,
    finished: People,
    runs: Sequence[RunRecord],
    confidence: Sequence[AnswerRecord],
    pairs: Pairs,
) -> list[tuple[str, CompiledDialogue]]:
    """Each exercise's own figures; returns the street scenarios (they get a
    confidence row)."""
    answered: dict[tuple[str, str], set[int]] = defaultdict(set)
    answers_of: dict[str, list[AnswerRecord]] = defaultdict(list)
    for answer in confidence:  # as `questions.collect` counts them: any stored answer
        answered[(answer.dialogue_id, answer.key)].add(answer.person_id)
        answers_of[answer.dialogue_id].append(answer)
    runs_of: dict[str, list[RunRecord]] = defaultdict(list)
    for run in runs:
        runs_of[run.dialogue_id].append(run)
    scenarios = []
    for did, compiled in dialogues:
        keys = stored_keys(compiled)
        register_exercise(report, did, started[did], finished[did])
        asked = [k for k in CONFIDENCE if k in keys]
        for key in asked:
            register_answered(report, did, key, answered[(did, key)])
        register_answer_order(report, compiled, asked)
        if compiled.spec.kind == Kind.STRAATSCENARIO:
            scenarios.append((did, compiled))
            with_pair = {pid for (pid, d) in pairs if d == did}
            found = monthly_pairs(runs_of[did], answers_of[did])
            months = {month: set(people) for month, people in found.items()}
            register_pairs(report, did, with_pair, months, CONFIDENCE[0] in keys)
    return scenarios


def _register_totals(
    report: Report, dialogues: Dialogues, started: People, finished: People
) -> None:
    """The summaries over exercises: people, anyone started or finished, per part."""
    anyone = set().union(*started.values()) if started else set()
    done = set().union(*finished.values()) if finished else set()
    report.figure(("people",), report.people, PEOPLE)
    # Per group only (the groups table); the organisation's is their sum.
    report.figure(("anyone_started",), anyone, ANYONE, organisation=False)
    report.figure(("anyone_finished",), done, ANYONE, organisation=False)
    report.chain([("people",), ("anyone_started",), ("anyone_finished",)])
    for part in Part:
        ids = [d for d, c in dialogues if c.spec.part == part]
        _register_part(report, part, ids, started, finished)
        report.within(("anyone_started",), ("part_started", part.value))
        report.within(("anyone_finished",), ("part_finished", part.value))


def _register_part(
    report: Report, part: Part, ids: list[str], started: People, finished: People
) -> None:
    """A training part's started and finished counts, over its exercises."""
    if len(ids) == 1:  # the part is that one exercise: one figure, two names
        report.same(("part_started", part.value), ("started", ids[0]))
        report.same(("part_finished", part.value), ("finished", ids[0]))
        return
    s = set().union(*(started[d] for d in ids)) if ids else set()
    f = set().union(*(finished[d] for d in ids)) if ids else set()
    report.figure(("part_started", part.value), s, PART)
    report.figure(("part_finished", part.value), f, PART)
    report.within(("part_started", part.value), ("part_finished", part.value))
    for did in ids:
        report.within(("part_started", part.value), ("started", did))
        report.within(("part_finished", part.value), ("finished", did))


def _groups_table(scope: Scope, figures: Figures) -> Table:
    """One row per group in view (all of them for the organisation)."""
    rows = tuple(
        Row(
            str(gid),
            name,
            tuple(
                figures.cell((gid, figure))
                for figure in ("people", "anyone_started", "anyone_finished")
            ),
        )
        for gid, name in scope.groups
        if scope.group_id in (None, gid)
    )
    return Table("groups", ("members", "started", "finished"), rows)


def _parts_table(figures: Figures, me: Hashable, texts: Texts, locale: str) -> Table:
    rows = tuple(
        Row(
            part.value,
            texts.text(locale, f"bot.part.{part.value}"),
            (
                figures.cell((me, "part_started", part.value)),
                figures.cell((me, "part_finished", part.value)),
            ),
        )
        for part in Part
    )
    return Table("parts", ("started", "finished"), rows)


def _exercises_table(
    figures: Figures, me: Hashable, dialogues: Dialogues, texts: Texts, locale: str
) -> Table:
    rows = tuple(
        Row(
            did,
            texts.title(compiled, locale),
            (
                figures.cell((me, "started", did)),
                figures.cell((me, "finished", did)),
                figures.percent((me, "finished", did), (me, "started", did)),
            ),
        )
        for did, compiled in dialogues
    )
    return Table("exercises", ("started", "finished", "completion_percent"), rows)


def _confidence_table(
    figures: Figures,
    mine: frozenset[int],
    me: Hashable,
    scenarios: Dialogues,
    pairs: Pairs,
    texts: Texts,
    locale: str,
) -> Table:
    """Per scenario: the people with a pair, and their mean before and after."""
    rows = []
    for did, compiled in scenarios:
        found = [pair for (pid, d), pair in pairs.items() if d == did and pid in mine]
        pairs_of: tuple[Hashable, ...] = (me, "pairs", did)
        cells: tuple[Cell, ...] = (
            figures.cell(pairs_of),
            figures.mean(pairs_of, [b for b, _ in found]),
            figures.mean(pairs_of, [a for _, a in found]),
        )
        rows.append(Row(did, texts.title(compiled, locale), cells))
    return Table("confidence", ("people", "before", "after"), tuple(rows))
