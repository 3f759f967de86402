"""Coordinator figures: participation, funnels and answer distributions, never a person.

Why this service exists apart from the views: coordinators report on what the
programme brings, and must never be able to read one professional's answers.
Two rules are kept in the code that computes the numbers, so pages, exports and
chart data cannot differ:

1. **No number about fewer than 5 people**, shown or worked out. Every figure
   is registered in a `disclosure.Ledger` with the people it counts and how it
   relates to the other figures (a funnel's steps are nested, the options of a
   question add up to the people who answered, an organisation is the sum of
   its groups), and the ledger decides what is shown; see
   bot/services/reports/disclosure.py for the rule. A suppressed Cell does not
   hold its number at all, so no template or export can show it by mistake.
2. **No free text.** This module holds every query of the reports, and they
   select structured answers only (choices, scales, yes/no); the `text` column
   is never read, and asking for a free-text question raises FreeTextRefused.

Scope: a coordinator sees the groups of an organisation in which they hold the
coordinator role ("nobody sees anything of a group they are not in"), and the
organisation as a whole only when they coordinate all of its groups. Only
professionals count. Figures are decided per published unit (the organisation
and each group), all of them at once, never per viewer (report.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.dialogues.compile import CompiledDialogue
from bot.engine import Engine
from bot.services import access
from bot.services.access import PROFESSIONAL, AccessDenied
from bot.services.reports.exercise import exercise_stats
from bot.services.reports.overview import overview_of
from bot.services.reports.questions import (
    check_key,
    distribution,
    register_question,
    stored_keys,
    structured_questions,
)
from bot.services.reports.records import CONFIDENCE, STRUCTURED, AnswerRecord, RunRecord
from bot.services.reports.report import STARTED, Report
from bot.services.reports.tables import (
    Distribution,
    ExerciseStats,
    NotPublished,
    Overview,
    Scope,
    UnknownQuestion,
)
from bot.services.reports.texts import Texts
from bot.store.db import Database
from bot.store.models import AnswerRow, Membership, Run


class Aggregates:
    """Coordinator figures over a Scope, computed from structured answers only."""

    def __init__(self, db: Database, engine: Engine) -> None:
        self.db = db
        self.engine = engine
        self.texts = Texts(engine)

    async def scope(self, viewer_id: int, organisation_id: int, group_id: int | None) -> Scope:
        """The viewer's coordinator scope in an organisation; AccessDenied when empty
        or when `group_id` is not one of the viewer's coordinated groups."""

        def work(session: Session) -> Scope:
            name, groups = access.coordinated_groups(session, viewer_id, organisation_id)
            if group_id is not None and group_id not in {gid for gid, _ in groups}:
                raise AccessDenied(f"person {viewer_id} does not coordinate group {group_id}")
            units = access.organisation_groups(session, organisation_id)
            whole = {gid for gid, _ in units} <= {gid for gid, _ in groups}
            # The organisation's figures cover groups that are not theirs: without
            # every group, a coordinator starts at their first group instead.
            chosen = group_id if group_id is not None or whole else groups[0][0]
            return Scope(organisation_id, name, groups, chosen, units, whole)

        return await self.db.read(work)

    async def overview(self, scope: Scope, locale: str) -> Overview:
        """Participation per group, training part and exercise; confidence per scenario."""

        def work(session: Session) -> Overview:
            report = Report.of(scope, _members(session, scope))
            runs = _runs(session, report.people)
            confidence = _answers(session, report.people, keys=CONFIDENCE, kinds=("scale",))
            return overview_of(scope, locale, report, runs, confidence, self.texts)

        return await self.db.read(work)

    async def exercise(self, scope: Scope, dialogue_id: str, locale: str) -> ExerciseStats:
        """Funnel with drop-offs, and every structured question's distribution."""
        compiled = self.engine.dialogue(dialogue_id)  # UnknownDialogue for the caller

        def work(session: Session) -> ExerciseStats:
            report = Report.of(scope, _members(session, scope))
            runs = _runs(session, report.people, dialogue_id)
            answers = _answers(session, report.people, dialogue_id=dialogue_id)
            return exercise_stats(scope, compiled, locale, report, runs, answers, self.texts)

        return await self.db.read(work)

    async def question(self, scope: Scope, dialogue_id: str, key: str, locale: str) -> Distribution:
        """One question's distribution; FreeTextRefused for a free-text question.

        Taken from the whole exercise page's figures: a question's cells are
        decided together with the exercise's other figures (its funnel, the other
        questions asked on the way), so it reads the same on both pages."""
        compiled = self.engine.dialogue(dialogue_id)
        check_key(compiled, key)
        stats = await self.exercise(scope, dialogue_id, locale)
        if stats.funnel is None:  # a group: answers are published per organisation
            raise NotPublished(key)
        found = next((d for d in stats.distributions if d.key == key), None)
        if found is None:  # a structured question nobody has answered yet
            raise UnknownQuestion(key)
        return found

    def group_choices(
        self,
        dialogue_id: str,
        started: Iterable[int],
        answers: Mapping[int, Sequence[Any]],
        locale: str,
    ) -> tuple[Distribution, ...]:
        """How a trainer's group answered the structured questions of one push.

        `started` are the members who opened the push's exercise, `answers` their
        answers in its runs (objects with run_id, key, kind and value, as the
        review service returns them, already limited to what the trainer may
        see). The trainer reads every one of these answers one by one, so their
        totals are shown as they are (docs/disclosure.md: a trainer's own group
        is no published unit)."""
        compiled = self.engine.dialogue(dialogue_id)
        rows = [
            AnswerRecord(person, a.run_id, dialogue_id, a.key, a.kind, a.value)
            for person, found in answers.items()
            for a in found
            if a.kind in STRUCTURED
        ]
        report = Report([("push", frozenset(started) | frozenset(answers))])
        report.figure(("started", dialogue_id), started, STARTED)
        questions = structured_questions(compiled, rows, self.texts, locale)
        for question in questions:
            register_question(report, dialogue_id, question)
        figures = report.ledger.reveal()
        return tuple(
            distribution(compiled, q, figures, report, "push", self.texts, locale)
            for q in questions
        )

    def stored_keys(self, compiled: CompiledDialogue) -> dict[str, str]:
        """Stored answer key -> the first state that asks it."""
        return stored_keys(compiled)


# -- rows straight from the database (never the `text` column) ----------------------------


def _members(session: Session, scope: Scope) -> dict[int, set[int]]:
    """Group id -> professionals in it, for every group of the scope (a report covers
    them all, whichever one is chosen)."""
    rows = session.execute(
        select(Membership.group_id, Membership.person_id).where(
            Membership.group_id.in_([gid for gid, _ in scope.every_group]),
            Membership.role == PROFESSIONAL,
        )
    )
    found: dict[int, set[int]] = defaultdict(set)
    for group_id, person_id in rows.all():
        found[group_id].add(person_id)
    return found


def _runs(session: Session, people: Set[int], dialogue_id: str | None = None) -> list[RunRecord]:
    if not people:
        return []
    query = select(
        Run.person_id, Run.dialogue_id, Run.status, Run.state, Run.history, Run.started_at, Run.id
    ).where(Run.person_id.in_(people))
    if dialogue_id is not None:
        query = query.where(Run.dialogue_id == dialogue_id)
    rows = session.execute(query)
    return [
        RunRecord(pid, did, status, state, tuple(history or ()), started, rid)
        for pid, did, status, state, history, started, rid in rows.all()
    ]


def _answers(
    session: Session,
    people: Set[int],
    dialogue_id: str | None = None,
    keys: Sequence[str] | None = None,
    kinds: Sequence[str] = STRUCTURED,
) -> list[AnswerRecord]:
    """Structured answers only: the `text` column is not selected."""
    if not people:
        return []
    query = select(
        AnswerRow.person_id,
        AnswerRow.run_id,
        AnswerRow.dialogue_id,
        AnswerRow.key,
        AnswerRow.kind,
        AnswerRow.value,
    ).where(
        AnswerRow.person_id.in_(people),
        AnswerRow.kind.in_([k for k in kinds if k in STRUCTURED]),
    )
    if dialogue_id is not None:
        query = query.where(AnswerRow.dialogue_id == dialogue_id)
    if keys is not None:
        query = query.where(AnswerRow.key.in_(keys))
    return [AnswerRecord(*row) for row in session.execute(query).all()]
