"""Coordinator figures: participation, funnels and answer distributions, never a person.

Why this module exists apart from the views: coordinators report on what the
programme brings, and must never be able to read one professional's answers.
Two rules are kept here, in the code that computes the numbers, so pages,
exports and chart data cannot differ:

1. **No number about fewer than 5 people**, shown or worked out. Every figure
   is registered in a `disclosure.Ledger` with the people it counts and how it
   relates to the other figures (a funnel's steps are nested, the options of a
   question add up to the people who answered, an organisation is the sum of
   its groups), and the ledger decides what is shown; see bot/services/reports/disclosure.py
   for the rule. A suppressed Cell does not hold its number at all, so no
   template or export can show it by mistake.
2. **No free text.** The queries select structured answers only (choices,
   scales, yes/no); the `text` column is never read here, and asking for a
   free-text question raises FreeTextRefused.

Scope: a coordinator sees the groups of an organisation in which they hold the
coordinator role ("nobody sees anything of a group they are not in"); the
organisation figures are the union of those groups. Only professionals count.
Because a coordinator can switch between the organisation and each group, every
report is computed for all of those scopes at once: the organisation minus one
group must not give away another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import AMSTERDAM
from bot.dialogues.compile import CompiledDialogue
from bot.dialogues.model import Kind, Part, State
from bot.engine import Context, Engine
from bot.services import access
from bot.services.access import PROFESSIONAL, AccessDenied
from bot.services.reports.disclosure import (
    HIDDEN,
    MIN_CELL,
    NOT_APPLICABLE,
    SUPPRESSED,
    Cell,
    Figures,
    Ledger,
    count,
    mean,
    partition,
    percent,
)
from bot.store.db import Database
from bot.store.models import AnswerRow, Membership, Run

__all__ = [
    "HIDDEN",
    "MIN_CELL",
    "NOT_APPLICABLE",
    "SUPPRESSED",
    "Aggregates",
    "Cell",
    "Distribution",
    "ExerciseStats",
    "FreeTextRefused",
    "Overview",
    "Row",
    "Scope",
    "Table",
    "UnknownQuestion",
    "count",
    "export_rows",
    "mean",
    "partition",
    "percent",
]

#: Answer kinds that may be counted; free text ("text") is not among them.
STRUCTURED = ("choice", "multi", "yesno", "scale")
CONFIDENCE = ("zeker_voor", "zeker_na")
#: The scope key of the organisation (the union of the viewer's groups).
ORG = "org"

# The order in which figures are decided (disclosure rule 1): when two nested
# figures are too close, the one decided first stays. An exercise's own
# figures come first, the summaries over exercises after them, and the
# intermediate steps of a funnel last (the drop-off between shown steps is what
# the funnel is for).
STARTED, FINISHED, ANSWERED, PAIRS, OPTION, PART, ANYONE, PEOPLE, STEP, MONTH = range(10)


class FreeTextRefused(Exception):
    """A coordinator asked for a free-text question: never shown to coordinators."""


class UnknownQuestion(LookupError):
    """The dialogue stores no answer under that key."""


# -- results --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The groups whose figures a coordinator may see, and the one chosen (if any)."""

    organisation_id: int
    organisation: str
    groups: tuple[tuple[int, str], ...]
    group_id: int | None = None

    @property
    def group_ids(self) -> list[int]:
        if self.group_id is not None:
            return [self.group_id]
        return [gid for gid, _ in self.groups]

    @property
    def label(self) -> str:
        names = dict(self.groups)
        return names[self.group_id] if self.group_id is not None else self.organisation

    @property
    def key(self) -> Hashable:
        """This scope's key in a report: a group id, or ORG for several groups."""
        if self.group_id is not None:
            return self.group_id
        return ORG if len(self.groups) > 1 else self.groups[0][0]


@dataclass(frozen=True)
class Row:
    """One line of a table: a label and its cells, in column order.

    `since` names an earlier row when a drop-off is counted from there (the rows
    in between are hidden)."""

    key: str
    label: str
    cells: tuple[Cell, ...]
    since: str | None = None


@dataclass(frozen=True)
class Table:
    """A table of figures with named columns, the unit of pages, charts and exports."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    def json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": list(self.columns),
            "rows": [
                {
                    "key": row.key,
                    "label": row.label,
                    **{c: cell.json() for c, cell in zip(self.columns, row.cells, strict=True)},
                    **({"dropped_off_since": row.since} if row.since else {}),
                }
                for row in self.rows
            ],
        }


@dataclass(frozen=True)
class Distribution:
    """How people answered one structured question."""

    key: str
    state: str
    kind: str
    question: str
    people: Cell
    options: Table
    average: Cell | None = None  # scales only

    def json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "key": self.key,
            "kind": self.kind,
            "question": self.question,
            "people": self.people.json(),
            "options": self.options.json()["rows"],
        }
        if self.average is not None:
            found["average"] = self.average.json()
        return found


@dataclass(frozen=True)
class Overview:
    scope: Scope
    people: Cell
    groups: Table  # members, started, finished
    parts: Table  # started, finished
    exercises: Table  # started, finished, completion
    confidence: Table  # people, before, after (street scenarios)

    @property
    def tables(self) -> tuple[Table, ...]:
        return (self.groups, self.parts, self.exercises, self.confidence)

    def json(self) -> dict[str, Any]:
        return {
            "organisation": self.scope.organisation,
            "scope": self.scope.label,
            "people": self.people.json(),
            "tables": [t.json() for t in self.tables],
        }


@dataclass(frozen=True)
class ExerciseStats:
    scope: Scope
    dialogue_id: str
    title: str
    started: Cell
    finished: Cell
    funnel: Table  # people who reached step n, and who dropped off since the step above
    distributions: tuple[Distribution, ...]
    over_time: Table | None  # confidence before/after per month (scenarios)
    text_keys: tuple[str, ...] = field(default=())  # named, never shown

    @property
    def tables(self) -> tuple[Table, ...]:
        tables = [self.funnel, *(d.options for d in self.distributions)]
        if self.over_time is not None:
            tables.append(self.over_time)
        return tuple(tables)

    def json(self) -> dict[str, Any]:
        return {
            "organisation": self.scope.organisation,
            "scope": self.scope.label,
            "dialogue": self.dialogue_id,
            "started": self.started.json(),
            "finished": self.finished.json(),
            "funnel": self.funnel.json(),
            "distributions": [d.json() for d in self.distributions],
            "over_time": self.over_time.json() if self.over_time else None,
        }


def export_rows(scope: Scope, tables: Iterable[Table]) -> list[list[str]]:
    """Long-format rows for CSV/Excel: organisation, scope, table, item, measure, value."""
    rows = [["organisation", "scope", "table", "item", "measure", "value"]]
    for table in tables:
        for row in table.rows:
            for column, cell in zip(table.columns, row.cells, strict=True):
                if cell.applicable:
                    rows.append(
                        [scope.organisation, scope.label, table.name, row.label, column, str(cell)]
                    )
            if row.since:
                rows.append(
                    [
                        scope.organisation,
                        scope.label,
                        table.name,
                        row.label,
                        "dropped_off_since",
                        row.since,
                    ]
                )
    return rows


# -- one report over every scope the viewer can switch to ---------------------------------


class _Report:
    """Figures registered once per scope, with the organisation tied to its groups.

    A figure is named by a tuple (e.g. ("started", "scooter")); in the ledger
    its key is (scope key, *name). For several groups, each figure of the
    organisation contains the group's figure (rule 1) and is their sum (rule 2)."""

    def __init__(self, groups: Sequence[tuple[Hashable, frozenset[int]]]) -> None:
        self.ledger = Ledger()
        union = frozenset().union(*(people for _, people in groups))
        self.scopes: list[tuple[Hashable, frozenset[int]]] = (
            [(ORG, union), *groups] if len(groups) > 1 else list(groups)
        )
        self.people = union

    @classmethod
    def of(cls, scope: Scope, members: dict[int, set[int]]) -> _Report:
        """A report over every group of a coordinator's scope (and their union)."""
        return cls([(gid, frozenset(members.get(gid, set()))) for gid, _ in scope.groups])

    def members(self, key: Hashable) -> frozenset[int]:
        """The professionals of one scope of the report."""
        return dict(self.scopes)[key]

    def figure(
        self,
        name: tuple[Hashable, ...],
        people: Iterable[int],
        rank: int,
        organisation: bool = True,
    ) -> None:
        """A count of people, given over the whole organisation, in every scope;
        `organisation=False` when no page shows it for the organisation as a whole."""
        found = frozenset(people)
        for index, (skey, members) in enumerate(self.scopes):
            shown = organisation or skey != ORG
            self.ledger.count((skey, *name), found & members, (rank, index), published=shown)
        if len(self.scopes) > 1:
            org = (ORG, *name)
            groups = [(skey, *name) for skey, _ in self.scopes[1:]]
            for group in groups:
                self.ledger.within(org, group)
            self.ledger.adds_up(org, groups)

    def same(self, name: tuple[Hashable, ...], as_name: tuple[Hashable, ...]) -> None:
        for skey, _ in self.scopes:
            self.ledger.same((skey, *name), (skey, *as_name))

    def within(self, outer: tuple[Hashable, ...], inner: tuple[Hashable, ...]) -> None:
        for skey, _ in self.scopes:
            self.ledger.within((skey, *outer), (skey, *inner))

    def chain(self, names: Sequence[tuple[Hashable, ...]]) -> None:
        for skey, _ in self.scopes:
            self.ledger.chain([(skey, *name) for name in names])

    def adds_up(
        self,
        total: tuple[Hashable, ...],
        parts: Sequence[tuple[Hashable, ...]],
        all_or_none: bool = False,
    ) -> None:
        for skey, _ in self.scopes:
            self.ledger.adds_up(
                (skey, *total), [(skey, *p) for p in parts], all_or_none=all_or_none
            )

    def resolve(self) -> Figures:
        return self.ledger.resolve()


@dataclass(frozen=True)
class _Answer:
    person_id: int
    run_id: int
    dialogue_id: str
    key: str
    kind: str
    value: Any


@dataclass(frozen=True)
class _Run:
    person_id: int
    dialogue_id: str
    status: str
    state: str
    history: tuple[str, ...]
    started_at: datetime
    id: int


@dataclass(frozen=True)
class _Question:
    """One structured question's answers: the latest value per person."""

    key: str
    state: str
    kind: str
    options: dict[str, str]  # option id -> label
    latest: dict[int, Any]  # person -> value

    def choosers(self, option: str) -> set[int]:
        return {
            pid
            for pid, value in self.latest.items()
            if option in {str(v) for v in (value if isinstance(value, list) else [value])}
        }


class Aggregates:
    """Coordinator figures over a Scope, computed from structured answers only."""

    def __init__(self, db: Database, engine: Engine) -> None:
        self.db = db
        self.engine = engine

    async def scope(self, viewer_id: int, organisation_id: int, group_id: int | None) -> Scope:
        """The viewer's coordinator scope in an organisation; AccessDenied when empty
        or when `group_id` is not one of the viewer's coordinated groups."""

        def work(session: Session) -> Scope:
            name, groups = access.coordinated_groups(session, viewer_id, organisation_id)
            if group_id is not None and group_id not in {gid for gid, _ in groups}:
                raise AccessDenied(f"person {viewer_id} does not coordinate group {group_id}")
            return Scope(organisation_id, name, groups, group_id)

        return await self.db.read(work)

    async def overview(self, scope: Scope, locale: str) -> Overview:
        """Participation per group, training part and exercise; confidence per scenario."""

        def work(session: Session) -> Overview:
            members = _members(session, scope)
            report = _Report.of(scope, members)
            runs = _runs(session, report.people)
            confidence = _answers(session, report.people, keys=CONFIDENCE, kinds=("scale",))
            return self._overview(scope, locale, report, runs, confidence)

        return await self.db.read(work)

    def _overview(
        self,
        scope: Scope,
        locale: str,
        report: _Report,
        runs: list[_Run],
        confidence: list[_Answer],
    ) -> Overview:
        started: dict[str, set[int]] = defaultdict(set)
        finished: dict[str, set[int]] = defaultdict(set)
        for run in runs:
            started[run.dialogue_id].add(run.person_id)
            if run.status == "finished":
                finished[run.dialogue_id].add(run.person_id)
        dialogues = self._dialogues()
        pairs = _confidence_pairs(confidence)
        answered: dict[tuple[str, str], set[int]] = defaultdict(set)
        for answer in confidence:  # as `_collect` counts them: anyone with a stored answer
            answered[(answer.dialogue_id, answer.key)].add(answer.person_id)
        # The exercises first: the same figures, in the same order and with the same
        # relations, as on the exercise page (see `_register_exercise`), so both pages
        # hide the same cells.
        scenarios = []
        for did, compiled in dialogues:
            keys = self.stored_keys(compiled)
            confidence_keys = [k for k in CONFIDENCE if k in keys]
            self._register_exercise(report, did, started[did], finished[did])
            for key in confidence_keys:
                self._register_answered(report, did, key, answered[(did, key)])
            if compiled.spec.kind == Kind.STRAATSCENARIO:
                scenarios.append((did, compiled))
                with_pair = {pid for (pid, d) in pairs if d == did}
                report.figure(("pairs", did), with_pair, PAIRS)
                report.within(("started", did), ("pairs", did))
                # Answered before but no pair: stopped on the way, a drop-off. (Answered
                # after but no pair is nil by construction, "before" being asked first;
                # declaring it would hide every pair count and say nothing.)
                if CONFIDENCE[0] in keys:
                    report.within(("answered", did, CONFIDENCE[0]), ("pairs", did))
        anyone = set().union(*started.values()) if started else set()
        done = set().union(*finished.values()) if finished else set()
        report.figure(("people",), report.people, PEOPLE)
        # Per group only (the groups table); the organisation's is their sum.
        report.figure(("anyone_started",), anyone, ANYONE, organisation=False)
        report.figure(("anyone_finished",), done, ANYONE, organisation=False)
        report.chain([("people",), ("anyone_started",), ("anyone_finished",)])
        for part in Part:
            ids = [d for d, c in dialogues if c.spec.part == part]
            s = set().union(*(started[d] for d in ids)) if ids else set()
            f = set().union(*(finished[d] for d in ids)) if ids else set()
            if len(ids) == 1:  # the part is that one exercise: one figure, two names
                report.same(("part_started", part.value), ("started", ids[0]))
                report.same(("part_finished", part.value), ("finished", ids[0]))
            else:
                report.figure(("part_started", part.value), s, PART)
                report.figure(("part_finished", part.value), f, PART)
                report.within(("part_started", part.value), ("part_finished", part.value))
                for did in ids:
                    report.within(("part_started", part.value), ("started", did))
                    report.within(("part_finished", part.value), ("finished", did))
            report.within(("anyone_started",), ("part_started", part.value))
            report.within(("anyone_finished",), ("part_finished", part.value))
        figures = report.resolve()
        me = scope.key

        def cell(*name: Hashable) -> Cell:
            return figures.cell((me, *name))

        group_rows = tuple(
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
        part_rows = tuple(
            Row(
                part.value,
                self._text(locale, f"bot.part.{part.value}"),
                (cell("part_started", part.value), cell("part_finished", part.value)),
            )
            for part in Part
        )
        exercise_rows = tuple(
            Row(
                did,
                self._title(compiled, locale),
                (
                    cell("started", did),
                    cell("finished", did),
                    figures.percent((me, "finished", did), (me, "started", did)),
                ),
            )
            for did, compiled in dialogues
        )
        mine = report.members(me)
        confidence_rows = []
        for did, compiled in scenarios:
            found = [pair for (pid, d), pair in pairs.items() if d == did and pid in mine]
            confidence_rows.append(
                Row(
                    did,
                    self._title(compiled, locale),
                    (
                        cell("pairs", did),
                        figures.mean((me, "pairs", did), [b for b, _ in found]),
                        figures.mean((me, "pairs", did), [a for _, a in found]),
                    ),
                )
            )
        return Overview(
            scope,
            cell("people"),
            Table("groups", ("members", "started", "finished"), group_rows),
            Table("parts", ("started", "finished"), part_rows),
            Table("exercises", ("started", "finished", "completion_percent"), exercise_rows),
            Table("confidence", ("people", "before", "after"), tuple(confidence_rows)),
        )

    def _register_exercise(
        self, report: _Report, did: str, started: set[int], finished: set[int]
    ) -> None:
        """An exercise's started and finished counts (decided first of all its figures)."""
        report.figure(("started", did), started, STARTED)
        report.figure(("finished", did), finished, FINISHED)
        report.within(("started", did), ("finished", did))

    def _register_answered(self, report: _Report, did: str, key: str, people: set[int]) -> None:
        """The people who answered one question of an exercise they started."""
        report.figure(("answered", did, key), people, ANSWERED)
        report.within(("started", did), ("answered", did, key))

    async def exercise(self, scope: Scope, dialogue_id: str, locale: str) -> ExerciseStats:
        """Funnel with drop-offs, and every structured question's distribution."""
        compiled = self.engine.dialogue(dialogue_id)  # UnknownDialogue for the caller

        def work(session: Session) -> ExerciseStats:
            members = _members(session, scope)
            report = _Report.of(scope, members)
            runs = _runs(session, report.people, dialogue_id)
            answers = _answers(session, report.people, dialogue_id=dialogue_id)
            return self._exercise(scope, compiled, locale, report, runs, answers)

        return await self.db.read(work)

    async def question(self, scope: Scope, dialogue_id: str, key: str, locale: str) -> Distribution:
        """One question's distribution; FreeTextRefused for a free-text question.

        Only the figures this question's cells depend on are registered: the
        exercise's started count, the question's answered count and its options,
        in the same order as on the exercise page, so both show the same cells."""
        compiled = self.engine.dialogue(dialogue_id)
        state = self._check_key(compiled, key)

        def work(session: Session) -> Distribution:
            members = _members(session, scope)
            report = _Report.of(scope, members)
            runs = _runs(session, report.people, dialogue_id)
            answers = _answers(session, report.people, dialogue_id=dialogue_id, keys=(key,))
            report.figure(("started", dialogue_id), {r.person_id for r in runs}, STARTED)
            question = self._collect(compiled, state, key, answers, locale)
            self._register_question(report, dialogue_id, question)
            figures = report.resolve()
            return self._distribution(compiled, question, figures, report, scope.key, locale)

        return await self.db.read(work)

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
        see). The trainer can read every answer one by one; the totals follow the
        coordinators' rule anyway, so a group sees the same figures wherever they
        are shown, and never below 5 people."""
        compiled = self.engine.dialogue(dialogue_id)
        rows = [
            _Answer(person, a.run_id, dialogue_id, a.key, a.kind, a.value)
            for person, found in answers.items()
            for a in found
            if a.kind in STRUCTURED
        ]
        report = _Report([("push", frozenset(started) | frozenset(answers))])
        report.figure(("started", dialogue_id), started, STARTED)
        keys = self.stored_keys(compiled)
        questions = [
            self._collect(compiled, state, key, rows, locale)
            for key, state in keys.items()
            if compiled.spec.states[state].input_kind in STRUCTURED
        ]
        for question in questions:
            self._register_question(report, dialogue_id, question)
        figures = report.resolve()
        return tuple(
            self._distribution(compiled, q, figures, report, "push", locale) for q in questions
        )

    def stored_keys(self, compiled: CompiledDialogue) -> dict[str, str]:
        """Stored answer key -> the first state that asks it."""
        keys: dict[str, str] = {}
        for name, state in compiled.spec.states.items():
            if state.store and state.input_kind and state.store not in keys:
                keys[state.store] = name
        return keys

    def _check_key(self, compiled: CompiledDialogue, key: str) -> str:
        state = self.stored_keys(compiled).get(key)
        if state is None:
            raise UnknownQuestion(key)
        if compiled.spec.states[state].input_kind not in STRUCTURED:
            raise FreeTextRefused(key)
        return state

    def _exercise(
        self,
        scope: Scope,
        compiled: CompiledDialogue,
        locale: str,
        report: _Report,
        runs: list[_Run],
        answers: list[_Answer],
    ) -> ExerciseStats:
        spec = compiled.spec
        did = spec.id
        # A finished run went all the way, whatever the length of its branch.
        total = max(
            compiled.remaining.get(spec.start, 1),
            max((len(r.history) + 1 for r in runs if r.status != "finished"), default=1),
        )
        reached_step: dict[int, int] = {}
        started: set[int] = set()
        finished: set[int] = set()
        for run in runs:
            started.add(run.person_id)
            if run.status == "finished":
                finished.add(run.person_id)
            step = total if run.status == "finished" else len(run.history) + 1
            reached_step[run.person_id] = max(step, reached_step.get(run.person_id, 0))
        self._register_exercise(report, did, started, finished)
        keys = self.stored_keys(compiled)
        questions = [
            self._collect(compiled, state, key, answers, locale)
            for key, state in keys.items()
            if spec.states[state].input_kind in STRUCTURED
        ]
        for question in questions:
            self._register_question(report, did, question)
        # Step 1 is everyone who started; the funnel ends with those who finished.
        steps = [("started", did)] + [("step", did, k) for k in range(2, total + 1)]
        for k in range(2, total + 1):
            report.figure(("step", did, k), {p for p, s in reached_step.items() if s >= k}, STEP)
        report.chain([*steps, ("finished", did)])
        over_time = None
        if all(k in keys for k in CONFIDENCE):
            months = self._months(runs, answers)
            for month, people in sorted(months.items()):
                report.figure(("month", did, month), people, MONTH)
                report.within(("started", did), ("month", did, month))
        figures = report.resolve()
        me = scope.key
        chain = [(me, *name) for name in [*steps, ("finished", did)]]
        step_label = self._text(locale, "web.agg.step")
        labels = [step_label.replace("{step}", str(k)) for k in range(1, total + 1)]
        labels.append(self._text(locale, "web.agg.finished"))
        row_keys = [str(k) for k in range(1, total + 1)] + ["finished"]
        funnel_rows = tuple(
            Row(
                row_keys[i],
                labels[i],
                (figures.cell(key), drop),
                None if since is None else labels[since],
            )
            for i, (key, (drop, since)) in enumerate(zip(chain, figures.drops(chain), strict=True))
        )
        distributions = tuple(
            self._distribution(compiled, q, figures, report, me, locale) for q in questions
        )
        text_keys = tuple(k for k, s in keys.items() if spec.states[s].input_kind == "text")
        if all(k in keys for k in CONFIDENCE):
            over_time = self._over_time(report, figures, me, runs, answers)
        return ExerciseStats(
            scope,
            did,
            self._title(compiled, locale),
            figures.cell((me, "started", did)),
            figures.cell((me, "finished", did)),
            Table("funnel", ("people", "dropped_off"), funnel_rows),
            distributions,
            over_time,
            text_keys,
        )

    def _collect(
        self,
        compiled: CompiledDialogue,
        state_name: str,
        key: str,
        answers: Sequence[_Answer],
        locale: str,
    ) -> _Question:
        """The latest answer per person to one question, with its options."""
        state = compiled.spec.states[state_name]
        latest: dict[int, tuple[int, Any]] = {}
        for answer in answers:
            if answer.key != key:
                continue
            seen = latest.get(answer.person_id)
            if seen is None or answer.run_id > seen[0]:
                latest[answer.person_id] = (answer.run_id, answer.value)
        return _Question(
            key,
            state_name,
            state.input_kind or "",
            self._options(state, locale),
            {pid: value for pid, (_, value) in latest.items()},
        )

    def _register_question(self, report: _Report, did: str, question: _Question) -> None:
        """Answered count and option counts. Single answers add up to the people who
        answered (rule 2; scales all or none, rule 3); multiple choice is nested only."""
        self._register_answered(report, did, question.key, set(question.latest))
        total = ("answered", did, question.key)
        parts = []
        for oid in question.options:
            name = ("option", did, question.key, oid)
            report.figure(name, question.choosers(oid), OPTION)
            report.within(total, name)
            parts.append(name)
        if question.kind != "multi":
            report.adds_up(total, parts, all_or_none=question.kind == "scale")

    def _distribution(
        self,
        compiled: CompiledDialogue,
        question: _Question,
        figures: Figures,
        report: _Report,
        me: Hashable,
        locale: str,
    ) -> Distribution:
        did = compiled.spec.id
        answered = (me, "answered", did, question.key)
        average = None
        if question.kind == "scale":
            mine = report.members(me)
            values = [
                float(v)
                for pid, v in question.latest.items()
                if pid in mine and isinstance(v, int | float)
            ]
            average = figures.mean(answered, values)
        table = Table(
            f"question:{question.key}",
            ("people",),
            tuple(
                Row(oid, label, (figures.cell((me, "option", did, question.key, oid)),))
                for oid, label in question.options.items()
            ),
        )
        state = compiled.spec.states[question.state]
        return Distribution(
            question.key,
            question.state,
            question.kind,
            self._question(state, locale),
            figures.cell(answered),
            table,
            average,
        )

    def _months(self, runs: list[_Run], answers: list[_Answer]) -> dict[str, set[int]]:
        """Month a run started -> people with a before/after pair from such a run."""
        return {month: set(pairs) for month, pairs in _monthly_pairs(runs, answers).items()}

    def _over_time(
        self,
        report: _Report,
        figures: Figures,
        me: Hashable,
        runs: list[_Run],
        answers: list[_Answer],
    ) -> Table:
        """Confidence before and after per month a run started, paired per run."""
        mine = report.members(me)
        rows = []
        for month, pairs in sorted(_monthly_pairs(runs, answers).items()):
            found = [pair for pid, pair in pairs.items() if pid in mine]
            key = (me, "month", runs[0].dialogue_id, month)
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

    # -- texts --------------------------------------------------------------------------

    def _dialogues(self) -> list[tuple[str, CompiledDialogue]]:
        order = {part: i for i, part in enumerate(Part)}
        return sorted(
            self.engine.dialogues.items(), key=lambda item: (order[item[1].spec.part], item[0])
        )

    def _text(self, locale: str, key: str) -> str:
        return self.engine.catalog.text(locale, key)

    def _title(self, compiled: CompiledDialogue, locale: str) -> str:
        return self._text(locale, compiled.spec.title)

    def _question(self, state: State, locale: str) -> str:
        says = state.says
        return self._text(locale, says[-1]) if says else ""

    def _options(self, state: State, locale: str) -> dict[str, str]:
        """Option id -> label, in the dialogue's order (scales: every value)."""
        ask = state.ask
        ctx = Context(locale)
        render = self.engine.render
        if ask is None:
            return {}
        if ask.scale is not None:
            return {str(n): str(n) for n in range(ask.scale.min, ask.scale.max + 1)}
        spec = ask.choice or ask.multi
        if spec is not None:
            return {o.id: o.label for o in render.options(spec.options, ctx)}
        if ask.yesno:
            return {"yes": render.text(ctx, "common.yes"), "no": render.text(ctx, "common.no")}
        return {}


# -- rows straight from the database (never the `text` column) ----------------------------


def _members(session: Session, scope: Scope) -> dict[int, set[int]]:
    """Group id -> professionals in it, for every group of the scope (a report covers
    them all, whichever one is chosen)."""
    rows = session.execute(
        select(Membership.group_id, Membership.person_id).where(
            Membership.group_id.in_([gid for gid, _ in scope.groups]),
            Membership.role == PROFESSIONAL,
        )
    )
    found: dict[int, set[int]] = defaultdict(set)
    for group_id, person_id in rows.all():
        found[group_id].add(person_id)
    return found


def _runs(session: Session, people: set[int], dialogue_id: str | None = None) -> list[_Run]:
    if not people:
        return []
    query = select(
        Run.person_id, Run.dialogue_id, Run.status, Run.state, Run.history, Run.started_at, Run.id
    ).where(Run.person_id.in_(people))
    if dialogue_id is not None:
        query = query.where(Run.dialogue_id == dialogue_id)
    rows = session.execute(query)
    return [
        _Run(pid, did, status, state, tuple(history or ()), started, rid)
        for pid, did, status, state, history, started, rid in rows.all()
    ]


def _answers(
    session: Session,
    people: set[int],
    dialogue_id: str | None = None,
    keys: Sequence[str] | None = None,
    kinds: Sequence[str] = STRUCTURED,
) -> list[_Answer]:
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
    return [_Answer(*row) for row in session.execute(query).all()]


def _confidence_pairs(rows: Iterable[_Answer]) -> dict[tuple[int, str], tuple[float, float]]:
    """(person, dialogue) -> (before, after) from the person's latest run that has both."""
    by_run: dict[int, dict[str, float]] = defaultdict(dict)
    where: dict[int, tuple[int, str]] = {}
    for row in rows:
        if row.key in CONFIDENCE and isinstance(row.value, int | float):
            by_run[row.run_id][row.key] = float(row.value)
            where[row.run_id] = (row.person_id, row.dialogue_id)
    pairs: dict[tuple[int, str], tuple[int, float, float]] = {}
    for run_id, found in by_run.items():
        if len(found) == 2:
            slot = where[run_id]
            if slot not in pairs or run_id > pairs[slot][0]:
                pairs[slot] = (run_id, found[CONFIDENCE[0]], found[CONFIDENCE[1]])
    return {slot: (before, after) for slot, (_, before, after) in pairs.items()}


def _monthly_pairs(
    runs: Iterable[_Run], rows: Iterable[_Answer]
) -> dict[str, dict[int, tuple[float, float]]]:
    """Month a run started -> person -> (before, after) from their latest such run."""
    month_of = {run.id: run.started_at.astimezone(AMSTERDAM).strftime("%Y-%m") for run in runs}
    by_run: dict[int, dict[str, float]] = defaultdict(dict)
    owner: dict[int, int] = {}
    for row in rows:
        if row.key in CONFIDENCE and isinstance(row.value, int | float):
            by_run[row.run_id][row.key] = float(row.value)
            owner[row.run_id] = row.person_id
    latest: dict[tuple[str, int], tuple[int, float, float]] = {}
    for run_id, found in by_run.items():
        if len(found) == 2 and run_id in month_of:
            slot = (month_of[run_id], owner[run_id])
            if slot not in latest or run_id > latest[slot][0]:
                latest[slot] = (run_id, found[CONFIDENCE[0]], found[CONFIDENCE[1]])
    months: dict[str, dict[int, tuple[float, float]]] = defaultdict(dict)
    for (month, person), (_, before, after) in latest.items():
        months[month][person] = (before, after)
    return dict(months)
